"""Turn raw workbook rows into typed rows, collecting every problem with its sheet, row and column.

Cell checks (types, enums, required values) come first; record rules (dates in order, a reason
for not enrolling, plausible doses) reuse ``app.domain.records`` so the forms and the import say
the same thing; then duplicates and references across sheets and the database.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from app.domain import records
from app.domain.vocabulary import PROJECTS
from app.workbook.reader import RawSheet
from app.workbook.schema import FACILITY_KEYS, SPECS, Column, SheetSpec

ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
MONTH_DAY = re.compile(r"^\d{2}-\d{2}$")


class CellError(ValueError):
    pass


@dataclass
class Row:
    number: int
    values: dict[str, Any]


@dataclass
class ParsedWorkbook:
    facility: dict[str, Any] | None = None
    sheets: dict[str, list[Row]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def problem(self, sheet: str, row: int, column: str, message: str) -> None:
        self.problems.append(f"{sheet}, {row}, {column}: {message}")


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value).strip()
    return text or None


def parse_cell(column: Column, value: Any) -> Any:
    """A typed value, or ``CellError`` with a message for people."""
    if isinstance(value, str):
        value = value.strip()
    if value is None or value == "":
        if column.required:
            raise CellError("missing value")
        return False if column.kind == "bool" else None
    kind = column.kind
    if kind == "date":
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        text = str(value)
        if not ISO_DATE.match(text):
            raise CellError(f"'{text}' is not a date in the form YYYY-MM-DD")
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            raise CellError(f"'{text}' is not a real date") from None
    if kind == "bool":
        if isinstance(value, bool):
            return value
        text = str(value).lower()
        if text in ("yes", "no"):
            return text == "yes"
        raise CellError(f"'{value}' must be yes or no")
    if kind == "int":
        if isinstance(value, bool):
            raise CellError(f"'{value}' is not a whole number")
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str) and re.fullmatch(r"-?\d+", value):
            return int(value)
        raise CellError(f"'{value}' is not a whole number")
    if kind == "float":
        try:
            number = float(value) if not isinstance(value, bool) else math.nan
        except ValueError:
            number = math.nan
        if not math.isfinite(number):
            raise CellError(f"'{value}' is not a number")
        return number
    text = _text(value)
    if kind == "enum" and text not in column.choices:
        raise CellError(f"unknown value '{text}' (expected one of: {', '.join(column.choices)})")
    if kind == "metrics":
        try:
            return records.parse_metrics(text or "")
        except ValueError as exc:
            raise CellError(f"metrics must be name=value;name=value: {exc}") from None
    if kind == "projects":
        projects = tuple(p.strip() for p in (text or "").split(",") if p.strip())
        unknown = [p for p in projects if p not in PROJECTS]
        if unknown or not projects:
            raise CellError(f"projects must be a comma list of: {', '.join(PROJECTS)}")
        return projects
    if kind == "monthday":
        try:
            if not MONTH_DAY.match(text or ""):
                raise ValueError
            dt.date.fromisoformat(f"2024-{text}")
        except ValueError:
            raise CellError(f"'{text}' is not a month-day such as 01-01") from None
        return text
    return text


def _columns(parsed: ParsedWorkbook, spec: SheetSpec, sheet: RawSheet) -> bool:
    ok = True
    seen: set[str] = set()
    for header in sheet.headers:
        if spec.column(header) is None:
            parsed.problem(spec.name, 1, header or "(blank)", f"unknown column (columns: {', '.join(c.name for c in spec.columns)})")
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


def _parse_facility(parsed: ParsedWorkbook, sheet: RawSheet) -> None:
    if sheet.headers[:2] != ["key", "value"] or len(sheet.headers) > 2:
        parsed.problem("facility", 1, ",".join(sheet.headers) or "(blank)", "the facility sheet has two columns: key, value")
        return
    values: dict[str, Any] = {}
    first_row: dict[str, int] = {}
    known = {c.name: c for c in FACILITY_KEYS}
    for number, cells in sheet.rows:
        key = _text(cells[0] if cells else None)
        value = cells[1] if len(cells) > 1 else None
        if key not in known:
            parsed.problem("facility", number, "key", f"unknown key '{key}' (keys: {', '.join(known)})")
            continue
        if key in first_row:
            parsed.problem("facility", number, "key", f"'{key}' is given twice (first on row {first_row[key]})")
            continue
        first_row[key] = number
        try:
            values[key] = parse_cell(known[key], value)
        except CellError as exc:
            parsed.problem("facility", number, "value", f"{key}: {exc}")
    for column in FACILITY_KEYS:
        if column.required and column.name not in first_row:
            parsed.problem("facility", 1, "key", f"required key '{column.name}' is missing")
    parsed.facility = values


RecordCheck = Callable[[dict[str, Any]], dict[str, str]]
RECORD_CHECKS: dict[str, RecordCheck] = {
    "cases": lambda v: records.validate_case(records.CaseRecord(**{k: v.get(k) for k in (
        "case_id", "project", "eligible_on", "status", "primary_site", "enrolled_on", "not_enrolled_reason", "note",
        "payer", "mrn", "name", "birth_date")})),
    "staff": lambda v: records.validate_staff(records.StaffRecord(**v)),
    "roles": lambda v: records.validate_role(v["role"], v["start"], v["end"]),
    "dosimetry": lambda v: records.validate_dosimetry(records.DosimetryRecord(**{**v, "metrics": v["metrics"] or {}})),
    "attendance": lambda v: records.validate_attendance(v["role"], v["staff_id"], v["ce_credit"]),
    "correspondence": lambda v: records.validate_letter(v["received_on"], v["subject"], v["due_on"], v["replied_on"]),
    "absences": lambda v: records.validate_absence(v["kind"], v["start"], v["end"], v["staff_id"], v["project"]),
}


def _parse_sheet(parsed: ParsedWorkbook, spec: SheetSpec, sheet: RawSheet) -> None:
    if not _columns(parsed, spec, sheet):
        return
    rows: list[Row] = []
    first_seen: dict[tuple, int] = {}
    for number, cells in sheet.rows:
        raw = dict(zip(sheet.headers, cells, strict=False))
        values: dict[str, Any] = {}
        cell_ok = True
        for column in spec.columns:
            try:
                values[column.attr] = parse_cell(column, raw.get(column.name))
            except CellError as exc:
                parsed.problem(spec.name, number, column.name, str(exc))
                cell_ok = False
        if len(cells) > len(sheet.headers) and not all(c in (None, "") for c in cells[len(sheet.headers):]):
            parsed.problem(spec.name, number, "(no header)", "a value stands in a column without a header")
            cell_ok = False
        if not cell_ok:
            continue
        check = RECORD_CHECKS.get(spec.name)
        for column_name, message in (check(values) if check else {}).items():
            parsed.problem(spec.name, number, column_name, message)
            cell_ok = False
        key = tuple(values[c] for c in spec.key)
        if key in first_seen:
            what = "ID" if len(spec.key) == 1 else "row (" + ", ".join(spec.key) + ")"
            parsed.problem(spec.name, number, spec.key[0], f"duplicate {what} {'/'.join(str(k) for k in key if k is not None)} "
                           f"(first on row {first_seen[key]})")
            continue
        first_seen[key] = number
        if cell_ok:
            rows.append(Row(number, values))
    parsed.sheets[spec.name] = rows


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


def check_references(parsed: ParsedWorkbook, existing: dict[str, set[str]]) -> None:
    known = {kind: set(existing.get(kind, set())) | {r.values[col] for r in parsed.sheets.get(kind, [])}
             for kind, col in ID_COLUMN.items()}
    words = {"staff": "staff member", "cases": "case", "meetings": "meeting"}
    for sheet, column, kind in REFERENCES:
        for row in parsed.sheets.get(sheet, []):
            value = row.values.get(column)
            if value is not None and value not in known[kind]:
                parsed.problem(sheet, row.number, column, f"unknown {words[kind]} '{value}' (not in the workbook or the database)")


def parse_workbook(raw: dict[str, RawSheet], existing_ids: dict[str, set[str]], has_facility: bool) -> ParsedWorkbook:
    parsed = ParsedWorkbook()
    if "facility" in raw:
        _parse_facility(parsed, raw["facility"])
    elif not has_facility:
        parsed.problems.append("workbook: the facility sheet is required for a database that has no facility yet")
    for name, spec in SPECS.items():
        if name in raw:
            _parse_sheet(parsed, spec, raw[name])
    check_references(parsed, existing_ids)
    parsed.problems.sort(key=_problem_order)
    return parsed


def _problem_order(problem: str) -> tuple[int, int]:
    from app.workbook.schema import SHEET_NAMES

    sheet, _, rest = problem.partition(", ")
    row = rest.split(",", 1)[0]
    return (SHEET_NAMES.index(sheet) if sheet in SHEET_NAMES else -1, int(row) if row.isdigit() else 0)
