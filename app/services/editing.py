"""What every edit service shares: refusing invalid records, upserting, and undoing.

A save returns a ``Change`` holding the record's values before the save (kept in memory only,
so undo can restore patient identifiers that the audit log masks). Undo is itself an audited
change.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import inspect
from sqlalchemy.orm import Session

from app.security.roles import Permission
from app.storage.database import Database
from app.storage.models import Base


class ValidationFailed(ValueError):
    """A record the user must fix first; ``problems`` maps each field to what is wrong."""

    def __init__(self, problems: dict[str, str], what: str = "record") -> None:
        self.problems = dict(problems)
        detail = "; ".join(f"{field}: {message}" for field, message in problems.items())
        super().__init__(f"The {what} was not saved. Fix: {detail}")


class NotFound(LookupError):
    pass


@dataclass(frozen=True)
class Change:
    """Enough to undo one save or delete."""

    model: type[Base]
    key: tuple[Any, ...]
    before: dict[str, Any] | None  # None: the record did not exist before
    description: str


def snapshot(obj: Base) -> dict[str, Any]:
    mapper = inspect(obj).mapper
    return {attr.key: getattr(obj, attr.key) for attr in mapper.column_attrs}


def primary_key(obj: Base) -> tuple[Any, ...]:
    mapper = inspect(obj).mapper
    return tuple(getattr(obj, col.key) for col in mapper.primary_key)


def require_valid(problems: dict[str, str], what: str) -> None:
    if problems:
        raise ValidationFailed(problems, what)


def put(session: Session, model: type[Base], key: tuple[Any, ...] | None, values: dict[str, Any]) -> tuple[Base, dict | None]:
    """Insert, or update the record at ``key``; returns it and its values before."""
    obj = session.get(model, key) if key is not None else None
    before = snapshot(obj) if obj is not None else None
    if obj is None:
        obj = model(**values)
        session.add(obj)
    else:
        for name, value in values.items():
            setattr(obj, name, value)
    session.flush()
    return obj, before


def remove(session: Session, model: type[Base], key: tuple[Any, ...], what: str) -> dict[str, Any]:
    obj = session.get(model, key)
    if obj is None:
        raise NotFound(f"That {what} no longer exists.")
    before = snapshot(obj)
    session.delete(obj)
    session.flush()
    return before


#: Which permission undoing a change of each table needs: the one that made the change.
UNDO_PERMISSION: dict[str, Permission] = {
    "cases": Permission.CASES, "data_entries": Permission.CASES, "staff": Permission.STAFF,
    "role_assignments": Permission.STAFF, "absences": Permission.STAFF, "meetings": Permission.MEETINGS,
    "attendance": Permission.MEETINGS, "correspondence": Permission.LETTERS,
    "dosimetry_submissions": Permission.DOSIMETRY, "program_years": Permission.PROGRAM_YEARS,
    "qip_episodes": Permission.QIP, "qip_steps": Permission.QIP, "facility": Permission.FACILITY,
}


def undo(db: Database, change: Change) -> None:
    """Put the record back as it was before ``change``."""
    with db.transaction(UNDO_PERMISSION[change.model.__tablename__]) as session:
        obj = session.get(change.model, change.key)
        if change.before is None:
            if obj is not None:
                session.delete(obj)
            return
        if obj is None:
            session.add(change.model(**change.before))
            return
        for name, value in change.before.items():
            setattr(obj, name, value)
