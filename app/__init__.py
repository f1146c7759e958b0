"""MROQC Facility Desk: the headless core (domain, storage, rules, services, exports, CLI).

Nothing under ``app`` may import Qt: the core runs and is tested without a display.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("mroqc-desk")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+source"
