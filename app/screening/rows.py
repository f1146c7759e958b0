"""From a raw table and a mapping to typed rows, or the list of reasons the file is refused.

Every row is checked before anything is decided, and every problem is kept (not only the
first), so a coordinator fixes the export once. A refused file never reaches the database. Problem
texts never quote an MRN, a name or a birth date (they may end up in an e-mail to IT).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

from app.screening import dates
from app.screening.codes import resolve, split_codes
from app.screening.columns import detect as detect_columns
from app.screening.eligibility import PRIMARY_WORDS, Decision, decide
from app.screening.errors import Problem
from app.screening.mapping import DATE_FIELDS, FIELD_LABELS, REQUIRED_FIELDS, Mapping
from app.screening.payers import PayerMap
from app.screening.table import Cell, RawTable, text_of


@dataclass
class ScreenRow:
    """One data row of the list, typed and decided."""

    row: int
    mrn: str
    eligible_on: dt.date
    decision: Decision
    name: str | None = None
    birth_date: dt.date | None = None
    payer: str | None = None
    #: The payer text when nothing maps it (the row's reason says so).
    unmapped_payer: str | None = None


@dataclass
class ParsedList:
    """A list read with a mapping: the columns used, date formats with evidence, rows, problems."""

    table: RawTable
    mapping: Mapping
    columns: dict[str, str]
    formats: dict[str, dates.DateFormat] = field(default_factory=dict)
    rows: list[ScreenRow] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    payer_texts: Counter[str] = field(default_factory=Counter)

    @property
    def date_evidence(self) -> str:
        return evidence_text(self.columns, self.formats)


def evidence_text(columns: dict[str, str], formats: dict[str, dates.DateFormat]) -> str:
    """The date formats and why: once for columns read together, else one sentence per column."""
    if len(set(formats.values())) == 1 and len(formats) > 1:
        return f"{' and '.join(columns[f] for f in formats)}: {next(iter(formats.values())).evidence}"
    return "; ".join(f"{columns[f]}: {fmt.evidence}" for f, fmt in formats.items())


def choose_columns(table: RawTable, mapping: Mapping) -> tuple[dict[str, str], list[Problem]]:
    """``{field: header}``: the mapping's, else the source's own (Synthea), else detected."""
    chosen = {**detect_columns(table.headers), **table.implied_columns}
    if mapping.columns:
        if "name" in mapping.columns:
            chosen.pop("last_name", None)
            chosen.pop("first_name", None)
        if "last_name" in mapping.columns or "first_name" in mapping.columns:
            chosen.pop("name", None)
        chosen.update(mapping.columns)
    problems = [Problem(table.header_row, header, f"no such column for {field_name} (the headers are: "
                        f"{', '.join(table.headers)})")
                for field_name, header in chosen.items() if header not in table.headers]
    for required in REQUIRED_FIELDS:
        if required not in chosen:
            problems.append(Problem(table.header_row, required, f"no column found for the {FIELD_LABELS[required]}; "
                                    "name it in the mapping's [columns]"))
    return chosen, problems


def _texts(table: RawTable, index: int) -> list[str]:
    return [c.strip() for _, row in table.rows if isinstance(c := row[index], str) and c.strip()]


def choose_formats(table: RawTable, columns: dict[str, str], given: str | None
                   ) -> tuple[dict[str, dates.DateFormat], list[Problem]]:
    """One format for every date column together (a week of consult dates alone is often
    ambiguous; birth dates beside them settle it), else one per column; problems when ambiguous."""
    present = [f for f in DATE_FIELDS if f in columns and columns[f] in table.headers]
    texts = {f: _texts(table, table.column(columns[f])) for f in present}
    if given:
        return {f: dates.detect([], given) for f in present if texts[f]}, []
    try:
        joint = dates.detect([t for f in present for t in texts[f]])
    except dates.AmbiguousDates as exc:
        return {}, [Problem(table.header_row, columns[present[-1]], str(exc))]
    if joint is None:
        return {}, []
    if all(dates.parse(t, joint.format) for t in {t for f in present for t in texts[f]}):
        return {f: joint for f in present if texts[f]}, []
    formats: dict[str, dates.DateFormat] = {}
    problems: list[Problem] = []
    for f in present:
        try:
            found = dates.detect(texts[f])
        except dates.AmbiguousDates as exc:
            problems.append(Problem(table.header_row, columns[f], str(exc)))
            continue
        if found is not None:
            formats[f] = found
    return formats, problems


def _date(cell: Cell, fmt: dates.DateFormat | None) -> dt.date | None | str:
    """The cell's date, None when blank, or "" when unreadable."""
    if isinstance(cell, dt.datetime):
        return cell.date()
    if isinstance(cell, dt.date):
        return cell
    text = text_of(cell)
    if not text:
        return None
    return (dates.parse(text, fmt.format) if fmt else None) or ""


def _name(row: list[Cell], index: dict[str, int]) -> str | None:
    if "name" in index:
        text = " ".join(text_of(row[index["name"]]).split())
        last, comma, first = text.partition(",")
        return (f"{first.strip()} {last.strip()}".strip() if comma else text) or None
    parts = [" ".join(text_of(row[index[f]]).split()) for f in ("first_name", "last_name") if f in index]
    return " ".join(p for p in parts if p) or None


class _Reader:
    """Reads the rows of one list under one mapping (kept apart from ``parse`` for its state)."""

    def __init__(self, parsed: ParsedList) -> None:
        self.parsed = parsed
        self.mapping = parsed.mapping
        self.columns = parsed.columns
        self.index = {f: parsed.table.column(h) for f, h in parsed.columns.items()}
        self.payers = PayerMap(parsed.mapping.payer_values)
        self.problems = parsed.problems
        self.code_cache: dict[tuple[str, str], tuple[list[str], list[str], list[str]]] = {}
        self.date_cache: dict[str, dict[str, dt.date | None | str]] = {f: {} for f in DATE_FIELDS}
        self.decisions: dict[tuple[tuple[str, ...], ...], Decision] = {}

    def problem(self, row: int, field_name: str, message: str) -> None:
        self.problems.append(Problem(row, self.columns.get(field_name, field_name), message))

    def codes(self, number: int, cell: Cell, field_name: str) -> tuple[list[str], list[str]]:
        """(ICD-10-CM codes, unknown codes) of one cell; unknown ones are problems under "reject".
        Remembered per cell text: a 50,000-row list repeats a few hundred diagnosis cells."""
        text = text_of(cell)
        key = (field_name, text)
        found = self.code_cache.get(key)
        if found is None:
            found = self.code_cache[key] = self._codes(text, field_name)
        known, unknown, refused = found
        for token in refused:
            self.problem(number, field_name, f"'{token}' is neither an ICD-10-CM code nor in [codes] "
                                             "(or set unknown_codes = \"not_eligible\")")
        return known, unknown

    def _codes(self, text: str, field_name: str) -> tuple[list[str], list[str], list[str]]:
        if field_name == "primary_diagnosis" and text.lower() in PRIMARY_WORDS:
            return [text], [], []
        known, unknown, refused = [], [], []
        for token in split_codes(text):
            found = resolve(token, self.mapping.codes)
            if found.icd is not None:
                known.append(found.icd)
            elif field_name == "primary_diagnosis" and token.lower() in PRIMARY_WORDS:
                known.append(token)
            elif self.mapping.unknown_codes == "reject":
                refused.append(token)
            else:
                unknown.append(token)
        return known, unknown, refused

    def date(self, cell: Cell, field_name: str) -> dt.date | None | str:
        if not isinstance(cell, str):
            return _date(cell, self.parsed.formats.get(field_name))
        cache = self.date_cache[field_name]
        if cell not in cache:
            cache[cell] = _date(cell, self.parsed.formats.get(field_name))
        return cache[cell]

    def decide(self, codes: list[str], primary: list[str], unknown: list[str]) -> Decision:
        key = (tuple(codes), tuple(primary), tuple(unknown))
        decision = self.decisions.get(key)
        if decision is None:
            decision = self.decisions[key] = decide(codes, primary, unknown)
        return decision

    def read(self, number: int, row: list[Cell]) -> ScreenRow | None:
        before = len(self.problems)
        index, formats = self.index, self.parsed.formats
        mrn = text_of(row[index["mrn"]])
        if self.mapping.mrn_strip_leading_zeros:
            mrn = mrn.lstrip("0") or ("0" if mrn else "")
        if not mrn:
            self.problem(number, "mrn", "no MRN")
        eligible = self.date(row[index["eligible_on"]], "eligible_on")
        if eligible is None:
            self.problem(number, "eligible_on", "no eligible date")
        elif eligible == "":
            fmt = formats.get("eligible_on")
            self.problem(number, "eligible_on", f"'{text_of(row[index['eligible_on']])}' is not a date"
                         + (f" in {fmt.words}" if fmt else ""))
        birth = self.date(row[index["birth_date"]], "birth_date") if "birth_date" in index else None
        if birth == "":
            fmt = formats.get("birth_date")
            self.problem(number, "birth_date", "not a date" + (f" in {fmt.words}" if fmt else ""))
        codes, unknown = self.codes(number, row[index["diagnosis"]], "diagnosis")
        primary = self.codes(number, row[index["primary_diagnosis"]], "primary_diagnosis")[0] \
            if "primary_diagnosis" in index else []
        payer_text = text_of(row[index["payer"]]) if "payer" in index else ""
        if len(self.problems) > before:
            return None
        assert isinstance(eligible, dt.date)
        if isinstance(birth, dt.date) and birth > eligible and birth.year - 100 > 1850:
            birth = birth.replace(year=birth.year - 100)  # a two-digit year read as this century
        if payer_text:
            self.parsed.payer_texts[payer_text] += 1
        payer = self.payers.code(payer_text)
        return ScreenRow(row=number, mrn=mrn, eligible_on=eligible, decision=self.decide(codes, primary, unknown),
                         name=_name(row, index), birth_date=birth if isinstance(birth, dt.date) else None,
                         payer=payer, unmapped_payer=payer_text if payer_text and payer is None else None)


def parse(table: RawTable, mapping: Mapping) -> ParsedList:
    """Every row typed and decided; ``problems`` empty means the file can be imported."""
    columns, problems = choose_columns(table, mapping)
    parsed = ParsedList(table=table, mapping=mapping, columns=columns, problems=problems)
    if problems:
        return parsed
    parsed.formats, parsed.problems = choose_formats(table, columns, mapping.date_format)
    if parsed.problems:
        return parsed
    reader = _Reader(parsed)
    for number, row in table.rows:
        screened = reader.read(number, row)
        if screened is not None:
            parsed.rows.append(screened)
    return parsed
