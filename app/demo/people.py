"""The demo facility's staff and how their roles change over the years (all names invented)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class Person:
    staff_id: str
    name: str
    profession: str
    physician_title: str | None = None
    works_on_mroqc: bool = False
    treats_mroqc_patients: bool = False
    cmd_id: str | None = None
    arrt_id: str | None = None
    pgip_years_before: int | None = None  # PGIP member since this many years before the start


STAFF: tuple[Person, ...] = (
    Person("RO-01", "Dr. Avery Linden", "radiation_oncologist", works_on_mroqc=True, treats_mroqc_patients=True, pgip_years_before=3),
    Person("RO-02", "Dr. Jordan Pike", "radiation_oncologist", works_on_mroqc=True, treats_mroqc_patients=True, pgip_years_before=1),
    Person("RO-03", "Dr. Morgan Hale", "radiation_oncologist", treats_mroqc_patients=True, pgip_years_before=0),
    Person("RO-04", "Dr. Riley Quinn", "radiation_oncologist"),
    Person("MD-01", "Dr. Casey Marsh", "physician", physician_title="cmo"),
    Person("MD-02", "Dr. Taylor Brook", "physician", physician_title="chief_of_quality"),
    Person("RES-01", "Dr. Sam Ellery", "resident"),
    Person("PHY-01", "Robin Castell", "physicist", works_on_mroqc=True, cmd_id=None),
    Person("PHY-02", "Drew Halvorsen", "physicist", works_on_mroqc=True),
    Person("DOS-01", "Jamie Okafor", "dosimetrist", works_on_mroqc=True, cmd_id="CMD-D10432"),
    Person("DOS-02", "Alexis Varga", "dosimetrist", works_on_mroqc=True, cmd_id="CMD-D22871"),
    Person("DOS-03", "Peyton Lund", "dosimetrist"),
    Person("CDA-01", "Kendall Ruiz", "cda", works_on_mroqc=True),
    Person("CDA-02", "Harper Nguyen", "cda", works_on_mroqc=True),
    Person("CDA-03", "Reese Abara", "cda", works_on_mroqc=True),
    Person("ADM-01", "Dakota Stein", "administrator", works_on_mroqc=True),
    Person("RN-01", "Skyler Moss", "nurse", works_on_mroqc=True),
    Person("RTT-01", "Emerson Dale", "other", arrt_id="ARRT-558120"),
    Person("NP-01", "Rowan Tate", "nurse_practitioner"),
)


@dataclass(frozen=True)
class Assignment:
    staff_id: str
    role: str
    start: dt.date
    end: dt.date | None


def assignments(joined: dt.date, as_of: dt.date) -> list[Assignment]:
    """Roles over time: a champion handover, overlapping CDAs, a dosimetry-representative gap."""
    span = (as_of - joined).days
    handover = joined + dt.timedelta(days=int(span * 0.55))
    cda2_start = joined + dt.timedelta(days=int(span * 0.25))
    cda3_end = joined + dt.timedelta(days=int(span * 0.45))
    rep_gap_start = joined + dt.timedelta(days=int(span * 0.6))
    rep_gap_end = rep_gap_start + dt.timedelta(days=75)
    physics_handover = joined + dt.timedelta(days=int(span * 0.8))
    return [
        Assignment("RO-01", "clinical_champion", joined, handover - dt.timedelta(days=1)),
        Assignment("RO-02", "clinical_champion", handover, None),
        Assignment("PHY-02", "physics_lead", joined, physics_handover - dt.timedelta(days=1)),
        Assignment("PHY-01", "physics_lead", physics_handover, None),
        Assignment("CDA-01", "cda", joined, None),
        Assignment("CDA-02", "cda", cda2_start, None),
        Assignment("CDA-03", "cda", joined, cda3_end),
        Assignment("ADM-01", "administrative_lead", joined, None),
        Assignment("DOS-01", "dosimetry_representative", joined, rep_gap_start - dt.timedelta(days=1)),
        Assignment("DOS-02", "dosimetry_representative", rep_gap_end, None),
    ]


def holder(assignments_: list[Assignment], role: str, day: dt.date) -> str | None:
    for a in assignments_:
        if a.role == role and a.start <= day and (a.end is None or a.end >= day):
            return a.staff_id
    return None


def cda_holders(assignments_: list[Assignment], day: dt.date) -> list[str]:
    return [a.staff_id for a in assignments_ if a.role == "cda" and a.start <= day and (a.end is None or a.end >= day)]


FIRST_NAMES = ("Alex", "Blair", "Cameron", "Devon", "Elliot", "Frankie", "Gray", "Hayden", "Indigo", "Jules",
               "Kai", "Lane", "Marlow", "Noel", "Oakley", "Parker", "Quincy", "Remy", "Sage", "Tatum")
LAST_NAMES = ("Ashdown", "Birchwood", "Calloway", "Dunmore", "Everly", "Fairbanks", "Glenrock", "Holloway",
              "Ivesdale", "Juniper", "Kestrel", "Larkspur", "Merriweather", "Northcott", "Oakhurst", "Pembrook")
