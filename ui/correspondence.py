"""Correspondence: letters from the coordinating center, reply due dates and replies."""

from __future__ import annotations

import dataclasses
import datetime as dt

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from app.domain import records
from app.reports.audit_data import letter_status
from app.rules.policy_file import load_policy
from app.security.roles import Permission
from app.services import letters
from app.services.facility import get_facility
from app.storage.database import Database
from ui.record_form import Field
from ui.record_page import RecordPage


class CorrespondencePage(QWidget):
    def __init__(self, db: Database) -> None:
        super().__init__()
        self.db = db
        facility = get_facility(db)
        self.reply_days = load_policy(facility.policy_year if facility else None, dt.date.today()).reply_days
        self.list = RecordPage(
            db, "Letters",
            [("received_on", "Received"), ("subject", "Subject"), ("reply_required", "Reply needed"),
             ("due", "Reply due"), ("replied_on", "Replied"), ("state", "Status")],
            self.rows,
            [Field("received_on", "&Received on", "date"), Field("subject", "&Subject"),
             Field("reply_required", "Reply &needed", "bool"),
             Field("due_on", f"Reply &due (blank: {self.reply_days} days after receipt)", "date"),
             Field("replied_on", "Re&plied on", "date")],
            lambda v, old: letters.save_letter(db, v["received_on"], v["subject"], v["reply_required"], v["due_on"],
                                               v["replied_on"], letter_id=old["id"] if old else None),
            lambda r: letters.delete_letter(db, r["id"]),
            lambda v: records.validate_letter(v["received_on"], v["subject"], v["due_on"], v["replied_on"]),
            lambda r: f"the letter '{r['subject']}'",
            sort=(0, Qt.SortOrder.DescendingOrder),  # the newest letters, the ones still awaiting a reply, first
        ).require(Permission.LETTERS)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("<h2>Correspondence</h2>"))
        layout.addWidget(self.list, 1)

    def rows(self) -> list[dict]:
        today = dt.date.today()
        result = []
        for letter in letters.list_letters(self.db):
            row = dataclasses.asdict(letter)
            due = letter.due_on or (letter.received_on + dt.timedelta(days=self.reply_days) if letter.reply_required else None)
            row["due"] = due
            row["state"] = letter_status(letter.reply_required, due, letter.replied_on, today)
            result.append(row)
        return result
