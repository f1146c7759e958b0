"""Read a workbook source into raw rows: ``.xlsx``, a folder of CSVs, or a ``.zip`` of CSVs.

Nothing is interpreted here except the CSV formula guard (a leading ``'`` added by our export).
Blank rows are skipped; every row keeps the number a spreadsheet shows (header = row 1).
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from app.exports.tabular import restore_csv
from app.workbook.schema import SHEET_NAMES, WorkbookError


@dataclass
class RawSheet:
    name: str
    headers: list[str]
    rows: list[tuple[int, list[Any]]] = field(default_factory=list)


def _blank(values: Iterable[Any]) -> bool:
    return all(v is None or (isinstance(v, str) and not v.strip()) for v in values)


def _sheet(name: str, rows: Iterable[Iterable[Any]]) -> RawSheet:
    iterator = iter(rows)
    header = next(iterator, None)
    headers = [str(h).strip() if h is not None else "" for h in (header or [])]
    while headers and headers[-1] == "":
        headers.pop()
    sheet = RawSheet(name, headers)
    for number, values in enumerate(iterator, start=2):
        values = list(values)
        if _blank(values):
            continue
        sheet.rows.append((number, values))
    return sheet


def _csv_rows(text: str) -> list[list[Any]]:
    return [[restore_csv(cell) for cell in row] for row in csv.reader(io.StringIO(text))]


def _decode(data: bytes, where: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise WorkbookError([f"workbook: {where} is not UTF-8 text; save it as 'CSV UTF-8'"]) from None


def _unknown_sheets(names: Iterable[str]) -> list[str]:
    return [f"workbook: unknown sheet '{n}' (sheets: {', '.join(SHEET_NAMES)})" for n in names if n not in SHEET_NAMES]


def read_xlsx(path: Path) -> dict[str, RawSheet]:
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError) as exc:
        raise WorkbookError([f"workbook: {path.name} cannot be read as an .xlsx file ({exc.__class__.__name__})"]) from None
    try:
        problems = _unknown_sheets(book.sheetnames)
        if problems:
            raise WorkbookError(problems)
        return {name: _sheet(name, book[name].iter_rows(values_only=True)) for name in book.sheetnames}
    finally:
        book.close()


def read_csv_folder(path: Path) -> dict[str, RawSheet]:
    files = sorted(p for p in path.iterdir() if p.suffix.lower() == ".csv")
    if not files:
        raise WorkbookError([f"workbook: the folder {path} has no .csv files"])
    problems = _unknown_sheets(p.stem for p in files)
    if problems:
        raise WorkbookError(problems)
    return {p.stem: _sheet(p.stem, _csv_rows(_decode(p.read_bytes(), p.name))) for p in files}


def read_zip(path: Path) -> dict[str, RawSheet]:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError):
        raise WorkbookError([f"workbook: {path.name} is not a readable .zip file"]) from None
    with archive:
        members = [m for m in archive.namelist() if m.lower().endswith(".csv") and not m.startswith("__MACOSX")]
        if not members:
            raise WorkbookError([f"workbook: {path.name} holds no .csv files"])
        names = {Path(m).stem: m for m in members}
        problems = _unknown_sheets(names)
        if problems:
            raise WorkbookError(problems)
        return {name: _sheet(name, _csv_rows(_decode(archive.read(member), member))) for name, member in names.items()}


def read_source(path: Path) -> dict[str, RawSheet]:
    if not path.exists():
        raise WorkbookError([f"workbook: no file or folder at {path}"])
    if path.is_dir():
        return read_csv_folder(path)
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        return read_xlsx(path)
    if suffix == ".zip":
        return read_zip(path)
    if suffix == ".csv":
        if path.stem not in SHEET_NAMES:
            raise WorkbookError(_unknown_sheets([path.stem]))
        return {path.stem: _sheet(path.stem, _csv_rows(_decode(path.read_bytes(), path.name)))}
    raise WorkbookError([f"workbook: {path.name} is not an .xlsx file, a .zip of CSV files or a folder of CSV files"])
