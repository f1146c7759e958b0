"""A Synthea export folder as one screening list: ``conditions.csv`` joined to ``patients.csv``.

Synthea (synthetic patients, no real person) writes one CSV per table. A condition row
(``START, STOP, PATIENT, ENCOUNTER, CODE, DESCRIPTION``, SNOMED-CT codes) becomes one list row,
joined on ``PATIENT = Id`` to the patient (``Id, BIRTHDATE, …, FIRST, LAST, …``). The joined
table has the columns ``Id, FIRST, LAST, BIRTHDATE, START, CODE, DESCRIPTION, OTHER CODES``:
``OTHER CODES`` holds the patient's other condition codes, so a bone-metastasis condition finds
its primary cancer. Row numbers are those of ``conditions.csv``. SNOMED-CT codes need the
mapping's ``[codes]`` (and ``unknown_codes = "not_eligible"`` for every other condition).
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from pathlib import Path

from app.screening.errors import UnreadableFile
from app.screening.table import RawTable, decode, table_from_grid

PATIENTS = "patients.csv"
CONDITIONS = "conditions.csv"
HEADERS = ["Id", "FIRST", "LAST", "BIRTHDATE", "START", "CODE", "DESCRIPTION", "OTHER CODES"]
COLUMNS = {"mrn": "Id", "first_name": "FIRST", "last_name": "LAST", "birth_date": "BIRTHDATE",
           "eligible_on": "START", "diagnosis": "CODE", "primary_diagnosis": "OTHER CODES"}


def _rows(path: Path, required: tuple[str, ...]) -> list[dict[str, str]]:
    if not path.exists():
        raise UnreadableFile(f"{path.parent.name} is a folder without {path.name}: a Synthea folder holds "
                             f"{PATIENTS} and {CONDITIONS}.")
    text, _ = decode(path.read_bytes())
    reader = csv.DictReader(io.StringIO(text, newline=""))
    missing = [c for c in required if c not in (reader.fieldnames or [])]
    if missing:
        raise UnreadableFile(f"{path.name} has no column(s) {', '.join(missing)}: not a Synthea export.")
    return list(reader)


def read_folder(folder: Path, header_row: int | None = None) -> RawTable:
    """The joined table; ``header_row`` does not apply (Synthea writes its header on row 1)."""
    patients = {p["Id"]: p for p in _rows(folder / PATIENTS, ("Id", "BIRTHDATE", "FIRST", "LAST"))}
    conditions = _rows(folder / CONDITIONS, ("START", "PATIENT", "CODE"))
    codes_of: dict[str, list[str]] = defaultdict(list)
    for condition in conditions:
        codes_of[condition["PATIENT"]].append(condition["CODE"].strip())
    grid: list[list[object]] = [list(HEADERS)]
    for condition in conditions:
        who = condition["PATIENT"]
        person = patients.get(who, {})
        code = condition["CODE"].strip()
        others = " ".join(dict.fromkeys(c for c in codes_of[who] if c and c != code))
        grid.append([who, person.get("FIRST", ""), person.get("LAST", ""), person.get("BIRTHDATE", ""),
                     condition["START"], code, condition.get("DESCRIPTION", ""), others])
    table = table_from_grid(grid, f"{folder.name}/{CONDITIONS}", 1,
                            f"Synthea folder: {CONDITIONS} joined to {PATIENTS} on PATIENT = Id")
    table.implied_columns = dict(COLUMNS)
    return table
