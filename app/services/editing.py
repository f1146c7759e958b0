"""What every edit service shares: refusing invalid records, upserting, undoing, and refusing a
save based on an older version of the record.

A save returns a ``Change`` holding the record's values before the save (kept in memory only,
so undo can restore patient identifiers that the audit log masks). Undo is itself an audited
change.

No lost update: every record people edit has a ``version`` (``models.Versioned``). A screen
keeps the version it showed; a save or delete passes it, and if the record has changed (or gone)
since, nothing is written and ``Conflict`` says what the other person saved. Saving over it is a
deliberate second save with ``overwrite=True``, which the audit log records. Between reading and
writing, SQLAlchemy's version counter guards the same rule (``StaleDataError``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session, undefer
from sqlalchemy.orm.exc import StaleDataError

from app.domain.permissions import Permission
from app.domain.wording import table_words
from app.storage.database import Database
from app.storage.models import AuditEntry, Base

#: Every column, the deferred patient identifiers too (these are the coordinators' edits and undo).
_ALL = [undefer("*")]


class ValidationFailed(ValueError):
    """A record the user must fix first; ``problems`` maps each field to what is wrong."""

    def __init__(self, problems: dict[str, str], what: str = "record") -> None:
        self.problems = dict(problems)
        detail = "; ".join(f"{field}: {message}" for field, message in problems.items())
        super().__init__(f"The {what} was not saved. Fix: {detail}")


class NotFound(LookupError):
    pass


class Conflict(Exception):
    """The record changed (or was deleted) since the person opened it; nothing was written.

    ``theirs``: the record as it now is (None: deleted); ``mine``: what was to be saved (None: a
    delete); ``version``: its version now, to pass with ``overwrite=True`` to save over it."""

    def __init__(self, what: str, key: tuple[Any, ...], theirs: dict[str, Any] | None,
                 mine: dict[str, Any] | None, version: int | None, *, by: str | None = None,
                 at: dt.datetime | None = None) -> None:
        self.what = what
        self.key = key
        self.theirs = theirs
        self.mine = mine
        self.version = version
        #: who saved (or deleted) it last and when (UTC), from the audit log: the window names them
        self.by = by
        self.at = at
        if theirs is None:
            message = f"Someone else deleted this {what} since you opened it; nothing was saved."
        else:
            message = f"Someone else changed this {what} since you opened it; nothing was saved."
        super().__init__(message)

    def differences(self) -> list[tuple[str, Any, Any]]:
        """``(field, theirs, mine)`` for every field the two differ in."""
        theirs, mine = self.theirs or {}, self.mine or {}
        fields = [f for f in (mine or theirs) if f not in ("version",)]
        return [(f, theirs.get(f), mine.get(f)) for f in fields if theirs.get(f) != mine.get(f)]


@dataclass(frozen=True)
class Change:
    """Enough to undo one save or delete. ``version``: the record's version right after the
    change (None after a delete): an undo refuses to overwrite a later change by someone else."""

    model: type[Base]
    key: tuple[Any, ...]
    before: dict[str, Any] | None  # None: the record did not exist before
    description: str
    version: int | None = None


def snapshot(obj: Base) -> dict[str, Any]:
    mapper = inspect(obj).mapper
    return {attr.key: getattr(obj, attr.key) for attr in mapper.column_attrs}


def primary_key(obj: Base) -> tuple[Any, ...]:
    mapper = inspect(obj).mapper
    return tuple(getattr(obj, col.key) for col in mapper.primary_key)


def require_valid(problems: dict[str, str], what: str) -> None:
    if problems:
        raise ValidationFailed(problems, what)


def last_change(session: Session, model: type[Base], key: tuple[Any, ...]) -> dict[str, Any]:
    """``{"by": user, "at": when}`` of the record's latest audit entry (empty if none): a conflict
    says who saved first, so the two people can talk rather than guess."""
    found = session.execute(
        select(AuditEntry.user, AuditEntry.at)
        .where(AuditEntry.table_name == model.__tablename__,
               AuditEntry.record_key == "/".join(str(k) for k in key),
               AuditEntry.action != "note")
        .order_by(AuditEntry.id.desc()).limit(1)).first()
    return {"by": found[0], "at": found[1]} if found else {}


def _check_version(session: Session, obj: Base | None, model: type[Base], key: tuple[Any, ...], what: str,
                   version: int | None, mine: dict[str, Any] | None, overwrite: bool) -> None:
    """Refuse (``Conflict``) a change based on ``version`` when the record is at another. With
    ``overwrite`` the person saw the newer version (``Conflict.version``) and chose to save over
    it: that is audited (and refused again if it changed once more meanwhile)."""
    if obj is None:
        raise Conflict(what, key, None, mine, None, **last_change(session, model, key))
    current = getattr(obj, "version", None)
    if version is not None and current is not None and current != version:
        raise Conflict(what, key, snapshot(obj), mine, current, **last_change(session, model, key))
    if overwrite:
        from app.storage import audit

        audit.note(session, f"{what} saved over another person's newer version (version {current}) on purpose",
                   table=model.__tablename__, key="/".join(str(k) for k in key))


def flush_or_conflict(session: Session, what: str, key: tuple[Any, ...] | None, mine: dict[str, Any] | None) -> None:
    """Write now; a change committed by someone else since this session read the record is a conflict."""
    try:
        session.flush()
    except StaleDataError:
        raise Conflict(what, key or (), None if mine is None else {}, mine, None) from None


def put(session: Session, model: type[Base], key: tuple[Any, ...] | None, values: dict[str, Any], *,
        version: int | None = None, overwrite: bool = False, what: str = "record") -> tuple[Base, dict | None]:
    """Insert, or update the record at ``key`` if it is still at ``version`` (None: no check);
    returns it and its values before. A ``version`` among ``values`` is never written by hand."""
    values = {k: v for k, v in values.items() if k != "version"}
    obj = session.get(model, key, options=_ALL) if key is not None else None
    if key is not None:
        if obj is None and version is not None:
            raise Conflict(what, key, None, values, None, **last_change(session, model, key))
        if obj is not None:
            _check_version(session, obj, model, key, what, version, values, overwrite)
    before = snapshot(obj) if obj is not None else None
    if obj is None:
        obj = model(**values)
        session.add(obj)
    else:
        for name, value in values.items():
            setattr(obj, name, value)
    flush_or_conflict(session, what, key, values)
    return obj, before


def put_by_id(session: Session, model: type[Base], record_id: str, original_id: str | None, values: dict[str, Any],
              *, version: int | None, overwrite: bool, what: str, taken: str, fixed: str) -> tuple[Base, dict | None]:
    """``put`` for a record whose ID the person types (a case, a person, a meeting): a new one
    (``original_id`` None) needs an ID not in use (``taken`` says so), a correction keeps its ID
    (``fixed`` says so); either refusal names the ID field."""
    field = inspect(model).primary_key[0].key
    if original_id is None and session.get(model, record_id) is not None:
        raise ValidationFailed({field: taken}, what)
    if original_id is not None and original_id != record_id:
        raise ValidationFailed({field: fixed}, what)
    return put(session, model, (record_id,) if original_id else None, values,
               version=version if original_id else None, overwrite=overwrite, what=what)


def put_numbered(session: Session, model: type[Base], record_id: int | None, values: dict[str, Any], *,
                 version: int | None, overwrite: bool, what: str, description: str) -> Change:
    """``put`` for a record the database numbers (a letter, a leave, an attendance, a submission):
    a new one when ``record_id`` is None (or 0), else the one with that number; returns the
    undoable ``Change`` under the number it has now."""
    obj, before = put(session, model, (record_id,) if record_id else None, values, version=version,
                      overwrite=overwrite, what=what)
    return Change(model, (obj.id,), before, description, obj.version)


def remove(session: Session, model: type[Base], key: tuple[Any, ...], what: str, *,
           version: int | None = None) -> dict[str, Any]:
    """Delete the record at ``key`` if it is still at ``version`` (None: no check)."""
    obj = session.get(model, key, options=_ALL)
    if obj is None:
        if version is not None:
            raise Conflict(what, key, None, None, None, **last_change(session, model, key))
        raise NotFound(f"That {what} no longer exists.")
    _check_version(session, obj, model, key, what, version, None, overwrite=False)
    before = snapshot(obj)
    session.delete(obj)
    flush_or_conflict(session, what, key, None)
    return before


def delete_one(db: Database, permission: Permission, model: type[Base], key: tuple[Any, ...], what: str,
               description: str, *, version: int | None = None) -> Change:
    """Delete the record at ``key`` in its own transaction (``remove``) and return the undoable
    ``Change``: what every plain "delete" of a list screen does, written once."""
    with db.transaction(permission) as session:
        before = remove(session, model, key, what, version=version)
    return Change(model, key, before, description)


def next_free_id(db: Database, column: Any, prefix: str, width: int = 3) -> str:
    """The first ``prefix`` + number (``S-004``) not yet used in ``column``: an ID offered in a
    new record's form, which the person may change."""
    with db.reader() as session:
        taken = set(session.scalars(select(column).where(column.like(f"{prefix}%"))))
    n = 1
    while f"{prefix}{n:0{width}d}" in taken:
        n += 1
    return f"{prefix}{n:0{width}d}"


def version_after(session: Session, model: type[Base], key: tuple[Any, ...]) -> int | None:
    """The record's version once a change is flushed (what an undo of that change expects)."""
    obj = session.get(model, key, options=_ALL)
    return getattr(obj, "version", None) if obj is not None else None


#: Which permission undoing a change of each table needs: the one that made the change.
UNDO_PERMISSION: dict[str, Permission] = {
    "cases": Permission.CASES, "data_entries": Permission.CASES, "staff": Permission.STAFF,
    "role_assignments": Permission.STAFF, "absences": Permission.STAFF, "meetings": Permission.MEETINGS,
    "attendance": Permission.MEETINGS, "correspondence": Permission.LETTERS,
    "dosimetry_submissions": Permission.DOSIMETRY, "program_years": Permission.PROGRAM_YEARS,
    "qip_episodes": Permission.QIP, "qip_steps": Permission.QIP, "facility": Permission.FACILITY,
}


def undo(db: Database, change: Change) -> Change:
    """Put the record back as it was before ``change`` (``Conflict`` if someone changed it since);
    returns the change that undoing made, whose own undo is the redo."""
    what = table_words(change.model.__tablename__)
    with db.transaction(UNDO_PERMISSION[change.model.__tablename__]) as session:
        obj = session.get(change.model, change.key, options=_ALL)
        if obj is not None and change.version is not None and getattr(obj, "version", None) != change.version:
            raise Conflict(what, change.key, snapshot(obj), change.before, getattr(obj, "version", None),
                           **last_change(session, change.model, change.key))
        before = snapshot(obj) if obj is not None else None
        description = f"undo of: {change.description}" if not change.description.startswith("undo of: ") \
            else change.description.removeprefix("undo of: ")
        if change.before is None:
            if obj is not None:
                session.delete(obj)
            return Change(change.model, change.key, before, description, None)
        restored = {k: v for k, v in change.before.items() if k != "version"}
        if obj is None:
            obj = change.model(**restored)
            session.add(obj)
        else:
            for name, value in restored.items():
                setattr(obj, name, value)
        session.flush()
        return Change(change.model, change.key, before, description, getattr(obj, "version", None))


class History:
    """One screen's edits, newest last: ``undo`` steps back one edit at a time, ``redo`` forward
    again; a new edit after undoing drops what was undone. A step is a list of changes made
    together (a bulk status change) and is undone together."""

    def __init__(self, limit: int = 100) -> None:
        self.limit = limit
        self.done: list[list[Change]] = []
        self.undone: list[list[Change]] = []

    def record(self, changes: Change | list[Change] | None) -> None:
        step = [changes] if isinstance(changes, Change) else list(changes or [])
        if not step:
            return
        self.done.append(step)
        del self.done[:-self.limit]
        self.undone.clear()

    def can_undo(self) -> bool:
        return bool(self.done)

    def can_redo(self) -> bool:
        return bool(self.undone)

    def next_undo(self) -> str:
        return self._describe(self.done)

    def next_redo(self) -> str:
        return self._describe(self.undone)

    @staticmethod
    def _describe(stack: list[list[Change]]) -> str:
        if not stack:
            return ""
        step = stack[-1]
        text = step[0].description.removeprefix("undo of: ")
        return text if len(step) == 1 else f"{text} and {len(step) - 1} more"

    def undo(self, db: Database) -> list[Change]:
        """Undo the newest edit (``Conflict``: someone changed the record since; that edit is dropped)."""
        return self._step(db, self.done, self.undone)

    def redo(self, db: Database) -> list[Change]:
        return self._step(db, self.undone, self.done)

    @staticmethod
    def _step(db: Database, source: list[list[Change]], target: list[list[Change]]) -> list[Change]:
        if not source:
            return []
        step = source.pop()
        inverse = []
        for change in reversed(step):
            made = undo(db, change)
            inverse.append(made)
            # the record is back as it was before ``change``, but at a new version: the older
            # steps that expect it as it was then expect that new version now
            was = (change.before or {}).get("version")
            if was is not None and made.version is not None and was != made.version:
                for stack in (source, target):
                    stack[:] = [[replace(c, version=made.version)
                                 if c.model is change.model and c.key == change.key and c.version == was else c
                                 for c in s] for s in stack]
        target.append(inverse)
        return inverse
