"""MROQC Facility Desk: the headless core (domain, storage, rules, services, exports, CLI).

Nothing under ``app`` may import Qt: the core runs and is tested without a display.
"""

from __future__ import annotations


def __getattr__(name: str) -> str:
    """``__version__``, read on first use: importlib.metadata costs some 50 ms, which the window
    (shown before anything needs the version) and most commands do without."""
    if name != "__version__":
        raise AttributeError(f"module 'app' has no attribute {name!r}")
    from importlib.metadata import PackageNotFoundError, version

    global __version__
    try:
        __version__ = version("mroqc-desk")
    except PackageNotFoundError:  # running from a source tree that was never installed
        __version__ = "0.0.0+source"
    return __version__
