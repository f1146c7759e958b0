"""Correspondence: letters from the coordinating center, reply due dates and replies."""

from __future__ import annotations

import dataclasses

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from app.domain import fields, records
from app.domain.permissions import Permission
from app.rules.policy_file import Policy
from app.services import letters
from app.services.evaluations import in_force_at, letters_at
from app.storage.database import Database
from ui.as_of import AsOf
from ui.record_form import columns_of, fields_of
from ui.record_page import RecordPage


class CorrespondencePage(QWidget):
    """Letters with their reply due dates and where each stood at the window's as-of date, by the
    same due-date reading as QIP-CORR-NORESPONSE (``app.services.evaluations.letters_at``). The
    policy is read again on every reload and every form, never kept from when the screen was
    built: Settings may change the policy in force, and so may the as-of date."""

    def __init__(self, db: Database, as_of: AsOf | None = None) -> None:
        super().__init__()
        self.db = db
        self.as_of = as_of if as_of is not None else AsOf()
        self.list = RecordPage(
            db, "Letters",
            columns_of(fields.LETTER, "received_on", "letter_id", "sender", "subject", "reply_required",
                       ("due", "Reply due"), "replied_on", ("state", "Status")),
            self.rows,
            lambda: fields_of(fields.LETTER, "letter_id", "received_on", "sender", "subject", "reply_required", "due_on",
                              "replied_on", captions={"due_on": f"Reply &due (blank: {self.reply_days} days after receipt)"}),
            lambda v, old, overwrite: letters.save_letter(db, v["received_on"], v["subject"], v["reply_required"],
                                                          v["due_on"], v["replied_on"], letter_id=old["id"] if old else None,
                                                          version=old["version"] if old else None, overwrite=overwrite,
                                                          sender=v["sender"], reference=None if old else v["letter_id"]),
            lambda r: letters.delete_letter(db, r["id"], version=r["version"]),
            lambda v: records.validate_letter(v["received_on"], v["subject"], v["due_on"], v["replied_on"]),
            lambda r: f"the letter '{r['subject']}'",
            advise=self.quality_words,
            sort=(0, Qt.SortOrder.DescendingOrder),  # the newest letters, the ones still awaiting a reply, first
            # a letter arrives on a real day: today, whatever day the screen is looking at
            defaults=lambda: {"letter_id": letters.next_letter_reference(db, self.as_of.current_day()),
                              "received_on": self.as_of.current_day()},
        ).require(Permission.LETTERS)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("<h2>Correspondence</h2>"))
        layout.addWidget(self.list, 1)

    def quality_words(self, values: dict) -> str:
        """The data-quality rules on the letter as typed (dated after the as-of date)."""
        from app.services.quality import check_letter, form_words

        day = self.as_of.day
        return form_words(check_letter(self.db, values, day), day)

    def select_letter(self, letter_id: str) -> None:
        """Show and select the letter with this reference (from a data-quality problem)."""
        self.list.filter.setText(letter_id)
        table = self.list.table
        for row in range(table.rowCount()):
            if not table.isRowHidden(row) and table.item(row, 1) is not None and table.item(row, 1).text() == letter_id:
                table.selectRow(row)
                table.setFocus()
                return

    def policy(self) -> Policy:
        """The policy in force at the window's as-of date now (its reply days and due dates)."""
        return in_force_at(self.db, self.as_of.day).policy

    @property
    def reply_days(self) -> int:
        """Days to reply when a letter gives no due date, by the policy in force at the as-of date."""
        return self.policy().reply_days

    def rows(self) -> list[dict]:
        _in_force, standings = letters_at(self.db, self.as_of.day)
        return [{**dataclasses.asdict(s.letter), "due": s.due, "state": s.status} for s in standings]

    def reload(self) -> None:
        self.list.refresh()
