"""The Dashboard's "Getting started" checklist: what a new facility sets up in its first days.

Each step is done when the records say so (never a flag someone ticks): the facility's details,
a holder for each required role, this year's meetings, the eligible patients, a first data-entry
session. The list is for a new facility only (its records begin within ``NEW_FOR_DAYS`` of the
as-of date); a step leaves the list once done, and the list goes once every step is. Each step
names the screen that does it by its title (``ui.screens.SCREENS``); the window opens it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import exists, select

from app.domain.vocabulary import REQUIRED_ROLES
from app.services.facility import records_kept_since
from app.storage.database import Database
from app.storage.models import Case, DataEntry, Facility, Meeting, RoleAssignment

#: A facility is new, and shown the checklist, while its records began less than this many days ago.
NEW_FOR_DAYS = 365

#: The steps in the order they are shown (and best done).
FACILITY, ROLES, MEETINGS, ELIGIBLE, DATA_ENTRY = "facility", "roles", "meetings", "eligible", "data_entry"


@dataclass(frozen=True)
class Step:
    """One step of getting started: what to do, why, and the screen (by title) where it is done."""

    key: str
    title: str
    why: str
    screen: str
    done: bool


def _steps(facility: Facility | None, held: set[str], meetings: bool, cases: bool, sessions: bool,
           year: int) -> list[Step]:
    details = facility is not None and facility.radiation_oncologists > 0
    return [
        Step(FACILITY, "Enter the facility's details",
             "its kind and how many radiation oncologists it has (who may stand in for the champion depends on it)",
             "Settings", details),
        Step(ROLES, "Name the required roles",
             "a clinical champion, a physics lead and a CDA, each with the day they started", "Staff & roles",
             all(role in held for role in REQUIRED_ROLES)),
        Step(MEETINGS, f"Enter {year}'s meetings",
             "the collaborative-wide meetings of the year, then who attended each", "Meetings", meetings),
        Step(ELIGIBLE, "Import the eligible patients",
             "the EHR's list of breast, lung, prostate and bone-metastases patients (Enrollment → Import eligible patients…)",
             "Enrollment", cases),
        Step(DATA_ENTRY, "Log a first data-entry session",
             "each registry data-entry session counts as data entry (Programs → Data-entry sessions)", "Programs",
             sessions),
    ]


def checklist(db: Database, as_of: dt.date) -> list[Step]:
    """Every step at ``as_of``, done or not; empty for a facility that is not new (its records
    began ``NEW_FOR_DAYS`` or more before ``as_of``)."""
    with db.reader() as session:
        facility = session.scalars(select(Facility).limit(1)).first()
        if facility is not None and (as_of - records_kept_since(facility)).days >= NEW_FOR_DAYS:
            return []
        held = set(session.scalars(
            select(RoleAssignment.role).where(RoleAssignment.start <= as_of,
                                              (RoleAssignment.end.is_(None)) | (RoleAssignment.end >= as_of))))
        meetings = bool(session.scalar(select(exists().where(Meeting.date >= dt.date(as_of.year, 1, 1),
                                                             Meeting.date <= dt.date(as_of.year, 12, 31)))))
        cases = bool(session.scalar(select(exists().where(Case.case_id.is_not(None)))))
        sessions = bool(session.scalar(select(exists().where(DataEntry.id.is_not(None)))))
    return _steps(facility, held, meetings, cases, sessions, as_of.year)


def still_to_do(db: Database, as_of: dt.date) -> list[Step]:
    """The steps not done yet: what the Dashboard lists (none: the checklist is gone)."""
    return [step for step in checklist(db, as_of) if not step.done]
