"""``export workbook``: every table in the import format, so export → import gives the data back."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import inspect, select

from app.domain.records import format_metrics
from app.services.facility import get_facility
from app.storage.database import Database
from app.storage.tabular import Sheet, atomic_path, csv_text, write_csv, write_xlsx
from app.workbook.importer import _model
from app.workbook.schema import FACILITY_KEYS, SHEETS, SheetSpec

STREAM_CHUNK = 5000
#: Export order where the key is not a readable order (letters by date, then ID).
ORDER: dict[str, tuple[str, ...]] = {"correspondence": ("received_on", "letter_id")}


def _facility_sheet(db: Database) -> Sheet:
    facility = get_facility(db)
    rows: list[tuple[str, Any]] = []
    if facility is not None:
        for column in FACILITY_KEYS:
            value = getattr(facility, column.name)
            if value is None or value == "":
                continue
            rows.append((column.name, value))
    return Sheet("facility", ["key", "value"], rows, empty_note="")


def _rows(db: Database, spec: SheetSpec, columns: Sequence[str]) -> Iterator[list[Any]]:
    # the table's own columns, not the model's attributes: rows come back as plain tuples, without
    # the ORM's per-row loading (a quarter of reading them)
    table = inspect(_model(spec.table)).columns
    names = ORDER.get(spec.name) or tuple(k for k in spec.key if k != "case_id" or spec.key_is_primary)
    order = [table[k] for k in names] or [table["id"]]
    stmt = select(*[table[c] for c in columns]).order_by(*order)
    metrics_at = columns.index("metrics") if "metrics" in columns else -1
    with db.reader() as session:
        for row in session.execute(stmt.execution_options(yield_per=STREAM_CHUNK)):
            values = list(row)
            if metrics_at >= 0:
                values[metrics_at] = format_metrics(values[metrics_at])
            yield values


def workbook_sheets(db: Database, identified: bool) -> list[Sheet]:
    sheets = [_facility_sheet(db)]
    for spec in SHEETS:
        columns = [c for c in spec.columns if identified or not c.phi]
        sheets.append(Sheet(spec.name, [c.name for c in columns], _rows(db, spec, [c.attr for c in columns]), empty_note=""))
    return sheets


def _write_csvs(sheets: list[Sheet], folder: Path) -> int:
    folder.mkdir(parents=True, exist_ok=True)
    return sum(write_csv(folder / f"{sheet.name}.csv", sheet) for sheet in sheets)


def _write_zip(sheets: list[Sheet], out: Path) -> int:
    count = 0
    with atomic_path(out, ".zip") as tmp, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as archive:
        for sheet in sheets:
            buffer = io.StringIO()
            writer = csv.writer(buffer)
            writer.writerow(sheet.headers)
            for row in sheet.rows:
                writer.writerow([csv_text(v) for v in row])
                count += 1
            archive.writestr(f"{sheet.name}.csv", "\ufeff" + buffer.getvalue())
    return count


def export_workbook(db: Database, out: Path, identified: bool = False) -> int:
    """``.xlsx``, ``.zip`` of CSVs, or (no ending) a folder of CSVs; returns the rows written."""
    out = Path(out)
    sheets = workbook_sheets(db, identified)
    suffix = out.suffix.lower()
    if suffix == ".xlsx":
        return write_xlsx(out, sheets)
    if suffix == ".zip":
        return _write_zip(sheets, out)
    if suffix == "":
        return _write_csvs(sheets, out)
    raise ValueError(f"Save the workbook as .xlsx, as .zip (CSV files) or to a folder (got '{suffix}').")
