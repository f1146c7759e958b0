"""The reminder digest in the window: on opening, and once a day while it stays open, a short
bar above the screens lists what became due or overdue since the user last looked
(``app.services.digest``); Dismiss hides it until the next day's digest."""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Callable

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

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
        self.body = QLabel()
        self.body.setWordWrap(True)
        self.dismiss_button = QPushButton("Dismiss")
        self.dismiss_button.clicked.connect(self.dismiss)
        text = QVBoxLayout()
        text.addWidget(self.title)
        text.addWidget(self.body)
        layout = QHBoxLayout(self)
        layout.addLayout(text, 1)
        layout.addWidget(self.dismiss_button)
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
        self.show()

    def dismiss(self) -> None:
        dismiss(self.db, self.clock())
        self.hide()
