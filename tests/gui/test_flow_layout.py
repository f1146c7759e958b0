"""The wrapping toolbar: one line when there is room, more lines when not, every item whole."""

from __future__ import annotations

from PySide6.QtCore import QPoint
from PySide6.QtWidgets import QLabel, QLineEdit, QPushButton, QWidget

from ui.flow_layout import FlowLayout


def bar(qtbot):  # type: ignore[no-untyped-def]
    host = QWidget()
    qtbot.addWidget(host)
    flow = FlowLayout(host)
    heading = QLabel("Register")
    search = QLineEdit()
    search.setMinimumWidth(120)
    buttons = [QPushButton(f"Button number {n}") for n in range(4)]
    flow.addWidget(heading)
    flow.addWidget(search, 1)
    flow.addStretch(1)
    for b in buttons:
        flow.addWidget(b)
    return host, flow, heading, search, buttons


def test_one_line_when_wide_with_the_stretch_pushing_the_buttons_right(qtbot) -> None:
    host, flow, heading, search, buttons = bar(qtbot)
    host.resize(flow.sizeHint().width() + 300, 100)
    host.show()
    qtbot.wait(10)
    assert len({w.y() for w in (search, *buttons)}) == 1
    assert buttons[-1].geometry().right() >= host.width() - flow.contentsMargins().right() - 2  # at the right end
    assert search.width() > 120  # the stretch shares the room


def test_wraps_when_narrow_and_every_item_stays_inside(qtbot) -> None:
    host, flow, heading, search, buttons = bar(qtbot)
    width = buttons[0].sizeHint().width() + 60
    host.resize(width, flow.heightForWidth(width))
    host.show()
    qtbot.wait(10)
    assert buttons[-1].y() > buttons[0].y()
    for w in (heading, search, *buttons):
        corner = w.mapTo(host, QPoint(0, 0))
        assert corner.x() >= 0 and corner.x() + w.width() <= host.width()
        assert corner.y() + w.height() <= host.height()
        assert w.width() >= w.minimumSizeHint().width()
    assert flow.minimumSize().width() <= width
    assert flow.heightForWidth(width) > flow.heightForWidth(flow.sizeHint().width())


def test_a_hidden_button_takes_no_room(qtbot) -> None:
    host, flow, _heading, _search, buttons = bar(qtbot)
    width = flow.sizeHint().width()
    buttons[1].hide()
    assert flow.sizeHint().width() < width
