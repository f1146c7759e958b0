"""The PySide6 reference-leak workaround: a long session must not abort with none_dealloc."""

from __future__ import annotations

import sys

from PySide6.QtCore import QSize
from PySide6.QtWidgets import QTableWidget, QTableWidgetItem

from ui.qt_compat import IMMORTAL_BOOST, leaking_singletons, protect_singletons


def test_singletons_that_leak_are_protected() -> None:
    import ui  # noqa: F401  (the package applies the workaround on import)

    if sys.version_info >= (3, 12):
        assert protect_singletons() == []  # immortal there: nothing to do
        return
    for singleton in leaking_singletons():
        assert sys.getrefcount(singleton) > IMMORTAL_BOOST // 2


def test_many_void_calls_survive(qtbot) -> None:
    """More void calls than ``None`` has references on a fresh 3.11 interpreter (a 10-year register)."""
    table = QTableWidget(2000, 6)
    qtbot.addWidget(table)
    for row in range(2000):
        for column in range(6):
            table.setItem(row, column, QTableWidgetItem("x"))
    size = QSize()
    for _ in range(20000):
        size.setWidth(1)
    assert table.item(1999, 5).text() == "x"


def test_the_command_line_loads_no_qt_and_qt_is_protected_the_moment_it_loads() -> None:
    """``mroqc-desk`` (``ui.launch``) runs its commands without Qt; whatever loads Qt afterwards
    (the window) has the workaround applied as it loads, before any call into Qt."""
    import subprocess
    from pathlib import Path

    code = """
import sys, ui, ui.launch
print("qt loaded:", "PySide6" in sys.modules)
import ui.qt_compat as compat
protected = []
real = compat.protect_singletons
compat.protect_singletons = lambda: protected.append(sys.modules["PySide6.QtCore"].QSize is not None) or real()
from PySide6.QtWidgets import QApplication
import PySide6.QtCore
print("protected:", protected, "loader:", type(PySide6.QtCore.__loader__).__name__)
"""
    result = subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).resolve().parents[2],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["qt loaded: False", "protected: [True] loader: ExtensionFileLoader"]
