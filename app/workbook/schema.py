"""The facility workbook's sheets and columns.

Validation, import and export all read this table; a record's columns are derived from its field
declaration (``app.domain.fields``), so a column is added there, in one place.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from app.domain import fields
from app.domain.fields import FieldSpec, RecordSpec
from app.storage.models import Base
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
    column = Base.metadata.tables[table].c[attr]
    length = getattr(column.type, "length", None)
    return int(length) if length else MAX_TEXT_CHARS


def _date(name: str, required: bool = False, *, past: bool = False, phi: bool = False) -> Column:
    return Column(name, "date", required, past=past, phi=phi)


def _year(name: str, required: bool = True) -> Column:
    return Column(name, "year", required, low=MIN_YEAR, high=MAX_YEAR)


#: Whole numbers the import bounds by its own limits (``limits.py``), by field.
HIGHEST: dict[str, int] = {"radiation_oncologists": MAX_ONCOLOGISTS}


def columns_of(record: RecordSpec) -> tuple[Column, ...]:
    """A record's sheet columns, from its one field declaration (``app.domain.fields``)."""
    return tuple(_column(f) for f in record)


def _column(f: FieldSpec) -> Column:
    if f.kind == "choice":
        kind, choices = ("text", ()) if f.open_choices else ("enum", f.choices)
        return Column(f.key, kind, f.required, choices, phi=f.identifies_patient, max_length=f.max_length)
    if f.kind == "year":
        return _year(f.key, f.required)
    if f.kind == "date":
        return _date(f.key, f.required, past=f.past, phi=f.identifies_patient)
    return Column(f.key, f.kind, f.required, phi=f.identifies_patient, low=f.low, high=HIGHEST.get(f.key),
                  max_length=f.max_length)


#: The ``facility`` sheet is two columns, ``key`` and ``value``; these are its keys.
FACILITY_KEYS: tuple[Column, ...] = columns_of(fields.FACILITY)


SHEETS: tuple[SheetSpec, ...] = (
    SheetSpec("staff", "staff", columns_of(fields.STAFF), ("staff_id",)),
    SheetSpec("roles", "role_assignments", columns_of(fields.ROLE_ASSIGNMENT), ("staff_id", "role", "start"),
              key_is_primary=False),
    SheetSpec("cases", "cases", columns_of(fields.CASE), ("case_id",)),
    SheetSpec("data_entry", "data_entries", columns_of(fields.DATA_ENTRY), ("date", "case_id", "kind", "staff_id"),
              key_is_primary=False),
    SheetSpec("dosimetry", "dosimetry_submissions", columns_of(fields.DOSIMETRY), ("case_id", "submitted_on"),
              key_is_primary=False),
    SheetSpec("meetings", "meetings", columns_of(fields.MEETING), ("meeting_id",)),
    SheetSpec("attendance", "attendance", columns_of(fields.ATTENDANCE), ("meeting_id", "role", "staff_id"),
              key_is_primary=False),
    SheetSpec("correspondence", "correspondence", columns_of(fields.LETTER), ("letter_id",), key_is_primary=False),
    SheetSpec("absences", "absences", columns_of(fields.ABSENCE), ("staff_id", "kind", "start", "project"),
              key_is_primary=False),
    SheetSpec("program_years", "program_years", columns_of(fields.PROGRAM_YEAR), ("year",)),
)
SHEET_NAMES: tuple[str, ...] = ("facility", *(s.name for s in SHEETS))
SPECS: dict[str, SheetSpec] = {s.name: s for s in SHEETS}
#: Rows of ``correspondence`` without a ``letter_id`` are matched on these (and get a new ID).
LETTER_FALLBACK_KEY: tuple[str, ...] = ("received_on", "subject")
