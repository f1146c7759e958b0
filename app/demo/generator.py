"""Fill a new database with a realistic synthetic facility, deterministically for a seed.

Volumes follow a mid-size facility (about 300–700 cases a year over the four projects, with
seasonality and a bone-metastases primary mix). Cases and the rows that scale with them are
generated in chunks and written with Core bulk inserts, so ``--patients 200000`` fits in memory
and time. Only one summary audit entry is written: the demo is a fixture, not a series of edits.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from dataclasses import dataclass, field

from sqlalchemy import insert
from sqlalchemy.orm import Session

from app.demo import people
from app.demo.people import STAFF, assignments, cda_holders, holder
from app.storage import audit
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

CHUNK = 10_000
DEFAULT_CASES_PER_YEAR = (380, 620)
PROJECT_MIX = (("breast", 0.40), ("prostate", 0.22), ("lung", 0.23), ("bone_mets", 0.15))
BONE_METS_MIX = (("breast", 0.30), ("lung", 0.30), ("prostate", 0.25), ("melanoma", 0.08), ("renal_cell", 0.07))
#: Relative case volume per month: a summer dip and a December dip.
MONTH_WEIGHTS = (1.05, 1.0, 1.1, 1.05, 1.0, 0.9, 0.8, 0.85, 1.0, 1.1, 1.0, 0.75)
PAYER_MIX = (("bcbsm", 0.12), ("bcn", 0.04), ("medicare", 0.52), ("medicaid", 0.12), ("other", 0.17), ("uninsured", 0.03))
NOT_ENROLLED_MIX = (("declined", 0.45), ("unable_to_consent", 0.15), ("not_treated", 0.15), ("transferred", 0.1),
                    ("deceased", 0.06), ("ineligible_on_review", 0.06), ("other", 0.02), ("measure_criteria", 0.01))
TECHNIQUES = {"breast": (("3D-CRT", 40.05, 15), ("IMRT", 42.56, 16), ("3D-CRT", 50.0, 25), ("IMRT", 26.0, 5)),
              "lung": (("VMAT", 60.0, 30), ("SBRT", 54.0, 3), ("SBRT", 50.0, 5), ("IMRT", 66.0, 33))}
MEETING_MONTHS = ((3, 12), (6, 11), (9, 17), (12, 4))
DECISION_DAYS = 21  # recent cases are still pending while the team decides


@dataclass(frozen=True)
class DemoOptions:
    patients: int | None = None
    years: int = 5
    seed: int = 1
    as_of: dt.date = field(default_factory=lambda: dt.date(2025, 6, 30))


@dataclass
class DemoSummary:
    facility: str
    start: dt.date
    as_of: dt.date
    counts: dict[str, int]

    def __str__(self) -> str:
        parts = ", ".join(f"{n:,} {table}" for table, n in self.counts.items())
        return f"Demo facility '{self.facility}' from {self.start.isoformat()} to {self.as_of.isoformat()}: {parts}."


def pick(rng: random.Random, mix: tuple[tuple[str, float], ...]) -> str:
    return rng.choices([k for k, _ in mix], weights=[w for _, w in mix])[0]


def _days(start: dt.date, end: dt.date) -> list[dt.date]:
    return [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]


def _case_dates(rng: random.Random, start: dt.date, as_of: dt.date, total: int) -> list[dt.date]:
    days = [d for d in _days(start, as_of) if d.weekday() < 5]
    weights = [MONTH_WEIGHTS[d.month - 1] for d in days]
    return sorted(rng.choices(days, weights=weights, k=total))


def _insert(session: Session, model: type, rows: list[dict]) -> None:
    for i in range(0, len(rows), CHUNK):
        session.execute(insert(model), rows[i:i + CHUNK])


class _Builder:
    """Generates the facility table by table; one instance per demo run."""

    def __init__(self, options: DemoOptions) -> None:
        self.o = options
        self.rng = random.Random(options.seed)
        self.start = dt.date(options.as_of.year - options.years + 1, 1, 15)
        self.roles = assignments(self.start, options.as_of)
        self.counts: dict[str, int] = {}
        self.absent: set[tuple[str, dt.date]] = set()  # (cda staff_id, day) on approved leave

    def facility(self) -> dict:
        return {"id": 1, "name": "Lakeside Regional Cancer Center (demo)", "kind": "hospital", "radiation_oncologists": 4,
                "joined_on": self.start, "baseline_year": self.start.year, "active_projects": "breast,lung,prostate,bone_mets",
                "enrollment_period_start": "01-01", "policy_year": None}

    def staff(self) -> list[dict]:
        rows = []
        for p in STAFF:
            since = dt.date(self.start.year - p.pgip_years_before, 7, 1) if p.pgip_years_before is not None else None
            if p.staff_id == "RO-03":
                since = self.o.as_of - dt.timedelta(days=200)  # joined PGIP recently: not yet VBR-eligible
            rows.append({"staff_id": p.staff_id, "name": p.name, "profession": p.profession,
                         "physician_title": p.physician_title, "works_on_mroqc": p.works_on_mroqc,
                         "treats_mroqc_patients": p.treats_mroqc_patients, "cmd_id": p.cmd_id, "arrt_id": p.arrt_id,
                         "pgip_member_since": since, "email": f"{p.staff_id.lower()}@lakeside-demo.invalid"})
        return rows

    def absences(self) -> list[dict]:
        rows = []
        for year in range(self.start.year, self.o.as_of.year + 1):
            for staff_id in ("CDA-01", "CDA-02", "CDA-03", "RO-01", "RO-02", "PHY-01"):
                begin = dt.date(year, self.rng.choice((6, 7, 8)), self.rng.randint(1, 20))
                end = begin + dt.timedelta(days=self.rng.choice((4, 7, 11)))
                if end > self.o.as_of:
                    continue
                approved = self.rng.random() > 0.1
                rows.append({"staff_id": staff_id, "kind": "vacation", "start": begin, "end": end, "approved": approved,
                             "project": None})
                if approved and staff_id.startswith("CDA"):
                    self.absent.update((staff_id, d) for d in _days(begin, end))
        leave_start = self.start + dt.timedelta(days=int((self.o.as_of - self.start).days * 0.35))
        leave_end = leave_start + dt.timedelta(days=42)
        rows.append({"staff_id": "CDA-01", "kind": "leave", "start": leave_start, "end": leave_end, "approved": True,
                     "project": None})
        self.absent.update(("CDA-01", d) for d in _days(leave_start, leave_end))
        pause_start = dt.date(self.start.year + 1, 11, 20) if self.o.years > 1 else self.start + dt.timedelta(days=60)
        if pause_start < self.o.as_of:
            rows.append({"staff_id": None, "kind": "enrollment_pause", "start": pause_start,
                         "end": min(pause_start + dt.timedelta(days=30), self.o.as_of), "approved": True, "project": "lung"})
        self.pause = (pause_start, pause_start + dt.timedelta(days=30))
        return rows

    def total_cases(self) -> int:
        if self.o.patients is not None:
            return self.o.patients
        return sum(self.rng.randint(*DEFAULT_CASES_PER_YEAR) for _ in range(self.o.years))

    def cases(self) -> Iterator[tuple[dict, list[dict], dict | None]]:
        """Each case with its data-entry rows and its dosimetry submission (if any)."""
        as_of = self.o.as_of
        lung_gap_start = as_of - dt.timedelta(days=40)
        for n, eligible in enumerate(_case_dates(self.rng, self.start, as_of, self.total_cases()), start=1):
            rng = self.rng
            project = pick(rng, PROJECT_MIX)
            if project == "lung" and (lung_gap_start <= eligible or self.pause[0] <= eligible <= self.pause[1]):
                project = "prostate"  # no lung cases in the pause or the recent quiet spell
            case = {"case_id": f"MRQ-{n:07d}", "project": project, "eligible_on": eligible, "status": "pending",
                    "enrolled_on": None, "not_enrolled_reason": None, "note": None, "payer": pick(rng, PAYER_MIX),
                    "primary_site": pick(rng, BONE_METS_MIX) if project == "bone_mets" else project,
                    "mrn": f"DEMO-{n:07d}", "name": f"{rng.choice(people.FIRST_NAMES)} {rng.choice(people.LAST_NAMES)}",
                    "birth_date": eligible - dt.timedelta(days=rng.randint(38 * 365, 88 * 365))}
            roll = rng.random()
            decided = (as_of - eligible).days > DECISION_DAYS
            if roll < 0.84 and (decided or rng.random() < 0.5):
                enrolled = eligible + dt.timedelta(days=min(int(rng.expovariate(1 / 6)), 28))
                if enrolled <= as_of:
                    case["status"], case["enrolled_on"] = "enrolled", enrolled
            elif roll < 0.985 and decided:
                reason = pick(rng, NOT_ENROLLED_MIX)
                case["status"], case["not_enrolled_reason"] = "not_enrolled", reason
                if reason == "other":
                    case["note"] = rng.choice(("Moved out of state before simulation", "Enrolled in a competing trial"))
            elif decided and rng.random() < 0.8:
                case["status"], case["not_enrolled_reason"] = "not_enrolled", "declined"
            yield case, self._entries(case), self._dosimetry(case)

    def _entries(self, case: dict) -> list[dict]:
        rows = []
        anchor = case["enrolled_on"] or case["eligible_on"]
        plan = (("abstraction", 2, 12), ("pro", 10, 40), ("followup", 85, 120)) if case["enrolled_on"] else (("abstraction", 1, 8),)
        for kind, low, high in plan:
            day = anchor + dt.timedelta(days=self.rng.randint(low, high))
            if day.weekday() >= 5:
                day += dt.timedelta(days=7 - day.weekday())
            if day > self.o.as_of or self._in_lag_gap(day):
                continue
            cdas = [s for s in cda_holders(self.roles, day) if (s, day) not in self.absent]
            if cdas:
                rows.append({"date": day, "case_id": case["case_id"], "kind": kind, "staff_id": self.rng.choice(cdas)})
        return rows

    def _in_lag_gap(self, day: dt.date) -> bool:
        """A few quiet weeks in the second year (a staffing gap the QIP-DATA-LAG rule should see)."""
        gap_start = dt.date(self.start.year + 1, 2, 3) if self.o.years > 1 else self.start + dt.timedelta(days=90)
        return gap_start <= day <= gap_start + dt.timedelta(days=24)

    def _dosimetry(self, case: dict) -> dict | None:
        if case["project"] not in TECHNIQUES or not case["enrolled_on"] or self.rng.random() > 0.9:
            return None
        submitted = case["enrolled_on"] + dt.timedelta(days=self.rng.randint(7, 35))
        if submitted > self.o.as_of:
            return None
        technique, dose, fractions = self.rng.choice(TECHNIQUES[case["project"]])
        metrics = ({"mean_heart_dose_gy": round(self.rng.uniform(0.4, 4.5), 2)} if case["project"] == "breast"
                   else {"lung_v20_pct": round(self.rng.uniform(8, 32), 1), "mean_lung_dose_gy": round(self.rng.uniform(4, 18), 1)})
        return {"case_id": case["case_id"], "submitted_on": submitted, "staff_id": self.rng.choice(("DOS-01", "DOS-02", "PHY-01")),
                "technique": technique, "total_dose_gy": dose, "fractions": fractions, "metrics": metrics}

    def meetings(self) -> tuple[list[dict], list[dict]]:
        meetings, attendance = [], []
        for year in range(self.start.year, self.o.as_of.year + 1):
            schedule = MEETING_MONTHS if self.rng.random() < 0.6 else MEETING_MONTHS[:3]
            for i, (month, day) in enumerate(schedule):
                date = dt.date(year, month, day)
                if date > self.o.as_of or date < self.start:
                    continue
                fmt = "in_person" if i % 2 == 0 else "virtual"
                mid = f"MTG-{date.isoformat()}"
                meetings.append({"meeting_id": mid, "date": date, "format": fmt, "location": "Ann Arbor, MI" if fmt == "in_person" else None,
                                 "title": f"MROQC collaborative-wide meeting ({'in person' if fmt == 'in_person' else 'webinar'})"})
                attendance += self._attendance(mid, date, fmt)
        return meetings, attendance

    def _attendance(self, mid: str, date: dt.date, fmt: str) -> list[dict]:
        rows: list[dict] = []
        substitutes = {"clinical_champion": ("RO-03", "MD-01", "RES-01"), "physics_lead": ("DOS-01", "PHY-02", "DOS-03"),
                       "cda": ("CDA-02", "RN-01", "ADM-01")}
        for role, options in substitutes.items():
            roll = self.rng.random()
            person = holder(self.roles, role, date)
            if roll < 0.78 and person:
                who = person
            elif roll < 0.9:
                who = options[0]  # an acceptable substitute
            elif roll < 0.95:
                who = self.rng.choice(options[1:])  # sometimes one the policy does not accept
            else:
                continue  # nobody came for this role
            credit = None
            if fmt == "in_person" and who.startswith(("DOS", "PHY")):
                credit = "mdcb"
            rows.append({"meeting_id": mid, "role": role, "staff_id": who, "ce_credit": credit})
        if fmt == "in_person":
            rows.append({"meeting_id": mid, "role": "attendee", "staff_id": "RTT-01", "ce_credit": "arrt"})
        elif self.rng.random() < 0.3:
            rows.append({"meeting_id": mid, "role": "attendee", "staff_id": "DOS-02", "ce_credit": "mdcb"})  # no CE for webinars
        return rows

    def letters(self) -> list[dict]:
        subjects = ("Quarterly data-completeness report", "Request: missing dosimetry fields", "Site visit scheduling",
                    "Enrollment trend review", "Annual participation agreement", "Abstraction query batch",
                    "Meeting agenda and pre-read", "Data-use agreement renewal")
        rows = []
        for year in range(self.start.year, self.o.as_of.year + 1):
            for month in sorted(self.rng.sample(range(1, 13), 8)):
                received = dt.date(year, month, self.rng.randint(1, 26))
                if received > self.o.as_of or received < self.start:
                    continue
                needs_reply = self.rng.random() < 0.75
                replied = None
                if needs_reply:
                    delay = self.rng.choice((2, 5, 9, 12, 13, 20, None)) if self.rng.random() < 0.95 else None
                    if delay is not None and received + dt.timedelta(days=delay) <= self.o.as_of:
                        replied = received + dt.timedelta(days=delay)
                rows.append({"received_on": received, "subject": f"{self.rng.choice(subjects)} ({received:%b %Y})",
                             "reply_required": needs_reply, "due_on": None, "replied_on": replied})
        return rows

    def program_years(self) -> list[dict]:
        return [{"year": y, "performance_targets_met": y != self.start.year + 1}
                for y in range(self.start.year, self.o.as_of.year + 1)]


def generate_demo(db: Database, options: DemoOptions) -> DemoSummary:
    """Write the whole demo facility in one transaction."""
    b = _Builder(options)
    with db.transaction(user="demo") as session:
        session.info["audited"] = False  # bulk fixture: one summary entry below instead
        facility = b.facility()
        _insert(session, Facility, [facility])
        _insert(session, Staff, b.staff())
        _insert(session, RoleAssignment, [vars(a) for a in b.roles])
        absences = b.absences()
        _insert(session, Absence, absences)
        counts = {"cases": 0, "data entries": 0, "dosimetry submissions": 0}
        cases, entries, doses = [], [], []
        for case, case_entries, dose in b.cases():
            cases.append(case)
            entries += case_entries
            if dose:
                doses.append(dose)
            if len(cases) >= CHUNK:
                counts = _flush(session, cases, entries, doses, counts)
                cases, entries, doses = [], [], []
        counts = _flush(session, cases, entries, doses, counts)
        meetings, attendance = b.meetings()
        _insert(session, Meeting, meetings)
        _insert(session, Attendance, attendance)
        letters = b.letters()
        _insert(session, Correspondence, letters)
        _insert(session, ProgramYear, b.program_years())
        counts.update({"staff": len(STAFF), "role assignments": len(b.roles), "meetings": len(meetings),
                       "attendance records": len(attendance), "letters": len(letters), "absences": len(absences)})
        summary = DemoSummary(facility["name"], b.start, options.as_of, counts)
        audit.note(session, f"Demo facility generated (seed {options.seed}): {summary}"[:300])
    return summary


def _flush(session: Session, cases: list, entries: list, doses: list, counts: dict[str, int]) -> dict[str, int]:
    _insert(session, Case, cases)
    _insert(session, DataEntry, entries)
    _insert(session, DosimetrySubmission, doses)
    return {"cases": counts["cases"] + len(cases), "data entries": counts["data entries"] + len(entries),
            "dosimetry submissions": counts["dosimetry submissions"] + len(doses)}
