"""The reminder digest in the window: on opening, and once a day while it stays open, a short
bar above the screens lists what became due or overdue since the user last looked
(``app.services.digest``); Dismiss hides it until the next day's digest.

It takes one line (the count and the first reminder) until the person asks for the list: at
150 % on a laptop the whole list took a quarter of every screen's height."""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Callable

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from app.services.digest import Digest, build_digest, dismiss, last_digest_at
from app.storage.database import Database
from ui.date_field import date_format
from ui.workers import run_in_background

#: How often the open window asks whether a new day began (then it shows that day's digest).
CHECK_MS = 15 * 60 * 1000
SHOWN_ITEMS = 8


class DigestBar(QFrame):
    """``clock`` gives the current time (the window's, injected: screens never read the clock)."""

    def __init__(self, db: Database, clock: Callable[[], dt.datetime], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db = db
        self.clock = clock
        self.digest: Digest | None = None
        self.checked_on: dt.date | None = None
        self.setObjectName("digest")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.title = QLabel()
        self.first = QLabel()  # the first reminder, on the title's line while the list is folded
        self.first.setObjectName("digest-first")
        self.first.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)  # cut, never widening
        self.body = QLabel()
        self.body.setWordWrap(True)
        self.body.hide()
        self.more_button = QPushButton("Show all")
        self.more_button.setObjectName("digest-more")
        self.more_button.setCheckable(True)
        self.more_button.toggled.connect(self.unfold)
        self.dismiss_button = QPushButton("Dismiss")
        self.dismiss_button.clicked.connect(self.dismiss)
        line = QHBoxLayout()
        line.addWidget(self.title)
        line.addWidget(self.first, 1)
        line.addWidget(self.more_button)
        line.addWidget(self.dismiss_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 2, 6, 2)
        layout.addLayout(line)
        layout.addWidget(self.body)
        self.hide()
        self.timer = QTimer(self)
        self.timer.setInterval(CHECK_MS)
        self.timer.timeout.connect(self.check_new_day)
        self.timer.start()

    def check(self) -> None:
        """Build the digest now (in the background); show it if anything is in it."""
        now = self.clock()
        self.checked_on = now.date()
        db = self.db
        run_in_background(lambda: build_digest(db, now, last_digest_at(db)), self.show_digest, owner=self)

    def check_new_day(self) -> None:
        if self.checked_on != self.clock().date():
            self.check()

    def show_digest(self, digest: Digest) -> None:
        self.digest = digest
        if not digest.items:
            self.hide()
            return
        self.title.setText(f"<b>{html.escape(digest.heading)}</b>")
        lines = [html.escape(i.words(date_format())) for i in digest.items[:SHOWN_ITEMS]]
        more = len(digest.items) - SHOWN_ITEMS
        self.body.setText("• " + "<br/>• ".join(lines) + (f"<br/>… and {more} more" if more > 0 else ""))
        first = digest.items[0].words(date_format())
        self.first.setText(html.escape(first))
        self.first.setToolTip(first)
        self.unfold(self.more_button.isChecked())
        self.show()

    def unfold(self, unfolded: bool) -> None:
        """The whole list under the line, or the line alone (the first reminder on it)."""
        self.body.setVisible(unfolded)
        self.first.setVisible(not unfolded)
        self.more_button.setText("Show less" if unfolded else "Show all")

    def dismiss(self) -> None:
        dismiss(self.db, self.clock())
        self.hide()
