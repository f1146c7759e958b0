"""A screen's undo history: several steps back and forward on the same record, each audited,
refused (not guessed) when someone else changed the record since."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from app.domain.records import CaseRecord
from app.services import cases
from app.services.editing import Conflict, History
from app.storage.models import AuditEntry

D = dt.date


def case(**kw) -> CaseRecord:
    return CaseRecord(**{"case_id": "C-1", "project": "breast", "eligible_on": D(2025, 1, 5), **kw})


def state(db) -> str | None:  # type: ignore[no-untyped-def]
    try:
        return cases.get_case(db, "C-1").note
    except LookupError:
        return None


def test_several_steps_on_one_record_back_and_forth(db) -> None:  # type: ignore[no-untyped-def]
    history = History()
    history.record(cases.save_case(db, case(note="one")))
    for note in ("two", "three"):
        current = cases.get_case(db, "C-1")
        history.record(cases.save_case(db, case(note=note, version=current.version), original_id="C-1"))
    history.record(cases.delete_case(db, "C-1", version=cases.get_case(db, "C-1").version))
    assert state(db) is None
    seen = []
    while history.can_undo():
        history.undo(db)
        seen.append(state(db))
    assert seen == ["three", "two", "one", None]
    forward = []
    while history.can_redo():
        history.redo(db)
        forward.append(state(db))
    assert forward == ["one", "two", "three", None]
    history.undo(db)
    assert state(db) == "three"


def test_undo_is_audited_and_a_new_edit_drops_the_redo(db) -> None:  # type: ignore[no-untyped-def]
    history = History()
    history.record(cases.save_case(db, case(note="one")))
    with db.reader() as s:
        before = s.scalar(select(func.count(AuditEntry.id)))
    history.undo(db)
    with db.reader() as s:
        assert s.scalar(select(func.count(AuditEntry.id))) > before
    assert history.can_redo() and history.next_redo()
    history.record(cases.save_case(db, case(case_id="C-2")))
    assert not history.can_redo()


def test_undo_refuses_when_someone_else_changed_it_since(db) -> None:  # type: ignore[no-untyped-def]
    history = History()
    history.record(cases.save_case(db, case(note="mine")))
    current = cases.get_case(db, "C-1")
    cases.save_case(db, case(note="theirs", version=current.version), original_id="C-1")  # another workstation
    with pytest.raises(Conflict):
        history.undo(db)
    assert state(db) == "theirs" and not history.can_undo()
