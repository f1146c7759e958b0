"""The shared edit helpers the services call instead of writing the same steps again."""

from __future__ import annotations

import datetime as dt

import pytest

from app.domain.permissions import Permission
from app.domain.records import StaffRecord
from app.services import letters, staff
from app.services.editing import ValidationFailed, delete_one, put_by_id, put_numbered, undo
from app.storage.models import Correspondence, Meeting, Staff


def test_put_by_id_refuses_a_taken_id_and_a_changed_id_naming_the_id_field(db) -> None:
    staff.save_staff(db, StaffRecord("S-1", "Ada", "physician"))
    with db.transaction(Permission.MEETINGS) as session:
        put_by_id(session, Meeting, "M-1", None, {"meeting_id": "M-1", "date": dt.date(2025, 1, 2), "format": "in_person"},
                  version=None, overwrite=False, what="meeting", taken="taken", fixed="fixed")
    with pytest.raises(ValidationFailed) as taken, db.transaction(Permission.MEETINGS) as session:
        put_by_id(session, Meeting, "M-1", None, {"meeting_id": "M-1"}, version=None, overwrite=False,
                  what="meeting", taken="M-1 is in use", fixed="fixed")
    assert taken.value.problems == {"meeting_id": "M-1 is in use"}
    with pytest.raises(ValidationFailed) as fixed, db.transaction(Permission.STAFF) as session:
        put_by_id(session, Staff, "S-2", "S-1", {"staff_id": "S-2"}, version=None, overwrite=False,
                  what="person", taken="taken", fixed="the ID stays")
    assert fixed.value.problems == {"staff_id": "the ID stays"}


def test_delete_one_deletes_and_its_change_undoes_the_delete(db) -> None:
    letters.save_letter(db, dt.date(2025, 1, 2), "annual report", False)
    (letter,) = letters.list_letters(db)
    change = delete_one(db, Permission.LETTERS, Correspondence, (letter.id,), "letter", "Letter deleted",
                        version=letter.version)
    assert change.description == "Letter deleted" and change.before is not None
    assert letters.list_letters(db) == []
    undo(db, change)
    assert [row.subject for row in letters.list_letters(db)] == ["annual report"]


def test_put_numbered_adds_then_corrects_under_the_number_the_database_gave(db) -> None:
    values = {"received_on": dt.date(2025, 1, 2), "subject": "annual report", "reply_required": False}
    with db.transaction(Permission.LETTERS) as session:
        added = put_numbered(session, Correspondence, None, values, version=None, overwrite=False, what="letter",
                             description="Letter saved")
    (letter,) = letters.list_letters(db)
    assert added.key == (letter.id,) and added.before is None and added.version == letter.version
    with db.transaction(Permission.LETTERS) as session:
        corrected = put_numbered(session, Correspondence, letter.id, {**values, "subject": "site visit"},
                                 version=letter.version, overwrite=False, what="letter", description="Letter saved")
    assert corrected.key == added.key and corrected.before["subject"] == "annual report"
    assert [row.subject for row in letters.list_letters(db)] == ["site visit"]
