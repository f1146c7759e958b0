"""Each record's fields, declared once: label, kind, choices, whether required, how long, and
whether the field identifies a patient.

The workbook's sheets (``app.workbook.schema``), the lists and forms of the screens
(``ui.record_form.fields_of``) and the patient-identifier set (``PHI_CASE_FIELDS``) are derived
from these declarations, so a field is added here and nowhere else. The storage model
(``app.storage.models``) keeps its own column types; a test checks that they agree with these
(max lengths, choices that fit).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from app.domain.vocabulary import (
    ABSENCE_KINDS,
    ATTENDANCE_ROLES,
    BONE_METS_PRIMARY_SITES,
    CASE_STATUSES,
    CE_CREDITS,
    DATA_ENTRY_KINDS,
    DOSIMETRY_TECHNIQUES,
    FACILITY_KINDS,
    MEETING_FORMATS,
    NOT_ENROLLED_REASONS,
    PAYERS,
    PHYSICIAN_TITLES,
    PROFESSIONS,
    PROJECTS,
    ROLES,
)

#: What a field holds. ``id`` is text naming a record (a staff or case ID); ``choice`` one of
#: ``choices``; ``metrics`` the dosimetry metrics (``name=value;...``); ``year`` a whole year.
#: The facility's own: ``projects`` (a comma list of projects), ``monthday`` (``MM-DD``) and
#: ``policy_year`` (a program year or none).
Kind = Literal["text", "id", "date", "bool", "choice", "int", "float", "metrics", "year", "projects", "monthday",
               "policy_year"]


@dataclass(frozen=True)
class FieldSpec:
    """One field of a record as the coordinators see it and the workbook carries it."""

    key: str
    #: The form's caption; ``&`` marks its Alt+letter.
    label: str
    kind: Kind = "text"
    choices: tuple[str, ...] = ()
    required: bool = False
    #: Characters at most; None for free text (the workbook then uses its own bound).
    max_length: int | None = None
    #: The field identifies a patient: masked in forms, left out of de-identified exports,
    #: unreadable on a shared database for the roles that may not export identifiers.
    identifies_patient: bool = False
    #: A date of something that has happened: not far in the future (``limits.latest_past_event``).
    past: bool = False
    #: ``choices`` are what the form offers, but the workbook accepts any text (a technique, a
    #: primary site outside bone metastases: the record and data-quality rules judge those).
    open_choices: bool = False
    #: The list column's heading, where shorter than the caption.
    heading: str | None = None
    #: A form shows what "none" is called for an optional choice ("(none)", "(all projects)").
    blank: str | None = None
    #: The key of an existing record is not changed in its form.
    fixed_once_saved: bool = False
    #: A whole number's smallest value (the largest is the importer's own bound).
    low: int | None = None

    @property
    def plain_label(self) -> str:
        """The label without its Alt+letter mark: how a message or a list names the field."""
        return self.label.replace("&", "")

    @property
    def column_heading(self) -> str:
        return self.heading or self.plain_label


@dataclass(frozen=True)
class RecordSpec:
    """A record's fields in the workbook's column order."""

    name: str
    fields: tuple[FieldSpec, ...]

    def __iter__(self) -> Iterator[FieldSpec]:
        return iter(self.fields)

    def __getitem__(self, key: str) -> FieldSpec:
        for f in self.fields:
            if f.key == key:
                return f
        raise KeyError(f"{self.name} has no field {key!r}")

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(f.key for f in self.fields)

    @property
    def patient_identifiers(self) -> tuple[str, ...]:
        return tuple(f.key for f in self.fields if f.identifies_patient)


STAFF = RecordSpec("staff", (
    FieldSpec("staff_id", "Staff &ID", "id", required=True, max_length=64, fixed_once_saved=True),
    FieldSpec("name", "&Name", required=True, max_length=200),
    FieldSpec("profession", "&Profession", "choice", PROFESSIONS, required=True, max_length=40),
    FieldSpec("physician_title", "Physician &title", "choice", PHYSICIAN_TITLES, max_length=40, heading="Title",
              blank="(none)"),
    FieldSpec("works_on_mroqc", "Works on &MROQC", "bool"),
    FieldSpec("treats_mroqc_patients", "Treats MROQC &patients", "bool"),
    FieldSpec("cmd_id", "&CMD ID", max_length=64),
    FieldSpec("arrt_id", "&ARRT ID", max_length=64),
    FieldSpec("pgip_member_since", "P&GIP member since", "date", past=True, heading="PGIP since"),
    FieldSpec("email", "&E-mail", max_length=200),
))

ROLE_ASSIGNMENT = RecordSpec("role assignment", (
    FieldSpec("staff_id", "&Person", "id", required=True, max_length=64),
    FieldSpec("role", "&Role", "choice", ROLES, required=True, max_length=40),
    FieldSpec("start", "&From", "date", required=True),
    FieldSpec("end", "&To (blank: continuing)", "date", heading="To"),
))

CASE = RecordSpec("case", (
    FieldSpec("case_id", "Case &ID", "id", required=True, max_length=64, fixed_once_saved=True),
    FieldSpec("project", "&Project", "choice", PROJECTS, required=True, max_length=20),
    FieldSpec("primary_site", "Primary &site", "choice", BONE_METS_PRIMARY_SITES, max_length=40, open_choices=True,
              blank="(not bone metastases)"),
    FieldSpec("eligible_on", "&Eligible on", "date", required=True, past=True),
    FieldSpec("status", "S&tatus", "choice", CASE_STATUSES, required=True, max_length=20),
    FieldSpec("enrolled_on", "Enrolled o&n", "date", past=True),
    FieldSpec("not_enrolled_reason", "Not-enrolled &reason", "choice", NOT_ENROLLED_REASONS, max_length=40, blank=""),
    FieldSpec("note", "N&ote"),
    FieldSpec("payer", "Pa&yer", "choice", PAYERS, max_length=20, blank=""),
    FieldSpec("mrn", "&MRN", max_length=64, identifies_patient=True),
    FieldSpec("name", "Patient n&ame", max_length=200, identifies_patient=True),
    FieldSpec("birth_date", "&Birth date", "date", past=True, identifies_patient=True),
))

DATA_ENTRY = RecordSpec("data-entry session", (
    FieldSpec("date", "&Date", "date", required=True, past=True),
    FieldSpec("case_id", "&Case ID (optional)", "id", max_length=64, heading="Case"),
    FieldSpec("kind", "&Kind", "choice", DATA_ENTRY_KINDS, required=True, max_length=20),
    FieldSpec("staff_id", "&By", "id", max_length=64),
))

DOSIMETRY = RecordSpec("dosimetry submission", (
    FieldSpec("case_id", "&Case ID", "id", required=True, max_length=64, heading="Case", fixed_once_saved=True),
    FieldSpec("submitted_on", "&Submitted on", "date", required=True, past=True, heading="Submitted"),
    FieldSpec("staff_id", "Submitted &by", "id", required=True, max_length=64),
    FieldSpec("technique", "&Technique", "choice", DOSIMETRY_TECHNIQUES, required=True, max_length=40,
              open_choices=True),
    FieldSpec("total_dose_gy", "Total &dose (Gy)", "float", required=True),
    FieldSpec("fractions", "&Fractions", "int", required=True),
    FieldSpec("metrics", "&Metrics (e.g. mean_heart_dose_gy=1.2;lung_v20_pct=18)", "metrics"),
))

MEETING = RecordSpec("meeting", (
    FieldSpec("meeting_id", "Meeting &ID", "id", required=True, max_length=64, fixed_once_saved=True),
    FieldSpec("date", "&Date", "date", required=True),
    FieldSpec("format", "&Format", "choice", MEETING_FORMATS, required=True, max_length=20),
    FieldSpec("title", "&Title", max_length=200),
    FieldSpec("location", "&Location", max_length=200),
))

ATTENDANCE = RecordSpec("attendance", (
    FieldSpec("meeting_id", "&Meeting", "id", required=True, max_length=64),
    FieldSpec("role", "Attended &for", "choice", ATTENDANCE_ROLES, required=True, max_length=40),
    FieldSpec("staff_id", "&Person", "id", required=True, max_length=64),
    FieldSpec("ce_credit", "&CE credit requested", "choice", CE_CREDITS, max_length=10, blank="(none)"),
))

LETTER = RecordSpec("letter", (
    FieldSpec("letter_id", "Re&ference", "id", max_length=64, fixed_once_saved=True),
    FieldSpec("received_on", "&Received on", "date", required=True, past=True, heading="Received"),
    FieldSpec("subject", "&Subject", required=True, max_length=300),
    FieldSpec("sender", "Fro&m (sender)", max_length=200, heading="From"),
    FieldSpec("reply_required", "Reply &needed", "bool", required=True),
    FieldSpec("due_on", "Reply &due", "date"),
    FieldSpec("replied_on", "Re&plied on", "date", past=True, heading="Replied"),
))

ABSENCE = RecordSpec("absence", (
    FieldSpec("staff_id", "&Person (blank: whole facility)", "id", max_length=64, blank="(whole facility)"),
    FieldSpec("kind", "&Kind", "choice", ABSENCE_KINDS, required=True, max_length=20),
    FieldSpec("start", "&From", "date", required=True),
    FieldSpec("end", "&To", "date", required=True),
    FieldSpec("approved", "&Approved", "bool", required=True),
    FieldSpec("project", "P&roject (pauses only; blank: all)", "choice", PROJECTS, max_length=20, heading="Project",
              blank="(all projects)"),
))

PROGRAM_YEAR = RecordSpec("program year", (
    FieldSpec("year", "&Year", "year", required=True, fixed_once_saved=True),
    FieldSpec("performance_targets_met", "Performance &targets met (as the consortium decided)", "bool",
              required=True, heading="Performance targets met"),
))

#: The facility's details (the workbook's two-column ``facility`` sheet, the first start and Settings).
FACILITY = RecordSpec("facility", (
    FieldSpec("name", "Facility &name", required=True, max_length=200),
    FieldSpec("kind", "&Kind", "choice", FACILITY_KINDS, required=True, max_length=20),
    FieldSpec("radiation_oncologists", "&Radiation oncologists", "int", required=True, low=0),
    FieldSpec("joined_on", "&Joined MROQC on", "date", required=True, past=True),
    FieldSpec("baseline_year", "&Baseline year", "year", required=True),
    FieldSpec("active_projects", "Active &projects", "projects"),
    FieldSpec("enrollment_period_start", "Enrollment period &starts", "monthday"),
    FieldSpec("policy_year", "Pro&gram (policy) year", "policy_year"),
    # optional in the workbook: else an import's earliest record moves it back (docs/rules.md)
    FieldSpec("records_kept_since", "Records kept here since", "date", past=True),
))

#: Every record with fields people edit, by its table.
RECORDS: dict[str, RecordSpec] = {
    "staff": STAFF, "role_assignments": ROLE_ASSIGNMENT, "cases": CASE, "data_entries": DATA_ENTRY,
    "dosimetry_submissions": DOSIMETRY, "meetings": MEETING, "attendance": ATTENDANCE,
    "correspondence": LETTER, "absences": ABSENCE, "program_years": PROGRAM_YEAR, "facility": FACILITY,
}

#: The patient identifiers: the one list the storage's deferred columns, the shared database's
#: column grants, the audit log's masking, the exports' de-identification and the case form's
#: hidden rows all read.
PHI_CASE_FIELDS: tuple[str, ...] = CASE.patient_identifiers
