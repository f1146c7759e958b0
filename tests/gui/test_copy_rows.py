"""Ctrl+C on a table copies the selected rows as a spreadsheet pastes them (tab-separated, header
first, the columns shown in their order), what the screen shows and nothing more."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QAbstractItemView, QTableWidget, QTableWidgetItem

from ui import table_copy


def press_copy(qtbot, widget) -> None:  # type: ignore[no-untyped-def]
    """Ctrl+C as a person presses it: into the widget's window, which gives it to the focused widget
    (``QTest`` given the widget itself would skip the window, where the filter is)."""
    qtbot.keyClick(widget.window().windowHandle(), Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)


def test_the_selected_rows_with_their_header_and_only_the_shown_columns(qtbot) -> None:
    table_copy.install()
    table = QTableWidget(3, 3)
    qtbot.addWidget(table)
    table.setHorizontalHeaderLabels(["Case ID", "Hidden", "Note"])
    for r, (case, note) in enumerate([("K1", "first\tline"), ("K2", "two"), ("K3", "three\nlines")]):
        table.setItem(r, 0, QTableWidgetItem(case))
        table.setItem(r, 1, QTableWidgetItem("secret"))
        table.setItem(r, 2, QTableWidgetItem(note))
    table.setColumnHidden(1, True)
    table.horizontalHeader().moveSection(2, 0)  # Note shown first
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.MultiSelection)
    table.show()
    table.selectRow(2)
    table.selectRow(0)
    table.setFocus()
    QGuiApplication.clipboard().clear()
    press_copy(qtbot, table)
    assert QGuiApplication.clipboard().text() == "Note\tCase ID\nfirst line\tK1\nthree lines\tK3\n"


def test_the_register_copies_what_it_shows(qtbot, settled_window) -> None:
    window = settled_window
    window.show_area("Enrollment")
    view = window.enrollment_page.table
    view.selectRow(0)
    view.setFocus()
    QGuiApplication.clipboard().clear()
    press_copy(qtbot, view)
    header, first = QGuiApplication.clipboard().text().splitlines()
    model = view.model()
    shown = [c for c in range(model.columnCount()) if not view.isColumnHidden(c)]
    assert header.split("\t") == [model.headerData(c, Qt.Orientation.Horizontal) for c in sorted(
        shown, key=view.horizontalHeader().visualIndex)]
    assert first.split("\t")[0] == model.index(0, sorted(shown, key=view.horizontalHeader().visualIndex)[0]).data()


def test_a_tree_copies_its_selected_rows_in_the_order_shown(qtbot) -> None:
    from PySide6.QtWidgets import QTreeWidget, QTreeWidgetItem

    table_copy.install()
    tree = QTreeWidget()
    qtbot.addWidget(tree)
    tree.setHeaderLabels(["Finding", "Cases"])
    first, second = QTreeWidgetItem(["QIP-ENR-ZERO", "3"]), QTreeWidgetItem(["QIP-DATA-LAG", "1"])
    tree.addTopLevelItems([first, second])
    first.addChild(QTreeWidgetItem(["breast", "2"]))
    tree.expandAll()
    tree.setSelectionMode(QAbstractItemView.SelectionMode.MultiSelection)
    tree.show()
    second.setSelected(True)
    first.child(0).setSelected(True)
    tree.setFocus()
    QGuiApplication.clipboard().clear()
    press_copy(qtbot, tree)
    assert QGuiApplication.clipboard().text() == "Finding\tCases\nbreast\t2\nQIP-DATA-LAG\t1\n"


def test_installing_pays_for_the_python_types_the_filter_makes_pyside_create() -> None:
    """Issue 28: a Python event filter on the application had PySide create a Python type for the
    class of each object an event reached; the first object of a class it has no binding for (a
    rich-text label's text control) made it create nearly every Qt type, ~170 enums (40-120 ms),
    in whatever built the next label: the Dashboard's heading, between Sign in and the first page.
    The filter is on each window now (``ui.window_events``): a label costs no types."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    code = """
import enum, sys
from PySide6.QtWidgets import QApplication, QLabel
app = QApplication(sys.argv[:1])
from ui import table_copy
table_copy.install()
made = []
create = enum.EnumType._create_
enum.EnumType._create_ = lambda cls, *a, **k: (made.append(a[0]), create(cls, *a, **k))[1]
label = QLabel("<h2>Dashboard</h2>")
print(len(made))
"""
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, timeout=120,
                            env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert result.returncode == 0, result.stderr
    assert int(result.stdout.split()[-1]) < 10  # were ~170


def test_ctrl_c_in_a_dialog_opened_later_copies_its_rows_and_elsewhere_does_what_it_did(qtbot) -> None:
    """The filter reaches a window made after it was installed (a dialog: each window that takes the
    keyboard), and a key that is not Ctrl+C, or Ctrl+C where nothing is selected, goes on to the widget."""
    from PySide6.QtWidgets import QDialog, QLineEdit, QVBoxLayout

    table_copy.install()
    dialog = QDialog()
    qtbot.addWidget(dialog)
    table, line = QTableWidget(2, 1), QLineEdit()
    layout = QVBoxLayout(dialog)
    layout.addWidget(table)
    layout.addWidget(line)
    table.setHorizontalHeaderLabels(["Case ID"])
    for r, case in enumerate(("K1", "K2")):
        table.setItem(r, 0, QTableWidgetItem(case))
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.activateWindow()
    qtbot.waitUntil(lambda: QGuiApplication.focusWindow() is dialog.windowHandle(), timeout=5000)
    table.setFocus()
    table.selectRow(1)
    QGuiApplication.clipboard().clear()
    press_copy(qtbot, table)
    assert QGuiApplication.clipboard().text() == "Case ID\nK2\n"
    line.setFocus()
    qtbot.keyClick(dialog.windowHandle(), Qt.Key.Key_A)
    assert line.text() == "a"  # typing goes on to the focused widget
