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
