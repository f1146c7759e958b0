"""Ctrl+C on a table copies the selected rows as a spreadsheet pastes them (tab-separated, header
first, the columns shown in their order), what the screen shows and nothing more."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QAbstractItemView, QTableWidget, QTableWidgetItem

from ui import table_copy


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
    qtbot.keyClick(table, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    assert QGuiApplication.clipboard().text() == "Note\tCase ID\nfirst line\tK1\nthree lines\tK3\n"


def test_the_register_copies_what_it_shows(qtbot, settled_window) -> None:
    window = settled_window
    window.show_area("Enrollment")
    view = window.enrollment_page.table
    view.selectRow(0)
    view.setFocus()
    QGuiApplication.clipboard().clear()
    qtbot.keyClick(view, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
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
    qtbot.keyClick(tree, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    assert QGuiApplication.clipboard().text() == "Finding\tCases\nbreast\t2\nQIP-DATA-LAG\t1\n"
