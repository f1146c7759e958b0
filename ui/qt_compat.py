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

import ctypes
import sys

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
    leaking = leaking_singletons()
    for singleton in leaking:
        ctypes.c_ssize_t.from_address(id(singleton)).value += IMMORTAL_BOOST  # ob_refcnt: first field
    return leaking
