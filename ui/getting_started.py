"""The Dashboard's getting-started checklist of a new facility (``app.services.getting_started``):
one button per step not done yet, opening the screen where it is done.

Its steps sit in a list of their own that scrolls past ``SHOWN_STEPS`` rows: on a laptop at 150 %
(910×512 logical pixels) a long checklist would otherwise push the tiles and the chart off the page.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from app.services.getting_started import Step

#: Steps shown before the checklist scrolls within itself.
SHOWN_STEPS = 2  # two: on a laptop at 150 % the window is 473 px high once the title and task bars are off
#: Inside the box's frame: tight, so the steps take the height.
STEP_MARGIN = 4


class GettingStarted(QFrame):
    """The checklist; hidden once every step is done. A framed box whose first line says what it
    is (a group box's title would take a line of its own on a short window)."""

    #: a step was clicked: the title of the screen to open (``ui.screens``)
    open_screen = Signal(str)

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("getting-started")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.note = QLabel("<b>Getting started</b> · <small>a few things to set up first; each leaves this list "
                           "once it is done.</small>")
        self.note.setWordWrap(True)
        holder = QWidget()
        self.rows = QVBoxLayout(holder)
        self.rows.setContentsMargins(0, 0, 0, 0)
        self.rows.setSpacing(2)
        self.steps = QScrollArea()
        self.steps.setObjectName("getting-started-steps")
        self.steps.setWidgetResizable(True)
        self.steps.setFrameShape(QFrame.Shape.NoFrame)
        self.steps.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.steps.setWidget(holder)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(STEP_MARGIN, STEP_MARGIN, STEP_MARGIN, STEP_MARGIN)
        layout.setSpacing(2)
        layout.addWidget(self.note)
        layout.addWidget(self.steps)
        self.buttons: dict[str, QPushButton] = {}
        self.hide()

    def show_steps(self, steps: list[Step]) -> None:
        while self.rows.count():
            item = self.rows.takeAt(0)
            if item.widget():
                item.widget().deleteLater()
        self.buttons = {}
        for number, step in enumerate(steps, 1):
            button = QPushButton(f"{number}. {step.title} — {step.screen} ›".replace("&", "&&"))  # "Staff & roles"
            button.setObjectName(f"step-{step.key}")
            button.setFlat(True)
            button.setStyleSheet("text-align: left")
            button.setToolTip(f"{step.title}: {step.why}. Opens {step.screen}.")
            button.setCursor(Qt.CursorShape.PointingHandCursor)
            button.clicked.connect(lambda _=False, screen=step.screen: self.open_screen.emit(screen))
            self.rows.addWidget(button)
            self.buttons[step.key] = button
        if steps:  # as high as its first steps; the rest scroll, the scroll bar saying there are more
            row = next(iter(self.buttons.values())).sizeHint().height() + self.rows.spacing()
            self.steps.setFixedHeight(min(len(steps), SHOWN_STEPS) * row)
        self.setVisible(bool(steps))
