"""One entry point for every export kind, used by the CLI and the Reports screen."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from app.exports import submissions
from app.exports.tabular import ExportError, write_table
from app.storage.database import Database

TABLE_KINDS = ("enrollment", "dosimetry", "attendance", "mdcb-roster", "ce-certificates")


def export_kind(db: Database, kind: str, out: Path, *, year: int | None, as_of: dt.date, identified: bool = False) -> int:
    """Write one export; returns the number of data rows (pages for the PDF)."""
    period = submissions.Period.of(year, as_of)
    if kind == "audit-pdf":
        from app.reports.audit_service import export_audit_pdf

        return export_audit_pdf(db, out, year=year or as_of.year, as_of=as_of, identified=identified)
    if kind == "enrollment":
        sheet = submissions.enrollment_sheet(db, period, identified=identified)
    elif kind == "dosimetry":
        sheet = submissions.dosimetry_sheet(db, period)
    elif kind == "attendance":
        from app.exports.attendance import attendance_sheet

        sheet = attendance_sheet(db, period)
    elif kind == "mdcb-roster":
        sheet = submissions.mdcb_roster_sheet(db, period)
    elif kind == "ce-certificates":
        sheet = submissions.ce_certificates_sheet(db, period)
    else:
        raise ExportError(f"Unknown export '{kind}'.")
    return write_table(out, [sheet])
