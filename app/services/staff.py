"""People and the roles they hold: who is champion, physics lead, CDA, and when."""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select

from app.domain.dates import DEFAULT_DATE_FORMAT, format_date
from app.domain.permissions import Permission
from app.domain.records import StaffRecord, validate_role, validate_staff
from app.domain.vocabulary import REQUIRED_ROLES, ROLES, SINGLE_HOLDER_ROLES, label
from app.services.editing import (
    Change,
    NotFound,
    ValidationFailed,
    delete_one,
    next_free_id,
    put_by_id,
    put_numbered,
    remove,
    require_valid,
    version_after,
)
from app.storage.database import Database
from app.storage.models import Absence, Attendance, DosimetrySubmission, RoleAssignment, Staff


def list_staff(db: Database) -> list[StaffRecord]:
    with db.reader() as session:
        return [
            StaffRecord(**{f.name: getattr(s, f.name) for f in dataclasses.fields(StaffRecord)})
            for s in session.scalars(select(Staff).order_by(Staff.name))
        ]


def save_staff(db: Database, record: StaffRecord, *, original_id: str | None = None, overwrite: bool = False) -> Change:
    record = dataclasses.replace(
        record, staff_id=record.staff_id.strip(), name=record.name.strip(),
        cmd_id=(record.cmd_id or "").strip() or None, arrt_id=(record.arrt_id or "").strip() or None,
        email=(record.email or "").strip() or None, physician_title=record.physician_title or None,
    )
    require_valid(validate_staff(record), "person")
    with db.transaction(Permission.STAFF) as session:
        _, before = put_by_id(session, Staff, record.staff_id, original_id, dataclasses.asdict(record),
                              version=record.version, overwrite=overwrite, what="person",
                              taken=f"staff ID {record.staff_id} is taken", fixed="a staff ID cannot be changed")
        after = version_after(session, Staff, (record.staff_id,))
    return Change(Staff, (record.staff_id,), before, f"{'Added' if before is None else 'Updated'} {record.name}", after)


def next_staff_id(db: Database) -> str:
    """A free staff ID (``S-001``…) offered for a new person; any other may be typed."""
    return next_free_id(db, Staff.staff_id, "S-")


def delete_staff(db: Database, staff_id: str, *, version: int | None = None) -> Change:
    with db.transaction(Permission.STAFF) as session:
        for model, what in ((Attendance, "meeting attendance"), (DosimetrySubmission, "dosimetry submissions"),
                            (RoleAssignment, "role assignments"), (Absence, "leave on record")):
            if session.scalars(select(model).where(model.staff_id == staff_id).limit(1)).first() is not None:
                raise ValidationFailed({"staff_id": f"this person has {what} on record; end their roles instead"}, "person")
        before = remove(session, Staff, (staff_id,), "person", version=version)
    return Change(Staff, (staff_id,), before, f"Deleted {before['name']}")


@dataclass(frozen=True)
class RoleRow:
    id: int
    staff_id: str
    name: str
    role: str
    start: dt.date
    end: dt.date | None
    version: int = 1


def list_roles(db: Database) -> list[RoleRow]:
    stmt = (
        select(RoleAssignment, Staff.name)
        .join(Staff, Staff.staff_id == RoleAssignment.staff_id)
        .order_by(RoleAssignment.role, RoleAssignment.start)
    )
    with db.reader() as session:
        return [RoleRow(r.id, r.staff_id, name, r.role, r.start, r.end, r.version) for r, name in session.execute(stmt)]


def save_role(
    db: Database, staff_id: str, role: str, start: dt.date | None, end: dt.date | None,
    *, assignment_id: int | None = None, version: int | None = None, overwrite: bool = False,
) -> Change:
    require_valid(validate_role(role, start, end), "role assignment")
    with db.transaction(Permission.STAFF) as session:
        if session.get(Staff, staff_id) is None:
            raise ValidationFailed({"staff_id": f"there is no staff member {staff_id}"}, "role assignment")
        if assignment_id is not None and version is None and session.get(RoleAssignment, assignment_id) is None:
            raise NotFound("That role assignment no longer exists.")
        change = put_numbered(session, RoleAssignment, assignment_id,
                              {"staff_id": staff_id, "role": role, "start": start, "end": end},
                              version=version, overwrite=overwrite, what="role assignment",
                              description=f"{label(role)} assignment saved")
    return change


def delete_role(db: Database, assignment_id: int, *, version: int | None = None) -> Change:
    return delete_one(db, Permission.STAFF, RoleAssignment, (assignment_id,), "role assignment",
                      "Role assignment deleted", version=version)


def holders_on(roles: list[RoleRow], role: str, day: dt.date) -> list[RoleRow]:
    return [r for r in roles if r.role == role and r.start <= day and (r.end is None or r.end >= day)]


@dataclass(frozen=True)
class RoleWarning:
    """Something about the roles to act on, as values: ``kind`` is ``vacant`` (nobody holds the
    role on ``day``), ``falls_vacant`` (after ``day``, nobody named to follow) or ``overlap`` (two
    holders, ``names``, from ``day`` to ``until``, None: onwards); ``words`` says it."""

    kind: str
    role: str
    day: dt.date
    names: tuple[str, ...] = ()
    until: dt.date | None = None

    def words(self, date_style: str = DEFAULT_DATE_FORMAT) -> str:
        role, day = label(self.role), format_date(self.day, date_style)
        if self.kind == "vacant":
            return f"{role}: nobody holds this required role on {day}."
        if self.kind == "falls_vacant":
            return f"{role}: falls vacant after {day}; name a successor."
        until = "onwards" if self.until is None else f"to {format_date(self.until, date_style)}"
        return f"{role}: {self.names[0]} and {self.names[1]} overlap from {day} {until}."


def role_warning_items(roles: list[RoleRow], day: dt.date, horizon_days: int) -> list[RoleWarning]:
    """What a coordinator should act on at ``day`` (the window's as-of date): a required role
    vacant or falling vacant within the horizon (the policy's ``roles.vacancy_warning_days``),
    two champions or physics leads at once."""
    warnings = []
    horizon = day + dt.timedelta(days=horizon_days)
    for role in REQUIRED_ROLES:
        current = holders_on(roles, role, day)
        if not current:
            warnings.append(RoleWarning("vacant", role, day))
            continue
        if all(r.end is not None and r.end < horizon for r in current):
            last_day = max(r.end for r in current if r.end is not None)
            successor = holders_on(roles, role, last_day + dt.timedelta(days=1))
            if not successor:
                warnings.append(RoleWarning("falls_vacant", role, last_day))
    for role in SINGLE_HOLDER_ROLES:
        rows = sorted((r for r in roles if r.role == role), key=lambda r: r.start)
        for i, a in enumerate(rows):
            for b in rows[i + 1:]:
                if b.start <= (a.end or dt.date.max) and a.staff_id != b.staff_id:
                    overlap_end = min(a.end or dt.date.max, b.end or dt.date.max)
                    until = None if overlap_end == dt.date.max else overlap_end
                    warnings.append(RoleWarning("overlap", role, b.start, (a.name, b.name), until))
    return warnings


def role_warnings(roles: list[RoleRow], day: dt.date, horizon_days: int) -> list[str]:
    """``role_warning_items`` in words, with ISO dates (the command line, scripts)."""
    return [w.words() for w in role_warning_items(roles, day, horizon_days)]


def timeline(roles: list[RoleRow]) -> dict[str, list[RoleRow]]:
    """Role → its holders in order, for the roster timeline."""
    return {role: sorted((r for r in roles if r.role == role), key=lambda r: r.start) for role in ROLES}
