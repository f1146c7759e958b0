"""Hand-built snapshots for the rule tests: a small facility whose parts each test changes."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from app.rules.policy_file import load_policy_file
from app.rules.snapshot import (
    AbsenceInfo,
    AttendanceInfo,
    FacilityInfo,
    FacilitySnapshot,
    MeetingInfo,
    Person,
    RoleSpan,
)

D = dt.date
POLICY = load_policy_file(2025)
AS_OF = D(2025, 6, 30)
JOINED = D(2018, 1, 1)

PEOPLE = {p.staff_id: p for p in (
    Person("CC", "Dr. Champion", "radiation_oncologist", works_on_mroqc=True, treats_mroqc_patients=True),
    Person("RO2", "Dr. Second", "radiation_oncologist", treats_mroqc_patients=True),
    Person("RO3", "Dr. Elsewhere", "radiation_oncologist", treats_mroqc_patients=False),
    Person("CMO", "Dr. Chief", "physician", physician_title="cmo"),
    Person("DOC", "Dr. Other", "physician", physician_title="other"),
    Person("RES", "Dr. Resident", "resident"),
    Person("PA", "Pat Assistant", "physician_assistant"),
    Person("PL", "Phys Lead", "physicist", works_on_mroqc=True),
    Person("PH2", "Phys Two", "physicist", works_on_mroqc=True),
    Person("PH3", "Phys Outside", "physicist", works_on_mroqc=False),
    Person("DOS", "Dosi Metrist", "dosimetrist", works_on_mroqc=True, cmd_id="CMD-1"),
    Person("CDA", "Cee Dee", "cda", works_on_mroqc=True),
    Person("CDA2", "Cee Two", "cda", works_on_mroqc=True),
    Person("RN", "Nurse Helper", "nurse", works_on_mroqc=True),
    Person("ADM", "Admin", "administrator", works_on_mroqc=False),
)}
ROLES = (
    RoleSpan("CC", "clinical_champion", JOINED),
    RoleSpan("PL", "physics_lead", JOINED),
    RoleSpan("CDA", "cda", JOINED),
    RoleSpan("ADM", "administrative_lead", JOINED),
    RoleSpan("DOS", "dosimetry_representative", JOINED),
)


def snapshot(**changes) -> FacilitySnapshot:
    base = FacilitySnapshot(
        facility=FacilityInfo("Test RO", JOINED, 2018, 4, ("breast", "lung", "prostate", "bone_mets")),
        staff=dict(PEOPLE), roles=ROLES,
        last_enrollment={p: AS_OF for p in ("breast", "lung", "prostate", "bone_mets")},
        last_activity=AS_OF,
    )
    return replace(base, **changes)


def meeting(mid: str, day: dt.date, fmt: str = "in_person") -> MeetingInfo:
    return MeetingInfo(mid, day, fmt)


def full_attendance(mid: str) -> list[AttendanceInfo]:
    return [AttendanceInfo(mid, "clinical_champion", "CC"), AttendanceInfo(mid, "physics_lead", "PL"),
            AttendanceInfo(mid, "cda", "CDA")]


def pause(start: dt.date, end: dt.date, approved: bool = True, project: str | None = None) -> AbsenceInfo:
    return AbsenceInfo("enrollment_pause", start, end, approved, None, project)


def leave(staff: str, start: dt.date, end: dt.date, approved: bool = True) -> AbsenceInfo:
    return AbsenceInfo("leave", start, end, approved, staff)
