"""The facility workbook's sheets and columns, declared once.

Validation, import and export all read this table, so a column is added in one place.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.domain.vocabulary import (
    ABSENCE_KINDS,
    ATTENDANCE_ROLES,
    CASE_STATUSES,
    CE_CREDITS,
    DATA_ENTRY_KINDS,
    FACILITY_KINDS,
    MEETING_FORMATS,
    NOT_ENROLLED_REASONS,
    PAYERS,
    PHYSICIAN_TITLES,
    PROFESSIONS,
    PROJECTS,
    ROLES,
)

MAX_PROBLEMS = 200


class WorkbookError(Exception):
    """A workbook that was not imported; ``problems`` are ``sheet, row, column: message`` lines."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(f"{len(problems)} problem(s) in the workbook")


@dataclass(frozen=True)
class Column:
    name: str
    kind: str = "text"  # text, date, bool, int, float, enum, metrics
    required: bool = False
    choices: tuple[str, ...] = ()
    #: The model attribute, where it differs from the column name.
    field: str | None = None
    phi: bool = False

    @property
    def attr(self) -> str:
        return self.field or self.name


@dataclass(frozen=True)
class SheetSpec:
    name: str
    table: str
    columns: tuple[Column, ...]
    #: Columns that identify a row: a repeat within the file is an error, a match in the database an update.
    key: tuple[str, ...]
    #: Whether ``key`` is the table's primary key (else a natural key over a surrogate ID).
    key_is_primary: bool = True

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)


def _enum(name: str, choices: tuple[str, ...], required: bool = True) -> Column:
    return Column(name, "enum", required, choices)


#: The ``facility`` sheet is two columns, ``key`` and ``value``; these are its keys.
FACILITY_KEYS: tuple[Column, ...] = (
    Column("name", required=True),
    _enum("kind", FACILITY_KINDS),
    Column("radiation_oncologists", "int", True),
    Column("joined_on", "date", True),
    Column("baseline_year", "int", True),
    Column("active_projects", "projects"),
    Column("enrollment_period_start", "monthday"),
    Column("policy_year", "int"),
)

SHEETS: tuple[SheetSpec, ...] = (
    SheetSpec("staff", "staff", (
        Column("staff_id", required=True), Column("name", required=True), _enum("profession", PROFESSIONS),
        _enum("physician_title", PHYSICIAN_TITLES, False), Column("works_on_mroqc", "bool"),
        Column("treats_mroqc_patients", "bool"), Column("cmd_id"), Column("arrt_id"),
        Column("pgip_member_since", "date"), Column("email"),
    ), ("staff_id",)),
    SheetSpec("roles", "role_assignments", (
        Column("staff_id", required=True), _enum("role", ROLES), Column("start", "date", True), Column("end", "date"),
    ), ("staff_id", "role", "start"), key_is_primary=False),
    SheetSpec("cases", "cases", (
        Column("case_id", required=True), _enum("project", PROJECTS), Column("primary_site"),
        Column("eligible_on", "date", True), _enum("status", CASE_STATUSES), Column("enrolled_on", "date"),
        _enum("not_enrolled_reason", NOT_ENROLLED_REASONS, False), Column("note"), _enum("payer", PAYERS, False),
        Column("mrn", phi=True), Column("name", phi=True), Column("birth_date", "date", phi=True),
    ), ("case_id",)),
    SheetSpec("data_entry", "data_entries", (
        Column("date", "date", True), Column("case_id"), _enum("kind", DATA_ENTRY_KINDS), Column("staff_id"),
    ), ("date", "case_id", "kind", "staff_id"), key_is_primary=False),
    SheetSpec("dosimetry", "dosimetry_submissions", (
        Column("case_id", required=True), Column("submitted_on", "date", True), Column("staff_id", required=True),
        Column("technique", required=True), Column("total_dose_gy", "float", True), Column("fractions", "int", True),
        Column("metrics", "metrics"),
    ), ("case_id", "submitted_on"), key_is_primary=False),
    SheetSpec("meetings", "meetings", (
        Column("meeting_id", required=True), Column("date", "date", True), _enum("format", MEETING_FORMATS),
        Column("title"), Column("location"),
    ), ("meeting_id",)),
    SheetSpec("attendance", "attendance", (
        Column("meeting_id", required=True), _enum("role", ATTENDANCE_ROLES), Column("staff_id", required=True),
        _enum("ce_credit", CE_CREDITS, False),
    ), ("meeting_id", "role", "staff_id"), key_is_primary=False),
    SheetSpec("correspondence", "correspondence", (
        Column("received_on", "date", True), Column("subject", required=True), Column("reply_required", "bool", True),
        Column("due_on", "date"), Column("replied_on", "date"),
    ), ("received_on", "subject"), key_is_primary=False),
    SheetSpec("absences", "absences", (
        Column("staff_id"), _enum("kind", ABSENCE_KINDS), Column("start", "date", True), Column("end", "date", True),
        Column("approved", "bool", True), _enum("project", PROJECTS, False),
    ), ("staff_id", "kind", "start", "project"), key_is_primary=False),
    SheetSpec("program_years", "program_years", (
        Column("year", "int", True), Column("performance_targets_met", "bool", True),
    ), ("year",)),
)
SHEET_NAMES: tuple[str, ...] = ("facility", *(s.name for s in SHEETS))
SPECS: dict[str, SheetSpec] = {s.name: s for s in SHEETS}
