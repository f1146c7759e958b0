"""The mapping file (``--mapping MAP.toml``) and the saved profiles: which column holds what.

The same ``Mapping`` comes from a TOML file, from a ``ScreeningProfile`` row (``to_dict`` /
``from_dict``) or from the wizard's drop-downs, so the command line and the window read a list
the same way. Keys are checked strictly: a misspelt key must not silently leave a column unmapped.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.domain.vocabulary import PAYERS
from app.screening.codes import is_icd10_shaped, normalise_code
from app.screening.errors import MappingError

#: Every field a column can be mapped to, in the order the wizard shows them.
FIELDS: tuple[str, ...] = ("mrn", "name", "last_name", "first_name", "birth_date", "diagnosis",
                           "primary_diagnosis", "eligible_on", "payer")
FIELD_LABELS: dict[str, str] = {
    "mrn": "MRN", "name": "Patient name (LAST, FIRST)", "last_name": "Last name", "first_name": "First name",
    "birth_date": "Birth date", "diagnosis": "Diagnosis code(s)", "primary_diagnosis": "Primary (of a metastasis)",
    "eligible_on": "Eligible date (consult)", "payer": "Payer / insurance",
}
REQUIRED_FIELDS: tuple[str, ...] = ("mrn", "diagnosis", "eligible_on")
DATE_FIELDS: tuple[str, ...] = ("birth_date", "eligible_on")
UNKNOWN_CODE_CHOICES: tuple[str, ...] = ("reject", "not_eligible")
TOP_KEYS = {"sheet", "header_row", "date_format", "mrn_strip_leading_zeros", "unknown_codes",
            "columns", "payer_values", "codes"}


@dataclass(frozen=True)
class Mapping:
    """How to read one kind of list. ``header_row`` None: found by its headers (see ``reading``)."""

    columns: dict[str, str] = field(default_factory=dict)
    sheet: str | None = None
    header_row: int | None = None
    date_format: str | None = None
    mrn_strip_leading_zeros: bool = False
    unknown_codes: str = "reject"
    payer_values: dict[str, str] = field(default_factory=dict)
    codes: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The mapping as a TOML-shaped dict (what a profile stores); unset options left out."""
        out: dict[str, Any] = {"columns": dict(self.columns)}
        for key in ("sheet", "header_row", "date_format"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        if self.mrn_strip_leading_zeros:
            out["mrn_strip_leading_zeros"] = True
        if self.unknown_codes != "reject":
            out["unknown_codes"] = self.unknown_codes
        if self.payer_values:
            out["payer_values"] = dict(self.payer_values)
        if self.codes:
            out["codes"] = dict(self.codes)
        return out


def _text_table(data: dict[str, Any], key: str, source: str) -> dict[str, str]:
    table = data.get(key, {})
    if not isinstance(table, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in table.items()):
        raise MappingError(f"{source}: [{key}] must map text to text")
    return table


def from_dict(data: dict[str, Any], source: str = "the mapping") -> Mapping:
    """A checked ``Mapping``; ``MappingError`` names the key that is wrong."""
    unknown = sorted(set(data) - TOP_KEYS)
    if unknown:
        raise MappingError(f"{source}: unknown key(s) {', '.join(unknown)}; known: {', '.join(sorted(TOP_KEYS))}")
    columns = _text_table(data, "columns", source)
    bad = sorted(set(columns) - set(FIELDS))
    if bad:
        raise MappingError(f"{source}: [columns] has unknown field(s) {', '.join(bad)}; fields: {', '.join(FIELDS)}")
    if "name" in columns and ("last_name" in columns or "first_name" in columns):
        raise MappingError(f"{source}: [columns] names either name or last_name/first_name, not both")
    payers = _text_table(data, "payer_values", source)
    wrong = sorted({v for v in payers.values() if v not in PAYERS})
    if wrong:
        raise MappingError(f"{source}: [payer_values] value(s) {', '.join(wrong)} not one of {', '.join(PAYERS)}")
    codes = _text_table(data, "codes", source)
    for own, icd in codes.items():
        if not is_icd10_shaped(icd):
            raise MappingError(f"{source}: [codes] '{own}' = '{icd}' is not an ICD-10-CM code")
    header_row = data.get("header_row")
    if header_row is not None and (isinstance(header_row, bool) or not isinstance(header_row, int) or header_row < 1):
        raise MappingError(f"{source}: header_row must be a row number from 1 (found {header_row!r})")
    date_format = data.get("date_format")
    if date_format is not None and (not isinstance(date_format, str) or "%" not in date_format):
        raise MappingError(f"{source}: date_format must be a strftime format such as \"%m/%d/%Y\"")
    strip = data.get("mrn_strip_leading_zeros", False)
    if not isinstance(strip, bool):
        raise MappingError(f"{source}: mrn_strip_leading_zeros must be true or false")
    unknown_codes = data.get("unknown_codes", "reject")
    if unknown_codes not in UNKNOWN_CODE_CHOICES:
        raise MappingError(f"{source}: unknown_codes must be \"reject\" or \"not_eligible\" (found {unknown_codes!r})")
    sheet = data.get("sheet")
    if sheet is not None and not isinstance(sheet, str):
        raise MappingError(f"{source}: sheet must be the sheet's name in quotes")
    return Mapping(columns=dict(columns), sheet=sheet, header_row=header_row, date_format=date_format,
                   mrn_strip_leading_zeros=strip, unknown_codes=unknown_codes, payer_values=dict(payers),
                   codes={normalise_code(k) if is_icd10_shaped(k) else k.strip(): normalise_code(v)
                          for k, v in codes.items()})


def load_mapping(path: Path) -> Mapping:
    """Read and check a mapping file."""
    try:
        with Path(path).open("rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError:
        raise MappingError(f"No mapping file at {path}.") from None
    except tomllib.TOMLDecodeError as exc:
        raise MappingError(f"{Path(path).name}: not valid TOML ({exc})") from None
    return from_dict(data, Path(path).name)


def _toml_text(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def to_toml(mapping: Mapping) -> str:
    """The mapping as a file for ``--mapping`` (what the wizard's "Save mapping file" writes)."""
    data = mapping.to_dict()
    lines = []
    for key in ("sheet", "header_row", "date_format", "mrn_strip_leading_zeros", "unknown_codes"):
        if key in data:
            value = data[key]
            shown = ("true" if value else "false") if isinstance(value, bool) else (
                str(value) if isinstance(value, int) else _toml_text(value))
            lines.append(f"{key} = {shown}")
    for table in ("columns", "payer_values", "codes"):
        if data.get(table):
            lines.append(f"\n[{table}]")
            lines += [f"{_toml_text(k) if table != 'columns' else k} = {_toml_text(v)}" for k, v in data[table].items()]
    return "\n".join(lines).lstrip() + "\n"
