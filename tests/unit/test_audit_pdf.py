"""The self-audit PDF's drawing: long evidence never stops the report, tables split between rows,
codes read as words, and months after the as-of date are not printed as zero."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from pypdf import PdfReader
from reportlab.lib.units import inch

from app.domain.vocabulary import PROJECTS, REQUIRED_ROLES
from app.reports.audit_pdf import CELL, NOT_YET, fitted_widths, status_count, write_audit_pdf
from app.reports.audit_report import AttendanceCell, AttendanceRow, AuditReport, RuleStatus

AS_OF = dt.date(2025, 6, 30)


def report_with(findings: list[dict], **extra) -> AuditReport:
    report = AuditReport("Lakeside Cancer Center", 2025, AS_OF, "2025", dt.datetime(2025, 7, 1, 9, 0), **extra)
    report.rules = [RuleStatus("QIP-ENR-SELECTIVE", "qip", "Cases undecided", "trigger", 1)]
    report.findings = findings
    report.enrollment = {p: [3] * 12 for p in PROJECTS}
    report.enrollment_previous = {p: [2] * 12 for p in PROJECTS}
    return report


def pdf_text(path: Path) -> list[str]:
    return [page.extract_text() for page in PdfReader(path).pages]


def selective(n: int, count: int | None = None) -> dict:
    cases = [{"case_id": f"C-{i:05d}", "project": "bone_mets", "eligible_on": dt.date(2025, 1, 2), "status": "pending",
              "reason": None, "problem": "still pending after the decision window"} for i in range(n)]
    return {"rule": "QIP-ENR-SELECTIVE", "kind": "qip", "severity": "trigger", "subject": {}, "message": f"{n} case(s).",
            "evidence": {"case_count": count or n, "cases": cases}}


def test_two_hundred_listed_cases_become_a_table_across_pages(tmp_path: Path) -> None:
    """The rules list up to 200 cases; drawn in one cell they were taller than a page (LayoutError)."""
    out = tmp_path / "audit.pdf"
    pages = write_audit_pdf(report_with([selective(200, count=260)]), out)
    text = pdf_text(out)
    assert len(text) == pages
    joined = "\n".join(text)
    assert "C-00000" in joined and "C-00199" in joined
    assert "Bone metastases" in joined and "bone_mets" not in joined  # codes in words
    assert "200 listed of 260" in joined
    case_pages = [t for t in text if "C-00" in t]
    assert len(case_pages) > 1 and all("Case ID" in t for t in case_pages)  # the header repeats on every page
    assert "What to do next: Record the reason each case was not enrolled, or enroll it." in joined


def test_evidence_taller_than_a_page_is_split_not_fatal(tmp_path: Path) -> None:
    note = {"rule": "ENR-REASON-OTHER", "kind": "qip", "severity": "warning", "subject": {"case": "C-1"},
            "message": "A long note.", "evidence": {"case_id": "C-1", "note": "word " * 12000}}
    out = tmp_path / "audit.pdf"
    assert write_audit_pdf(report_with([note]), out) > 3


def test_attendance_rows_are_never_split_across_pages(tmp_path: Path) -> None:
    cell = AttendanceCell("Substitute: Dr. Someone With A Long Name - not acceptable: not a physician; "
                          "Holder: A. Person (covering two roles) - end", True)
    rows = [AttendanceRow(dt.date(2025, 1, 1) + dt.timedelta(days=7 * i), "in_person", f"Meeting {i:02d}",
                          {role: cell for role in REQUIRED_ROLES}) for i in range(40)]
    out = tmp_path / "audit.pdf"
    write_audit_pdf(report_with([], attendance=rows), out)

    for page in pdf_text(out):
        # a row split across pages leaves the end of its cells on the next page
        meetings = len(re.findall(r"Meeting \d\d", page))
        assert page.count("- end") == meetings * len(REQUIRED_ROLES)


def test_months_after_the_as_of_date_are_not_zero(tmp_path: Path) -> None:
    out = tmp_path / "audit.pdf"
    write_audit_pdf(report_with([]), out)
    enrollment_page = next(t for t in pdf_text(out) if "Monthly enrollment by project" in t)
    lines = enrollment_page.splitlines()
    start = lines.index("Breast 2025") + 1
    assert lines[start:start + 13] == ["3"] * 6 + [NOT_YET] * 6 + ["18"]


def test_record_columns_fit_the_page_and_ids_do_not_wrap() -> None:
    from reportlab.pdfbase.pdfmetrics import stringWidth

    texts = [["C-00001", "Bone metastases", "2025-01-02", "still pending after the decision window " * 3]]
    widths = fitted_widths(["case_id", "project", "eligible_on", "problem"], texts, 6.7 * inch)
    assert abs(sum(widths) - 6.7 * inch) < 0.01
    assert widths[0] > stringWidth("C-00001", CELL.fontName, CELL.fontSize) + 12  # 6 points padding a side


def test_summary_counts_read_as_english() -> None:
    assert [status_count(3, "warning"), status_count(1, "warning"), status_count(2, "trigger"), status_count(14, "clear")] \
        == ["3 warnings", "1 warning", "2 triggered", "14 clear"]


def test_the_summary_says_it_counts_rules_and_names_their_findings() -> None:
    """Issue 25: "4 warnings" counted rules while the Findings screen listed 14 findings."""
    from app.reports.audit_pdf import headline_words
    from app.reports.audit_report import RuleStatus

    rules = [RuleStatus("A", "qip", "a", "trigger", 3), RuleStatus("B", "qip", "b", "trigger", 1),
             *[RuleStatus(f"W{n}", "attendance", "w", "warning", n) for n in (5, 4, 3, 2)],
             RuleStatus("C", "ce", "c", "clear", 0)]
    assert headline_words(rules) == "7 rules checked: 2 triggered (4 findings), 4 with warnings (14 findings), 1 clear"
    assert headline_words([]) == "no rules evaluated"
