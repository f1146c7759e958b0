"""``export audit-pdf``: gather the year's figures and findings, then draw the PDF."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from app.reports import audit_data
from app.reports.audit_report import AuditReport
from app.reports.audit_rules import add_quality_content, add_rule_content
from app.services.facility import get_facility
from app.services.findings import evaluate_at
from app.storage.database import Database


class ReportError(ValueError):
    """The audit cannot be made from this input (no facility, an as-of date before the year)."""


def build_report(db: Database, *, year: int, as_of: dt.date, identified: bool = False,
                 generated_at: dt.datetime | None = None) -> AuditReport:
    """The year's audit evaluated at the as-of date, or at December 31 of the year if that is earlier.

    One evaluation (``evaluate_at``) decides the policy in force for the whole report: the
    attestation, the letters' due dates, the findings and the program figures never disagree."""
    facility = get_facility(db)
    if facility is None:
        raise ReportError("The database has no facility yet; set it up first.")
    if as_of < dt.date(year, 1, 1):
        raise ReportError(f"The as-of date {as_of.isoformat()} is before {year} began.")
    # The audit speaks for its year: a past year's audit made today is judged at that year's end,
    # so later records (next year's findings, meetings, letters) never appear in it.
    as_of = min(as_of, dt.date(year, 12, 31))
    generated = generated_at or dt.datetime.now().replace(microsecond=0)
    evaluation = evaluate_at(db, as_of)
    report = audit_data.base_report(db, facility.name, year, as_of, evaluation.in_force, generated, identified)
    add_rule_content(db, report, evaluation)
    add_quality_content(db, report)
    return report


def export_audit_pdf(db: Database, out: Path, *, year: int, as_of: dt.date, identified: bool = False) -> int:
    """Write the PDF; returns its page count."""
    report = build_report(db, year=year, as_of=as_of, identified=identified)
    from app.reports.audit_pdf import write_audit_pdf  # reportlab (~0.2 s) when a PDF is made

    return write_audit_pdf(report, out)
