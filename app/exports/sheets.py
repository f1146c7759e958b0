"""The sheets each table export writes, built once: the writer and the preview both read them.

A preview that built its own rows would drift from the file (a column added to the export and
not to the preview); here each spreadsheet kind is one function from the export's choices to its
``Sheet`` list, which ``app.exports.writers`` writes and ``app.exports.preview`` shows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from app.domain.vocabulary import label
from app.exports import submissions
from app.exports.attendance import attendance_sheet
from app.exports.finding_cases import finding_cases_sheet
from app.services.dosimetry import missing_submissions
from app.storage.database import Database
from app.storage.tabular import Sheet
from app.workbook.exporter import workbook_sheets

#: (db, period, as_of, identified, rule) -> the sheets, in the file's order
SheetBuilder = Callable[[Database, submissions.Period, dt.date, bool, "str | None"], list[Sheet]]


def _enrollment(db: Database, period: submissions.Period, as_of: dt.date, identified: bool,
                rule: str | None) -> list[Sheet]:
    return [submissions.enrollment_sheet(db, period, identified=identified)]


def _dosimetry(db: Database, period: submissions.Period, as_of: dt.date, identified: bool,
               rule: str | None) -> list[Sheet]:
    return [submissions.dosimetry_sheet(db, period)]


def _attendance(db: Database, period: submissions.Period, as_of: dt.date, identified: bool,
                rule: str | None) -> list[Sheet]:
    return [attendance_sheet(db, period)]


def _mdcb_roster(db: Database, period: submissions.Period, as_of: dt.date, identified: bool,
                 rule: str | None) -> list[Sheet]:
    return [submissions.mdcb_roster_sheet(db, period)]


def _ce_certificates(db: Database, period: submissions.Period, as_of: dt.date, identified: bool,
                     rule: str | None) -> list[Sheet]:
    return [submissions.ce_certificates_sheet(db, period)]


def _missing_dosimetry(db: Database, period: submissions.Period, as_of: dt.date, identified: bool,
                       rule: str | None) -> list[Sheet]:
    """Every enrolled breast and lung case without a submission at ``as_of`` (the Dosimetry screen's list)."""
    _count, rows = missing_submissions(db, as_of, limit=None)
    return [Sheet("missing dosimetry", ["Case ID", "Project", "Enrolled on", "Days since enrollment"],
                  [(cid, label(project), enrolled, (as_of - enrolled).days) for cid, project, enrolled in rows],
                  empty_note=f"Every enrolled breast and lung case has a submission as of {as_of.isoformat()}.")]


def _finding_cases(db: Database, period: submissions.Period, as_of: dt.date, identified: bool,
                   rule: str | None) -> list[Sheet]:
    return [finding_cases_sheet(db, as_of, identified, rule)]


def _workbook(db: Database, period: submissions.Period, as_of: dt.date, identified: bool,
              rule: str | None) -> list[Sheet]:
    return workbook_sheets(db, identified)


#: The kinds written as spreadsheets, by ``app.domain.export_kinds`` name.
SHEET_KINDS: dict[str, SheetBuilder] = {
    "workbook": _workbook,
    "enrollment": _enrollment,
    "dosimetry": _dosimetry,
    "attendance": _attendance,
    "mdcb-roster": _mdcb_roster,
    "ce-certificates": _ce_certificates,
    "missing-dosimetry": _missing_dosimetry,
    "finding-cases": _finding_cases,
}


def export_sheets(db: Database, kind: str, *, year: int | None, as_of: dt.date, identified: bool,
                  rule: str | None = None) -> list[Sheet]:
    """The sheets an export of ``kind`` writes (no permission check: the caller's, see
    ``app.exports.service``)."""
    return SHEET_KINDS[kind](db, submissions.Period.of(year, as_of), as_of, identified, rule)
