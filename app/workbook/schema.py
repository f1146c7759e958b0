"""The facility workbook's sheets and columns, declared once.

Validation, import and export all read this table, so a column is added in one place.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

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
from app.workbook.limits import MAX_ONCOLOGISTS, MAX_TEXT_CHARS, MAX_YEAR, MIN_YEAR

MAX_PROBLEMS = 200


class WorkbookError(Exception):
    """A workbook that was not imported; ``problems`` are ``sheet, row, column: message`` lines."""

    def __init__(self, problems: list[str], total: int | None = None) -> None:
        self.problems = problems
        #: every problem found, also those beyond the ones listed (``MAX_PROBLEMS``)
        self.total = total if total is not None else len([p for p in problems if not p.startswith("… and ")])
        super().__init__(f"{self.total} problem(s) in the workbook")


@dataclass(frozen=True)
class Column:
    """One column: its kind (text, id, date, bool, int, float, enum, metrics, projects, monthday,
    year, policy_year) and its range. Text lengths come from the database column (``String(n)``),
    so what the import accepts both SQLite and PostgreSQL hold."""

    name: str
    kind: str = "text"
    required: bool = False
    choices: tuple[str, ...] = ()
    #: The model attribute, where it differs from the column name.
    field: str | None = None
    phi: bool = False
    #: Whole numbers: the smallest and largest value accepted.
    low: int | None = None
    high: int | None = None
    #: Dates of things that have happened: not later than ``limits.latest_past_event()``.
    past: bool = False
    #: Characters at most (set from the model by ``SheetSpec``; the facility keys set theirs).
    max_length: int | None = None

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

    def __post_init__(self) -> None:
        sized = tuple(replace(c, max_length=c.max_length or text_length(self.table, c.attr))
                      if c.kind in TEXT_KINDS else c for c in self.columns)
        object.__setattr__(self, "columns", sized)


#: Kinds stored as text, whose length the database column bounds.
TEXT_KINDS = ("text", "id", "enum")


def text_length(table: str, attr: str) -> int:
    """The characters the database column holds: ``String(n)``'s n, else ``MAX_TEXT_CHARS``."""
    from app.storage.models import Base

    column = Base.metadata.tables[table].c[attr]
    length = getattr(column.type, "length", None)
    return int(length) if length else MAX_TEXT_CHARS


def _enum(name: str, choices: tuple[str, ...], required: bool = True) -> Column:
    return Column(name, "enum", required, choices)


def _id(name: str, required: bool = True) -> Column:
    return Column(name, "id", required)


def _date(name: str, required: bool = False, *, past: bool = False, phi: bool = False) -> Column:
    return Column(name, "date", required, past=past, phi=phi)


def _year(name: str, required: bool = True) -> Column:
    return Column(name, "year", required, low=MIN_YEAR, high=MAX_YEAR)


#: The ``facility`` sheet is two columns, ``key`` and ``value``; these are its keys.
FACILITY_KEYS: tuple[Column, ...] = (
    Column("name", required=True, max_length=text_length("facility", "name")),
    replace(_enum("kind", FACILITY_KINDS), max_length=text_length("facility", "kind")),
    Column("radiation_oncologists", "int", True, low=0, high=MAX_ONCOLOGISTS),
    _date("joined_on", True, past=True),
    _year("baseline_year"),
    Column("active_projects", "projects"),
    Column("enrollment_period_start", "monthday"),
    Column("policy_year", "policy_year"),
    _date("records_kept_since", past=True),  # optional: else the import's earliest record moves it back
)

SHEETS: tuple[SheetSpec, ...] = (
    SheetSpec("staff", "staff", (
        _id("staff_id"), Column("name", required=True), _enum("profession", PROFESSIONS),
        _enum("physician_title", PHYSICIAN_TITLES, False), Column("works_on_mroqc", "bool"),
        Column("treats_mroqc_patients", "bool"), Column("cmd_id"), Column("arrt_id"),
        _date("pgip_member_since", past=True), Column("email"),
    ), ("staff_id",)),
    SheetSpec("roles", "role_assignments", (
        _id("staff_id"), _enum("role", ROLES), _date("start", True), _date("end"),
    ), ("staff_id", "role", "start"), key_is_primary=False),
    SheetSpec("cases", "cases", (
        _id("case_id"), _enum("project", PROJECTS), Column("primary_site"),
        _date("eligible_on", True, past=True), _enum("status", CASE_STATUSES), _date("enrolled_on", past=True),
        _enum("not_enrolled_reason", NOT_ENROLLED_REASONS, False), Column("note"), _enum("payer", PAYERS, False),
        Column("mrn", phi=True), Column("name", phi=True), _date("birth_date", past=True, phi=True),
    ), ("case_id",)),
    SheetSpec("data_entry", "data_entries", (
        _date("date", True, past=True), _id("case_id", False), _enum("kind", DATA_ENTRY_KINDS), _id("staff_id", False),
    ), ("date", "case_id", "kind", "staff_id"), key_is_primary=False),
    SheetSpec("dosimetry", "dosimetry_submissions", (
        _id("case_id"), _date("submitted_on", True, past=True), _id("staff_id"),
        Column("technique", required=True), Column("total_dose_gy", "float", True), Column("fractions", "int", True),
        Column("metrics", "metrics"),
    ), ("case_id", "submitted_on"), key_is_primary=False),
    SheetSpec("meetings", "meetings", (
        _id("meeting_id"), _date("date", True), _enum("format", MEETING_FORMATS),
        Column("title"), Column("location"),
    ), ("meeting_id",)),
    SheetSpec("attendance", "attendance", (
        _id("meeting_id"), _enum("role", ATTENDANCE_ROLES), _id("staff_id"),
        _enum("ce_credit", CE_CREDITS, False),
    ), ("meeting_id", "role", "staff_id"), key_is_primary=False),
    SheetSpec("correspondence", "correspondence", (
        _id("letter_id", False), _date("received_on", True, past=True), Column("subject", required=True),
        Column("sender"), Column("reply_required", "bool", True), _date("due_on"), _date("replied_on", past=True),
    ), ("letter_id",), key_is_primary=False),
    SheetSpec("absences", "absences", (
        _id("staff_id", False), _enum("kind", ABSENCE_KINDS), _date("start", True), _date("end", True),
        Column("approved", "bool", True), _enum("project", PROJECTS, False),
    ), ("staff_id", "kind", "start", "project"), key_is_primary=False),
    SheetSpec("program_years", "program_years", (
        _year("year"), Column("performance_targets_met", "bool", True),
    ), ("year",)),
)
SHEET_NAMES: tuple[str, ...] = ("facility", *(s.name for s in SHEETS))
SPECS: dict[str, SheetSpec] = {s.name: s for s in SHEETS}
#: Rows of ``correspondence`` without a ``letter_id`` are matched on these (and get a new ID).
LETTER_FALLBACK_KEY: tuple[str, ...] = ("received_on", "subject")
