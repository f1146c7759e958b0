"""One function per export kind, all with one signature: ``(db, out, year, as_of, identified,
**options) -> count`` (``options``: what a kind takes, ``rule`` for finding-cases).

``app.domain.export_kinds`` names each by ``module:function``; ``app.exports.service`` checks
the permission and the target, calls it and records the export.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from app.domain.vocabulary import label
from app.exports import submissions
from app.exports.attendance import attendance_sheet
from app.exports.calendar import write_calendar
from app.exports.finding_cases import finding_cases_sheet
from app.reports.audit_service import export_audit_pdf
from app.security import pki
from app.security.people import authorities
from app.services.dosimetry import missing_submissions
from app.services.facility import get_facility
from app.storage.audit import now
from app.storage.database import Database
from app.storage.files import atomic_write
from app.storage.tabular import ExportError, Sheet, write_table
from app.workbook.exporter import export_workbook


def workbook(db: Database, out: Path, year: int | None, as_of: dt.date, identified: bool, **_options: object) -> int:
    return export_workbook(db, out, identified=identified)


def enrollment(db: Database, out: Path, year: int | None, as_of: dt.date, identified: bool, **_options: object) -> int:
    return write_table(out, [submissions.enrollment_sheet(db, submissions.Period.of(year, as_of), identified=identified)])


def dosimetry(db: Database, out: Path, year: int | None, as_of: dt.date, identified: bool, **_options: object) -> int:
    return write_table(out, [submissions.dosimetry_sheet(db, submissions.Period.of(year, as_of))])


def attendance(db: Database, out: Path, year: int | None, as_of: dt.date, identified: bool, **_options: object) -> int:
    return write_table(out, [attendance_sheet(db, submissions.Period.of(year, as_of))])


def mdcb_roster(db: Database, out: Path, year: int | None, as_of: dt.date, identified: bool, **_options: object) -> int:
    return write_table(out, [submissions.mdcb_roster_sheet(db, submissions.Period.of(year, as_of))])


def ce_certificates(db: Database, out: Path, year: int | None, as_of: dt.date, identified: bool,
                    **_options: object) -> int:
    return write_table(out, [submissions.ce_certificates_sheet(db, submissions.Period.of(year, as_of))])


def missing_dosimetry(db: Database, out: Path, year: int | None, as_of: dt.date, identified: bool,
                      **_options: object) -> int:
    """Every enrolled breast and lung case without a submission at ``as_of`` (the Dosimetry screen's list)."""
    _count, rows = missing_submissions(db, as_of, limit=None)
    sheet = Sheet("missing dosimetry", ["Case ID", "Project", "Enrolled on", "Days since enrollment"],
                  [(cid, label(project), enrolled, (as_of - enrolled).days) for cid, project, enrolled in rows],
                  empty_note=f"Every enrolled breast and lung case has a submission as of {as_of.isoformat()}.")
    return write_table(out, [sheet])


def finding_cases(db: Database, out: Path, year: int | None, as_of: dt.date, identified: bool,
                  rule: str | None = None, **_options: object) -> int:
    return write_table(out, [finding_cases_sheet(db, as_of, identified, rule)])


def calendar(db: Database, out: Path, year: int | None, as_of: dt.date, identified: bool, **_options: object) -> int:
    return write_calendar(db, out, as_of, now().replace(tzinfo=dt.UTC))


def audit_pdf(db: Database, out: Path, year: int | None, as_of: dt.date, identified: bool, **_options: object) -> int:
    return export_audit_pdf(db, out, year=year or as_of.year, as_of=as_of, identified=identified)


def facility_certificate(db: Database, out: Path, year: int | None, as_of: dt.date, identified: bool,
                         **_options: object) -> int:
    """The facility certificate(s) as PEM: what ``verify-pdf --trust`` checks a signed self-audit
    against (the one the signed-in person trusts first; earlier ones after it). Holds no secret."""
    with db.reader() as session:
        found = authorities(session)
    mine = getattr(db.person, "trusted", None)
    if mine is not None:
        found = [mine, *(c for c in found if c != mine)]
    if not found:
        raise ExportError("This database has no facility certificate yet: an administrator's sign-in makes it.")
    facility = get_facility(db)
    label_line = f"Facility: {facility.name}\n" if facility is not None else ""  # the reader's label, outside the certificate
    atomic_write(out, (label_line + "".join(pki.pem(c) for c in found)).encode("utf-8"))
    return len(found)
