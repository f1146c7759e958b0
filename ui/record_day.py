"""The day a record made now is dated: today, unless the user chooses the as-of date being looked at.

The screens show everything "as of" a day that may be in the past or ahead (to see what fires
when), and that day must never become a record's date unnoticed: an episode opened while
looking at 2026-12-20 was opened today. So when the as-of date is not today, one question asks,
with today as the default (Enter); an earlier as-of date may be chosen instead (a step recorded
late), a later one never (nothing is dated ahead of today).
"""

from __future__ import annotations

import datetime as dt

from PySide6.QtWidgets import QMessageBox, QWidget

from ui.as_of import AsOf
from ui.date_field import shown


def run(box: QMessageBox) -> None:
    """Show the question and wait for the answer (tests replace this to look at it and answer)."""
    box.exec()


def ask_record_day(parent: QWidget | None, as_of: AsOf, doing: str, *, title: str) -> dt.date | None:
    """The day to date what ``doing`` makes ("Open the QIP episode"): today when the screen shows
    today; else as the user answers (default today; the as-of date if it is earlier and chosen).
    None: cancelled."""
    today, viewed = as_of.current_day(), as_of.day
    if viewed == today:
        return today
    later = viewed > today
    text = (f"You are viewing {shown(viewed)}. {doing} as of today, {shown(today)}?"
            + (" Nothing is dated ahead of today." if later else
               f" Or date it {shown(viewed)}, the day you are viewing, if that is when it really happened."))
    box = QMessageBox(QMessageBox.Icon.Question, title, text, QMessageBox.StandardButton.NoButton, parent)
    on_today = box.addButton(f"As of &today, {shown(today)}", QMessageBox.ButtonRole.AcceptRole)
    on_viewed = None if later else box.addButton(f"As of {shown(viewed)}", QMessageBox.ButtonRole.AcceptRole)
    cancel = box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(on_today)
    box.setEscapeButton(cancel)
    run(box)
    clicked = box.clickedButton()
    if clicked == on_today:
        return today
    if on_viewed is not None and clicked == on_viewed:
        return viewed
    return None
