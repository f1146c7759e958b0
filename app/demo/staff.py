"""The demo facility's people, who held which role when, and who was away.

The staff IDs are fixed (``RO-01``, ``CDA-02``, ...) so the story reads the same for every seed;
the names are drawn from invented lists, and the number of radiation oncologists varies with the
seed. Every person is fictitious; e-mail addresses use the reserved ``.invalid`` domain.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import asdict, dataclass

from app.demo.timeline import Timeline, Window, days, monday_on_or_after
from app.domain.records import StaffRecord

FIRST_NAMES = (
    "Avery", "Jordan", "Morgan", "Riley", "Casey", "Taylor", "Sam", "Robin", "Drew", "Jamie", "Alexis",
    "Peyton", "Kendall", "Harper", "Reese", "Dakota", "Skyler", "Emerson", "Rowan", "Finley", "Marlowe",
    "Sloane", "Ainsley", "Bellamy", "Corin", "Ellis", "Hollis", "Linden",
)
LAST_NAMES = (
    "Linden", "Pike", "Hale", "Quinn", "Marsh", "Brook", "Ellery", "Castell", "Halvorsen", "Okafor",
    "Varga", "Lund", "Ruiz", "Nguyen", "Abara", "Stein", "Moss", "Dale", "Tate", "Wrenfield",
    "Ambergate", "Coldwater", "Fernsby", "Greystone", "Hollowell", "Kingsmere", "Mapleton", "Thornbury",
)
EMAIL_DOMAIN = "lakeside-demo.invalid"


#: One row of the staff table: the staff record the forms and the workbook import use, so its
#: fields are declared once (``app.domain.fields.STAFF``).
Person = StaffRecord


@dataclass(frozen=True)
class Assignment:
    staff_id: str
    role: str
    start: dt.date
    end: dt.date | None

    def holds(self, role: str, day: dt.date) -> bool:
        return self.role == role and self.start <= day and (self.end is None or day <= self.end)

    def row(self) -> dict:
        return asdict(self)


#: (staff_id, profession, title, works_on_mroqc, cmd_id, arrt_id) of everyone but the oncologists.
_OTHERS: tuple[tuple[str, str, str | None, bool, str | None, str | None], ...] = (
    ("MD-01", "physician", "cmo", False, None, None),
    ("MD-02", "physician", "chief_of_quality", False, None, None),
    ("RES-01", "resident", None, False, None, None),
    ("PHY-01", "physicist", None, True, None, None),
    ("PHY-02", "physicist", None, True, None, None),
    ("PHY-03", "physicist", None, False, None, None),
    ("DOS-01", "dosimetrist", None, True, "CMD-D10432", None),
    ("DOS-02", "dosimetrist", None, True, "CMD-D22871", None),
    ("DOS-03", "dosimetrist", None, False, None, None),  # still working toward the CMD
    ("CDA-01", "cda", None, True, None, None),
    ("CDA-02", "cda", None, True, None, None),
    ("CDA-03", "cda", None, True, None, None),
    ("ADM-01", "administrator", None, True, None, None),
    ("RN-01", "nurse", None, True, None, None),
    ("RN-02", "nurse", None, False, None, None),
    ("RTT-01", "other", None, False, None, "ARRT-558120"),
    ("RTT-02", "other", None, False, None, "ARRT-604377"),
    ("NP-01", "nurse_practitioner", None, False, None, None),
)
_DOCTORS = ("radiation_oncologist", "physician", "resident")


def _names(rng: random.Random, count: int) -> list[str]:
    """``count`` distinct invented names."""
    pairs = [(f, last) for f in FIRST_NAMES for last in LAST_NAMES if f != last]
    return [f"{first} {last}" for first, last in rng.sample(pairs, count)]


def _pgip_since(number: int, timeline: Timeline) -> dt.date | None:
    """Staggered PGIP memberships: long-standing, recent (under a year: not yet VBR-eligible), none."""
    joined, as_of = timeline.joined, timeline.as_of
    return {
        1: dt.date(joined.year - 3, 7, 1),
        2: dt.date(joined.year - 1, 1, 1),
        3: as_of - dt.timedelta(days=200),
        4: None,
        5: joined,
        6: dt.date(as_of.year - 2, 4, 1),
    }[number]


def roster(rng: random.Random, timeline: Timeline, oncologists: int) -> list[Person]:
    """Everyone on staff: 3–6 radiation oncologists plus physicians, physics, CDAs and others."""
    names = iter(_names(rng, oncologists + len(_OTHERS)))
    people = []
    for number in range(1, oncologists + 1):
        staff_id = f"RO-{number:02d}"
        people.append(Person(
            staff_id, f"Dr. {next(names)}", "radiation_oncologist",
            works_on_mroqc=number <= 2, treats_mroqc_patients=number <= 3 or number == 5,
            pgip_member_since=_pgip_since(number, timeline), email=f"{staff_id.lower()}@{EMAIL_DOMAIN}",
        ))
    for staff_id, profession, title, works, cmd_id, arrt_id in _OTHERS:
        name = next(names)
        people.append(Person(
            staff_id, f"Dr. {name}" if profession in _DOCTORS else name, profession, physician_title=title,
            works_on_mroqc=works, cmd_id=cmd_id, arrt_id=arrt_id, email=f"{staff_id.lower()}@{EMAIL_DOMAIN}",
        ))
    return people


def assignments(timeline: Timeline) -> list[Assignment]:
    """Roles over time: a champion handover, overlapping CDAs, a physics-lead change and a
    dosimetry-representative gap, so the Staff & roles history has something to show."""
    at = timeline.at
    joined = timeline.joined
    handover, physics_handover = at(0.55), at(0.8)
    rep_gap_start = at(0.6)
    rep_gap_end = rep_gap_start + dt.timedelta(days=75)
    before = dt.timedelta(days=1)
    return [
        Assignment("RO-01", "clinical_champion", joined, handover - before),
        Assignment("RO-02", "clinical_champion", handover, None),
        Assignment("PHY-02", "physics_lead", joined, physics_handover - before),
        Assignment("PHY-01", "physics_lead", physics_handover, None),
        Assignment("CDA-01", "cda", joined, None),
        Assignment("CDA-03", "cda", joined, at(0.45)),
        Assignment("CDA-02", "cda", at(0.25), None),
        Assignment("ADM-01", "administrative_lead", joined, None),
        Assignment("DOS-01", "dosimetry_representative", joined, rep_gap_start - before),
        Assignment("DOS-02", "dosimetry_representative", rep_gap_end, None),
    ]


def holders(roles: list[Assignment], role: str, day: dt.date) -> list[str]:
    return [a.staff_id for a in roles if a.holds(role, day)]


VACATIONERS = ("CDA-01", "CDA-02", "CDA-03", "RO-01", "RO-02", "PHY-01", "PHY-02", "DOS-01")


def _vacations(rng: random.Random, timeline: Timeline, roles: list[Assignment]) -> list[dict]:
    """One or two weeks off a year for the people the rules care about, while they work here."""
    rows = []
    for year in timeline.years():
        for staff_id in VACATIONERS:
            for _ in range(rng.choice((1, 1, 2))):
                start = monday_on_or_after(dt.date(year, rng.randint(1, 12), rng.randint(1, 20)))
                end = start + dt.timedelta(days=rng.choice((4, 4, 8, 11)))
                if start < timeline.joined or end > timeline.as_of or not _employed(roles, staff_id, start, end):
                    continue
                if staff_id == "CDA-01" and timeline.cda_leave and _overlaps(timeline.cda_leave, start, end):
                    continue
                rows.append({"staff_id": staff_id, "kind": "vacation", "start": start, "end": end,
                             "approved": True, "project": None})
    rows = _without_duplicates(rows)
    for row in rng.sample(rows, min(2, len(rows))):
        row["approved"] = False  # requested but turned down: the person worked after all
    return rows


def _employed(roles: list[Assignment], staff_id: str, start: dt.date, end: dt.date) -> bool:
    """CDAs only take vacations while they hold the role (the others are always employed)."""
    cda_terms = [a for a in roles if a.staff_id == staff_id and a.role == "cda"]
    if not cda_terms:
        return True
    return any(a.start <= start and (a.end is None or end <= a.end) for a in cda_terms)


def _overlaps(window: Window, start: dt.date, end: dt.date) -> bool:
    return start <= window.end and window.start <= end


def _without_duplicates(rows: list[dict]) -> list[dict]:
    """The absences table is keyed on (staff, kind, start, project): keep the first of each."""
    seen: set[tuple] = set()
    kept = []
    for row in rows:
        key = (row["staff_id"], row["kind"], row["start"], row["project"])
        if key not in seen:
            seen.add(key)
            kept.append(row)
    return kept


def absences(rng: random.Random, timeline: Timeline, roles: list[Assignment]) -> list[dict]:
    """Vacations (two of them not approved), a CDA's leave and the facility's enrollment pause."""
    rows = _vacations(rng, timeline, roles)
    if timeline.cda_leave:
        rows.append({"staff_id": "CDA-01", "kind": "leave", "start": timeline.cda_leave.start,
                     "end": timeline.cda_leave.end, "approved": True, "project": None})
    if timeline.pause:
        rows.append({"staff_id": None, "kind": "enrollment_pause", "start": timeline.pause.start,
                     "end": timeline.pause.end, "approved": True, "project": timeline.pause_project})
    return sorted(rows, key=lambda r: (r["start"], r["staff_id"] or "", r["kind"]))


def away_days(rows: list[dict]) -> set[tuple[str, dt.date]]:
    """(staff_id, day) for every day someone was on an approved leave or vacation."""
    away: set[tuple[str, dt.date]] = set()
    for row in rows:
        if row["staff_id"] and row["approved"]:
            away.update((row["staff_id"], day) for day in days(row["start"], row["end"]))
    return away
