"""The mapping file (``--mapping MAP.toml``) and the saved profiles: which column holds what.

The same ``Mapping`` comes from a TOML file, from a ``ScreeningProfile`` row (``to_dict`` /
``from_dict``) or from the wizard's drop-downs, so the command line and the window read a list
the same way. Keys are checked strictly: a misspelt key must not silently leave a column unmapped.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Annotated, Any, Literal

from msgspec import Meta

from app.domain.vocabulary import PAYERS
from app.screening.codes import is_icd10_shaped, normalise_code
from app.screening.errors import MappingError
from app.typed_toml import from_data, read_file

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
#: a table of the file's text to ours ([columns], [payer_values], [codes])
TextTable = Annotated[dict[str, str], Meta(description="a table mapping text to text")]


@dataclass(frozen=True)
class Mapping:
    """How to read one kind of list. ``header_row`` None: found by its headers (see ``reading``).

    Also the mapping file's model: each key of ``MAP.toml`` is a field here, with its type and
    bounds; ``from_dict`` adds what a type cannot say (fields, payers and codes that exist)."""

    columns: TextTable = field(default_factory=dict)
    sheet: Annotated[str, Meta(description="the sheet's name in quotes")] | None = None
    header_row: Annotated[int, Meta(ge=1, description="a row number from 1")] | None = None
    date_format: Annotated[str, Meta(pattern="%", description='a strftime format such as "%m/%d/%Y"')] | None = None
    mrn_strip_leading_zeros: Annotated[bool, Meta(description="true or false")] = False
    unknown_codes: Annotated[Literal["reject", "not_eligible"], Meta(description='"reject" or "not_eligible"')] = "reject"
    payer_values: TextTable = field(default_factory=dict)
    codes: TextTable = field(default_factory=dict)

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


def from_dict(data: dict[str, Any], source: str = "the mapping") -> Mapping:
    """A checked ``Mapping`` from a profile's stored dict; ``MappingError`` names the key that is wrong."""
    return _checked(from_data(data, source, Mapping, MappingError, quoted=False), source)


def _checked(mapping: Mapping, source: str) -> Mapping:
    """What the types cannot say: mapped fields, payers and codes that exist."""
    columns = mapping.columns
    bad = sorted(set(columns) - set(FIELDS))
    if bad:
        raise MappingError(f"{source}: [columns] has unknown field(s) {', '.join(bad)}; fields: {', '.join(FIELDS)}")
    if "name" in columns and ("last_name" in columns or "first_name" in columns):
        raise MappingError(f"{source}: [columns] names either name or last_name/first_name, not both")
    payers = mapping.payer_values
    wrong = sorted({v for v in payers.values() if v not in PAYERS})
    if wrong:
        raise MappingError(f"{source}: [payer_values] value(s) {', '.join(wrong)} not one of {', '.join(PAYERS)}")
    codes = mapping.codes
    for own, icd in codes.items():
        if not is_icd10_shaped(icd):
            raise MappingError(f"{source}: [codes] '{own}' = '{icd}' is not an ICD-10-CM code")
    return replace(mapping, codes={normalise_code(k) if is_icd10_shaped(k) else k.strip(): normalise_code(v)
                                   for k, v in codes.items()})


def load_mapping(path: Path) -> Mapping:
    """Read and check a mapping file (a wrong key or value named with its line)."""
    return _checked(read_file(Path(path), Mapping, MappingError, missing=f"No mapping file at {path}.",
                              quoted=False), Path(path).name)


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
