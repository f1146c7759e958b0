"""Fill a new database with a realistic synthetic facility, the same one every time for a seed.

A mid-size hospital joins MROQC some years before the as-of date and carries on: 400–600 cases
a year over the four projects with seasonality, a staff of about twenty with role handovers,
three or four collaborative-wide meetings a year, the registry work those cases cause, letters,
absences and the consortium's yearly verdicts. Along the way it runs into the situations the
policy rules exist for, so a demo shows every screen and finding with something in it.

Each part draws from its own random stream derived from the seed (never the global generator or
the clock), so the same options give identical data. Cases and the rows that scale with them are
written in chunks with Core bulk inserts inside one transaction: 200,000 cases take seconds and
never sit in memory at once. The demo writes one summary audit entry, not one per row: it is a
fixture, not a series of edits.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from sqlalchemy import func, select

from app.demo.cases import CaseFactory, WorkCalendar, default_total
from app.demo.meetings import AttendanceBuilder, schedule
from app.demo.office import correspondence, program_years
from app.demo.staff import absences, assignments, away_days, roster
from app.demo.timeline import Timeline, plan_timeline
from app.domain.permissions import Permission
from app.domain.security_policy import security_policy
from app.domain.vocabulary import PROJECTS
from app.domain.wording import DEFAULT_TIME_ZONE
from app.storage import audit
from app.storage.bulk import CHUNK, BulkWriter
from app.storage.database import Database
from app.storage.models import (
    Absence,
    Attendance,
    Case,
    Correspondence,
    DataEntry,
    DosimetrySubmission,
    Facility,
    Meeting,
    ProgramYear,
    RoleAssignment,
    Staff,
)

FACILITY_NAME = "Lakeside Regional Cancer Center (demo)"
DEFAULT_AS_OF = dt.date(2025, 6, 30)


@dataclass(frozen=True)
class DemoOptions:
    """``patients``: total cases over all years (None: a mid-size facility's volume);
    ``years``: how long before ``as_of`` the facility joined."""

    patients: int | None = None
    years: int = 5
    seed: int = 1
    as_of: dt.date = DEFAULT_AS_OF


@dataclass(frozen=True)
class DemoSummary:
    facility: str
    joined: dt.date
    as_of: dt.date
    counts: dict[str, int]

    def __str__(self) -> str:
        parts = ", ".join(f"{n:,} {table}" for table, n in self.counts.items())
        return (f"Demo facility '{self.facility}': joined {self.joined.isoformat()}, "
                f"data up to {self.as_of.isoformat()}.\n{parts}.")


def _stream(seed: int, part: str) -> random.Random:
    """An independent, reproducible random stream per part, so changing how meetings are drawn
    does not reshuffle the cases (string seeds are hashed with SHA-512: stable across runs)."""
    return random.Random(f"mroqc-demo:{seed}:{part}")


def _facility(timeline: Timeline, oncologists: int) -> dict:
    """All projects active; the policy in force at each date (Settings: Automatic), as a new facility has."""
    policy_year = None
    return {"name": FACILITY_NAME, "kind": "hospital", "radiation_oncologists": oncologists,
            "joined_on": timeline.joined, "baseline_year": timeline.joined.year,
            "active_projects": ",".join(PROJECTS), "enrollment_period_start": "01-01", "policy_year": policy_year,
            "lock_after_minutes": security_policy().idle_default_minutes, "date_format": "iso",
            "time_zone": DEFAULT_TIME_ZONE}


def _write_cases(writer: BulkWriter, factory: CaseFactory, total: int) -> dict[str, int]:
    """Stream the cases with their registry entries and dosimetry, one chunk at a time."""
    counts = {"cases": 0, "data entries": 0, "dosimetry submissions": 0}
    cases: list[dict] = []
    entries: list[dict] = []
    doses: list[dict] = []

    def flush() -> None:
        counts["cases"] += writer.insert(Case, cases)
        counts["data entries"] += writer.insert(DataEntry, entries)
        counts["dosimetry submissions"] += writer.insert(DosimetrySubmission, doses)
        cases.clear()
        entries.clear()
        doses.clear()

    for case, case_entries, dose in factory.stream(total):
        cases.append(case)
        entries.extend(case_entries)
        if dose is not None:
            doses.append(dose)
        if len(cases) >= CHUNK:
            flush()
    flush()
    return counts


def generate_demo(db: Database, options: DemoOptions) -> DemoSummary:
    """Write the whole demo facility into ``db`` (new, migrated, no facility) in one transaction."""
    timeline = plan_timeline(_stream(options.seed, "timeline"), options.as_of, options.years)
    people_rng = _stream(options.seed, "staff")
    oncologists = people_rng.randint(3, 6)
    staff = roster(people_rng, timeline, oncologists)
    roles = assignments(timeline)
    away = absences(people_rng, timeline, roles)
    meetings = schedule(_stream(options.seed, "meetings"), timeline)
    attendance = AttendanceBuilder(_stream(options.seed, "attendance"), staff, roles).build(meetings)
    office_rng = _stream(options.seed, "office")
    letters = correspondence(office_rng, timeline)
    verdicts = program_years(office_rng, timeline)
    case_rng = _stream(options.seed, "cases")
    total = options.patients if options.patients is not None else default_total(case_rng, timeline)
    factory = CaseFactory(case_rng, timeline, WorkCalendar(timeline, roles, away_days(away)))

    with db.transaction(Permission.IMPORT) as session:
        session.info["audited"] = False  # a bulk fixture: one summary entry below instead of one per row
        writer = BulkWriter(session)
        writer.insert(Facility, [_facility(timeline, oncologists)])
        counts = {"staff": writer.insert(Staff, [p.row() for p in staff]),
                  "role assignments": writer.insert(RoleAssignment, [a.row() for a in roles]),
                  "absences": writer.insert(Absence, away)}
        counts.update(_write_cases(writer, factory, max(0, total)))
        counts.update({"meetings": writer.insert(Meeting, meetings),
                       "attendance records": writer.insert(Attendance, attendance),
                       "letters": writer.insert(Correspondence, letters),
                       "program years": writer.insert(ProgramYear, verdicts)})
        summary = DemoSummary(FACILITY_NAME, timeline.joined, options.as_of, counts)
        tables = {model.__tablename__: session.scalar(select(func.count()).select_from(model))
                  for model in (Facility, Staff, RoleAssignment, Absence, Case, DataEntry, DosimetrySubmission,
                                Meeting, Attendance, Correspondence, ProgramYear)}
        audit.bulk_note(session, f"Demo facility generated (seed {options.seed}): {summary}".replace("\n", " "), tables)
    return summary
