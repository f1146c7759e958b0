"""Turn raw workbook rows into typed rows, collecting every problem with its sheet, row and column.

Cell checks (types, ranges, lengths, enums, required values) come first; record rules (dates in
order, plausible doses) reuse ``app.domain.records`` so the forms and the import say the same
thing; then duplicates and references across sheets and the database.

Rows are kept compact (a tuple per row, repeated dates and codes shared) because a 200,000-case
workbook has some 840,000 of them and all are held until the write.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from array import array
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from app.domain import records
from app.progress import EVERY_ROWS, Progress, nobody
from app.storage.models import new_letter_id
from app.workbook.cells import (
    SHARED_KINDS,
    Canon,
    CellError,
    as_text,
    parse_cell,
    parser_for,
    quote,
)
from app.workbook.reader import RawSheet, RowBudget, Source
from app.workbook.schema import (
    FACILITY_KEYS,
    LETTER_FALLBACK_KEY,
    MAX_PROBLEMS,
    SHEET_NAMES,
    SPECS,
    SheetSpec,
)


@dataclass
class ParsedSheet:
    """A sheet's valid rows: one tuple per row in ``attrs`` order, and each row's number."""

    attrs: tuple[str, ...]
    rows: list[tuple[Any, ...]] = field(default_factory=list)
    numbers: array = field(default_factory=lambda: array("I"))

    def __len__(self) -> int:
        return len(self.rows)

    def append(self, number: int, values: dict[str, Any]) -> None:
        self.rows.append(tuple([values[a] for a in self.attrs]))
        self.numbers.append(number)

    def column(self, attr: str) -> Iterator[Any]:
        at = self.attrs.index(attr)
        return (row[at] for row in self.rows)

    def dicts(self, start: int = 0, stop: int | None = None) -> list[dict[str, Any]]:
        return [dict(zip(self.attrs, row, strict=True)) for row in self.rows[start:stop]]


@dataclass
class Existing:
    """What the database already holds that the workbook may refer to or match."""

    ids: dict[str, set[str]] = field(default_factory=lambda: {"staff": set(), "cases": set(), "meetings": set()})
    has_facility: bool = False
    #: Letters: every ``letter_id``, and the IDs by (received_on, subject).
    letter_ids: set[str] = field(default_factory=set)
    letters_by_key: dict[tuple, list[str]] = field(default_factory=dict)


@dataclass
class ParsedWorkbook:
    facility: dict[str, Any] | None = None
    sheets: dict[str, ParsedSheet] = field(default_factory=dict)
    headers: dict[str, set[str]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    #: Problems found beyond the ``MAX_PROBLEMS`` kept.
    more_problems: int = 0

    def problem(self, sheet: str, row: int, column: str, message: str | Callable[[], str]) -> None:
        """One cell's or row's problem; ``message`` may be a function that words it, called only
        while problems are still kept (a workbook of a million repeated rows worded each repeat,
        two quotes and a join: 5.6 s → 4.0 s before it was refused for its size)."""
        if len(self.problems) >= MAX_PROBLEMS:
            self.more_problems += 1
            return
        self.add(f"{sheet}, {row}, {column}: {message() if callable(message) else message}")

    def add(self, problem: str) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(problem)
        else:
            self.more_problems += 1

    def listing(self) -> list[str]:
        ordered = sorted(self.problems, key=_problem_order)
        if self.more_problems:
            ordered.append(f"… and {self.more_problems} more problem(s)")
        return ordered


def _columns(parsed: ParsedWorkbook, spec: SheetSpec, headers: list[str]) -> bool:
    ok = True
    seen: set[str] = set()
    for header in headers:
        if spec.column(header) is None:
            parsed.problem(spec.name, 1, quote(header) or "(blank)",
                           f"unknown column (columns: {', '.join(c.name for c in spec.columns)})")
            ok = False
        elif header in seen:
            parsed.problem(spec.name, 1, header, "the column appears twice")
            ok = False
        seen.add(header)
    for column in spec.columns:
        if column.required and column.name not in seen:
            parsed.problem(spec.name, 1, column.name, "required column is missing")
            ok = False
    return ok


def _parse_facility(parsed: ParsedWorkbook, sheet: RawSheet, budget: RowBudget, today: dt.date) -> None:
    headers, rows = sheet.read(budget)
    if headers[:2] != ["key", "value"] or len(headers) > 2:
        parsed.problem("facility", 1, quote(",".join(headers)) or "(blank)", "the facility sheet has two columns: key, value")
        return
    values: dict[str, Any] = {}
    first_row: dict[str, int] = {}
    known = {c.name: c for c in FACILITY_KEYS}
    for number, cells in rows:
        key = as_text(cells[0] if cells else None)
        value = cells[1] if len(cells) > 1 else None
        if key not in known:
            parsed.problem("facility", number, "key", f"unknown key '{quote(key)}' (keys: {', '.join(known)})")
            continue
        if key in first_row:
            parsed.problem("facility", number, "key", f"'{key}' is given twice (first on row {first_row[key]})")
            continue
        first_row[key] = number
        if any(as_text(c) for c in cells[2:]):
            parsed.problem("facility", number, "value", f"{key}: the value runs into a third column (a comma "
                           "list in a CSV file needs quotes: \"breast,lung\")")
            continue
        try:
            values[key] = parse_cell(known[key], value, today)
        except CellError as exc:
            parsed.problem("facility", number, "value", f"{key}: {exc}")
    for column in FACILITY_KEYS:
        if column.required and column.name not in first_row:
            parsed.problem("facility", 1, "key", f"required key '{column.name}' is missing")
    joined, baseline = values.get("joined_on"), values.get("baseline_year")
    if isinstance(joined, dt.date) and isinstance(baseline, int) and baseline > joined.year + 1:
        parsed.problem("facility", first_row["baseline_year"], "value",
                       f"baseline_year: {baseline} is more than a year after joining ({joined.year})")
    parsed.facility = values


def _case(values: dict[str, Any]) -> dict[str, str]:
    record = records.CaseRecord(**{f.name: values.get(f.name) for f in dataclasses.fields(records.CaseRecord)})
    return records.validate_case(record, reason_required=False)


def _dosimetry(values: dict[str, Any]) -> dict[str, str]:
    metrics = records.parse_metrics(values["metrics"] or "")
    return records.validate_dosimetry(records.DosimetryRecord(**{**values, "metrics": metrics}))


RecordCheck = Callable[[dict[str, Any]], dict[str, str]]
RECORD_CHECKS: dict[str, RecordCheck] = {
    "cases": _case,
    "staff": lambda v: records.validate_staff(records.StaffRecord(**v)),
    "roles": lambda v: records.validate_role(v["role"], v["start"], v["end"]),
    "dosimetry": _dosimetry,
    "attendance": lambda v: records.validate_attendance(v["role"], v["staff_id"], v["ce_credit"]),
    "correspondence": lambda v: records.validate_letter(v["received_on"], v["subject"], v["due_on"], v["replied_on"]),
    "absences": lambda v: records.validate_absence(v["kind"], v["start"], v["end"], v["staff_id"], v["project"]),
}


@dataclass
class _Context:
    parsed: ParsedWorkbook
    existing: Existing
    budget: RowBudget
    today: dt.date
    canon: Canon = field(default_factory=Canon)
    progress: Progress = nobody


def _parse_sheet(ctx: _Context, spec: SheetSpec, sheet: RawSheet) -> None:
    parsed = ctx.parsed
    headers, rows = sheet.read(ctx.budget)
    parsed.headers[spec.name] = set(headers)
    if not _columns(parsed, spec, headers):
        for _ in rows:  # still read (and count) the rows: a damaged sheet must say so
            pass
        return
    out = ParsedSheet(tuple(c.attr for c in spec.columns))
    first_seen: dict[Any, int] = {}
    letters = spec.name == "correspondence"
    check = RECORD_CHECKS.get(spec.name)
    width = len(headers)
    # (attribute, column, its index in the row or -1, whether its values are shared, its parser),
    # once per sheet
    plan = [(c.attr, c, headers.index(c.name) if c.name in headers else -1, c.kind in SHARED_KINDS,
             parser_for(c, ctx.today)) for c in spec.columns]
    share = ctx.canon.shared_values  # (value, value) → the one kept; shared kinds are never bools
    what, next_report = f"Checking {spec.name.replace('_', ' ')}", EVERY_ROWS
    for number, cells in rows:
        if number > next_report:
            ctx.progress(what, number - 1, 0)
            next_report += EVERY_ROWS
        values: dict[str, Any] = {}
        cell_ok = True
        size = len(cells)
        for attr, column, index, shared, parse in plan:
            raw = cells[index] if 0 <= index < size else None
            try:
                value = parse(raw)
                values[attr] = share(value, value) if shared and value is not None else value
            except CellError as exc:
                parsed.problem(spec.name, number, column.name, str(exc))
                cell_ok = False
        if len(cells) > width and not all(c in (None, "") for c in cells[width:]):
            parsed.problem(spec.name, number, "(no header)", "a value stands in a column without a header")
            cell_ok = False
        if not cell_ok:
            continue
        for column_name, message in (check(values) if check else {}).items():
            parsed.problem(spec.name, number, column_name, message)
            cell_ok = False
        if letters and not _letter_id(ctx, values, number, first_seen):
            continue
        key: Any = values[spec.key[0]] if len(spec.key) == 1 else tuple(values[c] for c in spec.key)
        if key in first_seen:
            parsed.problem(spec.name, number, spec.key[0],
                           lambda key=key: _duplicate(spec, key, first_seen[key]))  # type: ignore[misc]
            continue
        first_seen[key] = number
        if cell_ok:
            out.append(number, values)
    parsed.sheets[spec.name] = out


def _duplicate(spec: SheetSpec, key: Any, first: int) -> str:
    """A repeated ID or row, in words: what it is and where it first stood."""
    shown = "/".join(quote(k) for k in (key if isinstance(key, tuple) else (key,)) if k is not None)
    what = "ID" if len(spec.key) == 1 else "row (" + ", ".join(spec.key) + ")"
    return f"duplicate {what} {shown} (first on row {first})"


def _letter_id(ctx: _Context, values: dict[str, Any], number: int, first_seen: dict[Any, int]) -> bool:
    """A letter without a ``letter_id`` is the stored letter of the same (received_on, subject), or a
    new one with a generated ID; False (and a problem) when that is ambiguous or repeated."""
    if values["letter_id"] is not None:
        return True
    fallback = ("",) + tuple(values[k] for k in LETTER_FALLBACK_KEY)
    if fallback in first_seen:
        ctx.parsed.problem("correspondence", number, "subject", f"duplicate row (received_on, subject) "
                           f"{values['received_on']}/{quote(values['subject'])} (first on row {first_seen[fallback]}); "
                           "give each letter its letter_id")
        return False
    first_seen[fallback] = number
    stored = ctx.existing.letters_by_key.get(fallback[1:], [])
    if len(stored) > 1:
        ctx.parsed.problem("correspondence", number, "letter_id", f"{len(stored)} stored letters were received on "
                           f"{values['received_on']} with this subject ({', '.join(sorted(stored)[:5])}); say which")
        return False
    if stored:
        values["letter_id"] = stored[0]
        return True
    letter_id = new_letter_id()
    while letter_id in ctx.existing.letter_ids or letter_id in first_seen:
        letter_id = new_letter_id()
    values["letter_id"] = letter_id
    return True


REFERENCES: tuple[tuple[str, str, str], ...] = (
    # (sheet, column, referenced ID kind)
    ("roles", "staff_id", "staff"),
    ("data_entry", "staff_id", "staff"),
    ("data_entry", "case_id", "cases"),
    ("dosimetry", "staff_id", "staff"),
    ("dosimetry", "case_id", "cases"),
    ("attendance", "staff_id", "staff"),
    ("attendance", "meeting_id", "meetings"),
    ("absences", "staff_id", "staff"),
)
ID_COLUMN = {"staff": "staff_id", "cases": "case_id", "meetings": "meeting_id"}


def check_references(parsed: ParsedWorkbook, existing: Existing) -> None:
    words = {"staff": "staff member", "cases": "case", "meetings": "meeting"}
    in_file = {kind: set(parsed.sheets[kind].column(col)) if kind in parsed.sheets else set()
               for kind, col in ID_COLUMN.items()}
    for sheet, column, kind in REFERENCES:
        if sheet not in parsed.sheets:
            continue
        rows = parsed.sheets[sheet]
        for number, value in zip(rows.numbers, rows.column(column), strict=True):
            if value is not None and value not in in_file[kind] and value not in existing.ids[kind]:
                parsed.problem(sheet, number, column, f"unknown {words[kind]} '{quote(value)}' (not in the workbook or "
                               "the database)")


def parse_workbook(source: Source, existing: Existing, today: dt.date | None = None,
                   progress: Progress = nobody) -> ParsedWorkbook:
    """Read and check every sheet of ``source`` (each once, in the schema's order), saying every
    ``EVERY_ROWS`` rows how far each sheet has come (``progress``; the whole is not known yet)."""
    ctx = _Context(ParsedWorkbook(), existing, RowBudget(), today or dt.date.today(), progress=progress)
    raw = source.sheets
    if "facility" in raw:
        _parse_facility(ctx.parsed, raw["facility"], ctx.budget, ctx.today)
    elif not existing.has_facility:
        ctx.parsed.add("workbook: the facility sheet is required for a database that has no facility yet")
    for name, spec in SPECS.items():
        if name in raw:
            _parse_sheet(ctx, spec, raw[name])
    check_references(ctx.parsed, existing)
    return ctx.parsed


def _problem_order(problem: str) -> tuple[int, int]:
    sheet, _, rest = problem.partition(", ")
    row = rest.split(",", 1)[0]
    return (SHEET_NAMES.index(sheet) if sheet in SHEET_NAMES else -1, int(row) if row.isdigit() else 0)
