"""The mouse wheel scrolls the page, not the field under the pointer (``ui.wheel_guard``): a turn
over a combo box or spin box that does not have the keyboard leaves its value alone and scrolls
what holds it; once the field is clicked or tabbed into, the wheel turns it as before."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QLineEdit,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from tests.gui.conftest import open_window
from ui.screens import ENROLLMENT, SETTINGS
from ui.wheel_guard import GUARDED, guard_fields


def turn_down(widget: QWidget) -> None:
    """One notch of the wheel, down, over the middle of ``widget`` (as the window system sends it)."""
    at = QPointF(widget.width() / 2, widget.height() / 2)
    event = QWheelEvent(at, QPointF(widget.mapToGlobal(at.toPoint())), QPoint(0, 0), QPoint(0, -120),
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(widget, event)


def tall_page(qtbot):  # type: ignore[no-untyped-def]
    body = QWidget()
    layout = QVBoxLayout(body)
    first = QLineEdit()
    combo = QComboBox()
    combo.addItems(["2024", "2025", "2026"])
    spin = QSpinBox()
    spin.setValue(4)
    layout.addWidget(first)
    layout.addWidget(combo)
    layout.addWidget(spin)
    layout.addSpacing(3000)  # taller than the window: the page scrolls
    scroll = QScrollArea()
    scroll.setWidgetResizable(True)
    scroll.setWidget(body)
    scroll.resize(400, 300)
    qtbot.addWidget(scroll)
    guard_fields(body)
    scroll.show()
    qtbot.waitExposed(scroll)
    scroll.activateWindow()
    first.setFocus()
    qtbot.waitUntil(first.hasFocus)
    return scroll, combo, spin


def test_a_turn_over_a_field_without_the_keyboard_scrolls_the_page(qtbot) -> None:
    scroll, combo, spin = tall_page(qtbot)
    bar = scroll.verticalScrollBar()
    turn_down(combo)
    turn_down(spin)
    assert combo.currentIndex() == 0 and spin.value() == 4  # neither field turned ...
    assert bar.value() > 0  # ... the page scrolled instead


def test_a_field_with_the_keyboard_takes_the_wheel(qtbot) -> None:
    scroll, combo, spin = tall_page(qtbot)
    combo.setFocus()
    qtbot.waitUntil(combo.hasFocus)
    turn_down(combo)
    assert combo.currentIndex() == 1
    spin.setFocus()
    qtbot.waitUntil(spin.hasFocus)
    turn_down(spin)
    assert spin.value() == 3
    assert combo.focusPolicy() == Qt.FocusPolicy.StrongFocus  # a turn never gives a field the keyboard


def test_every_field_of_a_screen_is_guarded(qtbot, demo_db) -> None:
    """Settings (its program year, time zone, lock minutes) and the register's filters."""
    w = open_window(qtbot, demo_db)
    for screen in (SETTINGS, ENROLLMENT):
        page = w.page(screen.title)
        fields = page.findChildren(QComboBox) + page.findChildren(QSpinBox)
        assert fields and all(f.property(GUARDED) for f in fields), screen.title


def test_a_record_form_turns_only_the_field_being_edited(qtbot, demo_db) -> None:
    """The case form (every record form is built the same way): a turn over its project leaves
    the project as it was until the field is chosen."""
    from ui.case_form import CaseForm

    form = CaseForm(demo_db)
    qtbot.addWidget(form)
    form.show()
    qtbot.waitExposed(form)
    project = form.widgets["project"]
    before = project.currentIndex()
    turn_down(project)
    assert project.currentIndex() == before
    project.setFocus()
    qtbot.waitUntil(project.hasFocus)
    turn_down(project)
    assert project.currentIndex() != before
    form.remember_state()  # (closed at the end without asking to discard the change)
