"""Work around PySide6 builds that drop references to ``None`` and ``True``.

PySide6/shiboken6 6.12.0 (abi3 wheels) on Python 3.11 returns ``None`` from void methods
(``setText``, ``setItem``, ``resize`` ...) and ``True`` from ``Signal.emit`` without taking a
reference.  On Python 3.12+ these objects are immortal (PEP 683) so nothing happens, but on 3.11
their counts fall by one per call and the interpreter aborts ("none_dealloc: deallocating None",
"bool_dealloc") after a few thousand calls: filling the dosimetry table of a ten-year register was
enough, and any long session would get there.  The fault is detected by measuring it rather than
by version number (a fixed build is left alone); the objects that leak are then given the
effectively-immortal count they have on 3.12.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence
    from importlib.abc import Loader
    from importlib.machinery import ModuleSpec
    from types import ModuleType

PROBE_CALLS = 16
IMMORTAL_BOOST = 1 << 40  # more leaking calls than a session could ever make


def leaking_singletons() -> list[object]:
    """The singletons whose count PySide calls lower without having raised it."""
    from PySide6.QtCore import QObject, QSize, Signal

    class Probe(QObject):
        poked = Signal()

    size, probe = QSize(), Probe()
    calls = {None: lambda: size.setWidth(1), True: probe.poked.emit}
    leaking: list[object] = []
    for singleton, call in calls.items():
        before = sys.getrefcount(singleton)
        for _ in range(PROBE_CALLS):
            call()
        if sys.getrefcount(singleton) <= before - PROBE_CALLS // 2:
            leaking.append(singleton)
    if True in leaking:
        leaking.append(False)  # the same return path hands back either bool
    return leaking


def protect_singletons() -> list[object]:
    """Keep ``None``/``True``/``False`` alive despite the leak; returns those that needed it."""
    if sys.version_info >= (3, 12) or sys.implementation.name != "cpython":
        return []  # immortal there, or not reference-counted this way
    import ctypes

    leaking = leaking_singletons()
    for singleton in leaking:
        ctypes.c_ssize_t.from_address(id(singleton)).value += IMMORTAL_BOOST  # ob_refcnt: first field
    return leaking


QT_CORE = "PySide6.QtCore"


class _Protected:
    """The loader of ``PySide6.QtCore``, which then protects the singletons (``protect_singletons``)
    as soon as the module is loaded, before anything can call into Qt."""

    def __init__(self, loader: Loader) -> None:
        self.loader = loader

    def create_module(self, spec: ModuleSpec) -> ModuleType | None:
        return self.loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        module.__loader__ = self.loader  # the module is Qt's own, as if loaded without this
        if module.__spec__ is not None:
            module.__spec__.loader = self.loader
        self.loader.exec_module(module)
        protect_singletons()


class _ProtectWhenQtLoads:
    """A finder that finds nothing itself: the first import of ``PySide6.QtCore`` is found by the
    finders after it, and loaded through ``_Protected``. Then it steps aside."""

    def find_spec(self, name: str, path: Sequence[str] | None = None,
                  target: ModuleType | None = None) -> ModuleSpec | None:
        if name != QT_CORE:
            return None
        sys.meta_path.remove(self)
        for finder in sys.meta_path:
            find = getattr(finder, "find_spec", None)
            spec = find(name, path, target) if find is not None else None
            if spec is not None:
                if spec.loader is not None:
                    spec.loader = _Protected(spec.loader)
                return spec
        return None


def protect_when_qt_loads() -> None:
    """``protect_singletons`` now if Qt is loaded, else the moment it is: the command line
    (``mroqc-desk check`` …, ``ui.launch``) then never loads Qt, which took ~0.06 s, and
    slowed every later import by ~0.04 s more (shiboken's import hook; ``python -X importtime``,
    cProfile, the 2-core development machine)."""
    if QT_CORE in sys.modules:
        protect_singletons()
    elif not any(isinstance(finder, _ProtectWhenQtLoads) for finder in sys.meta_path):
        sys.meta_path.insert(0, _ProtectWhenQtLoads())
