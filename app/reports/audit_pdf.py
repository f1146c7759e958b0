"""Draw the self-audit PDF with reportlab: cover, rule summary, charts, findings, data quality, attendance,
roster, data entry, correspondence, programs and the attestation block.

Readable in black and white: status is always spelled out in words, charts use grey levels and
distinct patterns, violations are bold with a marker and never shown by colour alone.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, BinaryIO

from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import LETTER
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import inch
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen import canvas as pdf_canvas
from reportlab.platypus import (
    CondPageBreak,
    KeepTogether,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from app.domain.vocabulary import PROJECTS, REQUIRED_ROLES, label
from app.reports.audit_report import MONTHS, AuditReport
from app.reports.evidence import EvidenceTable, present, subject_text
from app.storage.files import atomic_path

STYLES = getSampleStyleSheet()
BODY = STYLES["BodyText"]
SMALL = ParagraphStyle("small", parent=BODY, fontSize=8, leading=10)
CELL = ParagraphStyle("cell", parent=BODY, fontSize=8, leading=9.5)
CELL_BOLD = ParagraphStyle("cellbold", parent=CELL, fontName="Helvetica-Bold")
H1 = STYLES["Heading1"]
H2 = STYLES["Heading2"]
TITLE = ParagraphStyle("title", parent=STYLES["Title"], fontSize=24, leading=30, spaceAfter=18)
CENTER = ParagraphStyle("center", parent=BODY, alignment=TA_CENTER)
DARK, MID, LIGHT = colors.Color(0.2, 0.2, 0.2), colors.Color(0.55, 0.55, 0.55), colors.Color(0.85, 0.85, 0.85)
#: Table cell for a month after the as-of date: not a zero, it has not happened yet.
NOT_YET = "-"
STATUS_WORDS = {"clear": "Clear", "info": "Note", "warning": "Warning", "trigger": "TRIGGERED", "violation": "VIOLATION"}


def esc(text: Any) -> str:
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


MARGIN_X, MARGIN_Y = 0.75 * inch, 0.8 * inch
FRAME_PADDING = 6  # reportlab's default frame padding, each side
#: The height a flowable has at the top of a page.
FRAME_HEIGHT = LETTER[1] - 2 * MARGIN_Y - 2 * FRAME_PADDING


class Grid(Table):
    """A table that splits between rows; only a row taller than a whole page (a long note, a long
    list of case ids) is split inside itself, where reportlab would otherwise stop the whole report
    with a LayoutError. (reportlab's own ``splitInRow`` also splits rows that would fit the next page.)"""

    def split(self, availWidth: float, availHeight: float) -> list[Any]:  # noqa: N803 (reportlab's names)
        parts = super().split(availWidth, availHeight)
        if parts or availHeight < FRAME_HEIGHT - 1:
            return parts
        self.splitInRow = 1
        try:
            parts = super().split(availWidth, availHeight)
        finally:
            self.splitInRow = 0
        for part in parts:
            part.splitInRow = 0
        return parts


def grid(data: list[list[Any]], widths: list[float], *, bold_rows: set[int] | None = None) -> Table:
    """A table that repeats its header on every page and splits cleanly between rows."""
    table = Grid(data, colWidths=widths, repeatRows=1, hAlign="LEFT")
    style = [
        ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 8),
        ("FONT", (0, 1), (-1, -1), "Helvetica", 8),
        ("BACKGROUND", (0, 0), (-1, 0), LIGHT),
        ("GRID", (0, 0), (-1, -1), 0.4, MID),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
    ]
    for row in bold_rows or ():
        style.append(("FONT", (0, row), (-1, row), "Helvetica-Bold", 8))
        style.append(("LINEBELOW", (0, row), (-1, row), 1.2, DARK))
    table.setStyle(TableStyle(style))
    return table


class NumberedCanvas(pdf_canvas.Canvas):
    """Two-pass canvas so each page can say "Page N of M" and carry the running header."""

    header_text = ""
    page_count = 0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._pages: list[dict[str, Any]] = []

    def showPage(self) -> None:  # noqa: N802 (reportlab's name)
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._pages)
        type(self).page_count = total
        for state in self._pages:
            self.__dict__.update(state)
            self._decorate(total)
            super().showPage()
        super().save()

    def _decorate(self, total: int) -> None:
        width, height = LETTER
        self.setFont("Helvetica", 8)
        self.setFillColor(DARK)
        if self._pageNumber > 1:
            self.drawString(0.75 * inch, height - 0.5 * inch, self.header_text)
            self.setStrokeColor(MID)
            self.line(0.75 * inch, height - 0.55 * inch, width - 0.75 * inch, height - 0.55 * inch)
        self.drawRightString(width - 0.75 * inch, 0.5 * inch, f"Page {self._pageNumber} of {total}")
        self.drawString(0.75 * inch, 0.5 * inch, "MROQC Facility Desk self-audit")


def enrollment_chart(report: AuditReport, project: str) -> Drawing:
    drawing = Drawing(240, 150)
    chart = VerticalBarChart()
    chart.x, chart.y, chart.width, chart.height = 30, 30, 200, 95
    current = report.enrollment.get(project, [0] * 12)
    previous = report.enrollment_previous.get(project, [0] * 12)
    chart.data = [previous, current]
    chart.bars[0].fillColor = colors.white
    chart.bars[0].strokeColor = DARK
    chart.bars[1].fillColor = DARK
    chart.bars[1].strokeColor = DARK
    chart.categoryAxis.categoryNames = [m[0] for m in MONTHS]
    chart.categoryAxis.labels.fontSize = 6
    chart.valueAxis.labels.fontSize = 6
    chart.valueAxis.valueMin = 0
    chart.valueAxis.valueMax = max(4, *previous, *current) * 1.15
    chart.barSpacing = 0.5
    chart.groupSpacing = 3
    drawing.add(chart)
    drawing.add(String(30, 135, label(project), fontName="Helvetica-Bold", fontSize=9))
    return drawing


def chart_legend(year: int) -> Drawing:
    drawing = Drawing(480, 18)
    legend = Legend()
    legend.x, legend.y = 30, 12
    legend.fontSize = 8
    legend.columnMaximum = 1
    legend.alignment = "right"
    legend.strokeColor = DARK
    legend.colorNamePairs = [(colors.white, f"{year - 1} (outlined)"), (DARK, f"{year} (solid)")]
    drawing.add(legend)
    return drawing


def data_entry_chart(report: AuditReport) -> Drawing:
    drawing = Drawing(480, 150)
    chart = VerticalBarChart()
    chart.x, chart.y, chart.width, chart.height = 40, 25, 420, 110
    chart.data = [report.data_entry_previous, report.data_entry]
    chart.bars[0].fillColor = colors.white
    chart.bars[0].strokeColor = DARK
    chart.bars[1].fillColor = DARK
    chart.categoryAxis.categoryNames = list(MONTHS)
    chart.categoryAxis.labels.fontSize = 7
    chart.valueAxis.labels.fontSize = 7
    chart.valueAxis.valueMin = 0
    chart.valueAxis.valueMax = max(4, *report.data_entry, *report.data_entry_previous) * 1.15
    drawing.add(chart)
    return drawing


def _policy_words(report: AuditReport) -> str:
    """"MROQC QIP policy in force since 2025-01-01 (no newer one installed)": the attestation names
    the policy the year was judged by, never "the 2025 policies" for another year."""
    return report.policy_statement or f"MROQC policy of program year {report.policy_year}"


def cover(report: AuditReport) -> list[Any]:
    start, end = report.period
    rows = [
        ["Facility", report.facility],
        ["Period", f"{start.isoformat()} to {end.isoformat()}"],
        ["Evaluated as of", report.as_of.isoformat()],
        ["Policy", report.policy_statement or f"MROQC policy {report.policy_year}"],
        ["Generated at", report.generated_at.strftime("%Y-%m-%d %H:%M")],
        ["Patient identifiers", "Included (identified export)" if report.identified else "None (de-identified)"],
    ]
    table = Table([[Paragraph(f"<b>{esc(a)}</b>", BODY), Paragraph(esc(b), BODY)] for a, b in rows],
                  colWidths=[1.8 * inch, 4.6 * inch], hAlign="LEFT")
    table.setStyle(TableStyle([("LINEBELOW", (0, 0), (-1, -1), 0.4, MID), ("VALIGN", (0, 0), (-1, -1), "TOP")]))
    return [Spacer(1, 1.4 * inch), Paragraph("MROQC self-audit", TITLE),
            Paragraph(esc(report.facility), H1), Spacer(1, 0.3 * inch), table, PageBreak()]


#: Statuses from least to most serious, so the summary line names the worst first.
SEVERITY_ORDER = ("clear", "info", "warning", "trigger", "violation")
#: Statuses read as adjectives ("3 clear", "2 triggered"), not counted nouns ("3 warnings").
ADJECTIVE_STATUSES = ("clear", "trigger")


def status_count(n: int, status: str) -> str:
    word = STATUS_WORDS.get(status, status).lower()
    return f"{n} {word}" if n == 1 or status in ADJECTIVE_STATUSES else f"{n} {word}s"


def summary(report: AuditReport) -> list[Any]:
    counts: dict[str, int] = {}
    for rule in report.rules:
        counts[rule.status] = counts.get(rule.status, 0) + 1
    worst_first = sorted(counts, key=lambda s: -SEVERITY_ORDER.index(s) if s in SEVERITY_ORDER else 0)
    headline = ", ".join(status_count(counts[s], s) for s in worst_first) or "no rules evaluated"
    data: list[list[Any]] = [["Rule", "Kind", "What it checks", "Status", "Findings"]]
    flagged = set()
    for i, rule in enumerate(report.rules, start=1):
        data.append([rule.rule, Paragraph(esc(label(rule.kind)), CELL), Paragraph(esc(rule.title), CELL),
                     STATUS_WORDS.get(rule.status, rule.status), str(rule.count)])
        if rule.status in ("trigger", "violation"):
            flagged.add(i)
    return [Paragraph("Summary of every rule", H1), Paragraph(f"As of {report.as_of.isoformat()}: {headline}.", BODY),
            Spacer(1, 6), grid(data, [1.6 * inch, 0.85 * inch, 2.8 * inch, 0.85 * inch, 0.7 * inch], bold_rows=flagged),
            PageBreak()]


def enrollment_section(report: AuditReport) -> list[Any]:
    charts = [enrollment_chart(report, p) for p in PROJECTS]
    chart_grid = Table([charts[:2], charts[2:]], colWidths=[3.3 * inch, 3.3 * inch])
    totals = [["Project", *[m for m in MONTHS], "Total"]]
    months_seen = report.period[1].month  # later months of the year are after the as-of date
    for project in PROJECTS:
        for year, series in ((report.year - 1, report.enrollment_previous), (report.year, report.enrollment)):
            values: list[Any] = list(series.get(project, [0] * 12))
            if year == report.year:
                values[months_seen:] = [NOT_YET] * (12 - months_seen)
            totals.append([f"{label(project)} {year}", *values, sum(v for v in values if v != NOT_YET)])
    table = grid(totals, [1.45 * inch] + [0.37 * inch] * 12 + [0.5 * inch])
    note = (f" Months after {report.as_of.isoformat()} are shown as \"{NOT_YET}\"." if months_seen < 12 else "")
    return [Paragraph("Monthly enrollment by project", H1),
            Paragraph(f"Enrollments per month in {report.year} (solid) against {report.year - 1} (outlined).{note}", BODY),
            chart_legend(report.year), chart_grid, Spacer(1, 8), table, PageBreak()]


def cell_text(text: str) -> str:
    """A presenter's plain text in a table cell: escaped, line breaks kept."""
    return esc(text).replace("\n", "<br/>")


def record_table(table: EvidenceTable) -> list[Any]:
    """Listed records (the cases behind a finding) as a table of their own, one row per record,
    so a long list splits across pages between rows with its header repeated."""
    texts = table.texts()
    data: list[list[Any]] = [[Paragraph(f"<b>{esc(h)}</b>", CELL) for h in table.headers]]
    data += [[Paragraph(esc(t), CELL) for t in row] for row in texts]
    return [Spacer(1, 4), Paragraph(esc(table.caption), SMALL),
            grid(data, fitted_widths(list(table.columns), texts, RECORD_TABLE_WIDTH))]


RECORD_TABLE_WIDTH = 6.7 * inch
#: Cell padding (6 points a side) plus a little slack, so a value that fits is not wrapped.
CELL_SLACK = 14


def fitted_widths(columns: list[str], texts: list[list[str]], width: float) -> list[float]:
    """Columns as wide as their longest value (ids and dates never wrap); what does not fit is
    taken from the widest columns, whose free text wraps instead."""
    natural = []
    for i, column in enumerate(columns):
        longest = max([stringWidth(label(column), "Helvetica-Bold", CELL.fontSize)]
                      + [stringWidth(row[i], CELL.fontName, CELL.fontSize) for row in texts])
        natural.append(longest + CELL_SLACK)
    widths = sorted(natural)
    # The largest cap such that every column at min(natural, cap) fits the table width.
    cap = width / len(natural)
    for k, w in enumerate(widths):
        rest = width - sum(widths[:k])
        if w * (len(widths) - k) > rest:
            cap = rest / (len(widths) - k)
            break
    else:
        cap = max(widths)
    fitted = [min(w, cap) for w in natural]
    spare = width - sum(fitted)
    widest = max(range(len(fitted)), key=lambda i: natural[i])
    fitted[widest] += spare  # a table the page's width, the slack in its longest column
    return fitted


def findings_section(report: AuditReport) -> list[Any]:
    parts: list[Any] = [Paragraph("Findings and their evidence", H1)]
    if not report.findings:
        parts.append(Paragraph("No findings: every rule is clear as of this date.", BODY))
    for finding in report.findings:
        view = present(finding)
        heading = f"{finding['rule']} ({STATUS_WORDS.get(finding['severity'], finding['severity'])})"
        subject = subject_text(finding.get("subject") or {})
        if subject:
            heading += f": {subject}"
        rows: list[list[Any]] = [["Evidence", "Value"]]
        rows += [[Paragraph(esc(name), CELL), Paragraph(cell_text(text), CELL)] for name, text in view.facts]
        records = [part for table in view.tables for part in record_table(table)]
        block = [Paragraph(esc(heading), H2), Paragraph(esc(view.message), BODY)]
        review = finding.get("review")
        if review:
            block.append(Paragraph(f"<b>{esc(review['line'])}</b>", BODY))
        if view.next_step:
            block.append(Paragraph(f"<b>What to do next:</b> {esc(view.next_step)}", BODY))
        if len(rows) > 1:
            block.append(grid(rows, [1.8 * inch, 4.9 * inch]))
        parts += [CondPageBreak(1.5 * inch), *block, *records, Spacer(1, 6)]
    return [*parts, PageBreak()]


QUALITY_WORDS = {"red": "NOT READY", "yellow": "Warnings to look at", "green": "Ready"}
QUALITY_SEVERITY = {"error": "Error", "warning": "Warning", "info": "Note"}


def quality_section(report: AuditReport) -> list[Any]:
    """Ready to submit: readiness per project in the year's submission periods, each data-quality
    rule's count, and the explanations kept for warnings (words, not colours: the page prints in
    black and white)."""
    q = report.quality
    if q is None:
        return []
    parts: list[Any] = [
        Paragraph("Data quality: ready to submit", H1),
        Paragraph(f"{esc(q.statement)}. Submission period(s): {esc(q.periods)}. An error keeps a period from being "
                  "ready until it is corrected; a warning is corrected or explained; a note counts for nothing.", BODY),
        Paragraph(f"<b>Readiness: {QUALITY_WORDS.get(q.status, q.status)}</b>"
                  + (f" (earlier periods: {esc(q.earlier)})" if q.earlier else ""), BODY), Spacer(1, 4)]
    rows: list[list[Any]] = [["Project", "Readiness", "Errors", "Warnings", "Explained", "Notes"]]
    flagged = set()
    for i, r in enumerate(q.rows, start=1):
        rows.append(["Facility-wide (meetings, letters)" if r.project == "facility" else label(r.project),
                     QUALITY_WORDS.get(r.status, r.status), r.errors, r.warnings, r.reviewed, r.info])
        if r.status != "green":
            flagged.add(i)
    parts.append(grid(rows, [2.1 * inch, 1.4 * inch, 0.7 * inch, 0.8 * inch, 0.8 * inch, 0.7 * inch], bold_rows=flagged))
    counts: list[list[Any]] = [["Rule", "What it checks", "Severity", "Problems", "Open"]]
    for rule in q.rules:
        counts.append([rule.rule, Paragraph(esc(rule.title), CELL), QUALITY_SEVERITY.get(rule.severity, rule.severity),
                       rule.count, rule.open])
    parts += [Spacer(1, 8), Paragraph("Problems per rule in the period", H2),
              grid(counts, [2.1 * inch, 2.6 * inch, 0.75 * inch, 0.65 * inch, 0.6 * inch])]
    parts.append(Paragraph("Explanations of warnings", H2))
    if not q.explanations:
        parts.append(Paragraph("No warning of the period has been explained.", BODY))
    for e in q.explanations:
        shown = ", ".join(e.records[:40]) + (f" and {len(e.records) - 40} more" if len(e.records) > 40 else "")
        parts.append(Paragraph(f"<b>{esc(e.line)}</b><br/>{len(e.records)} record(s): {esc(shown)}", SMALL))
    return [*parts, PageBreak()]


def attendance_section(report: AuditReport) -> list[Any]:
    data: list[list[Any]] = [["Meeting", *[label(r) for r in REQUIRED_ROLES]]]
    for row in report.attendance:
        cells = []
        for role in REQUIRED_ROLES:
            cell = row.cells.get(role)
            if cell is None:
                cells.append("")
            elif cell.violation:
                cells.append(Paragraph(f"(!) {esc(cell.text)}", CELL_BOLD))
            else:
                cells.append(Paragraph(esc(cell.text), CELL))
        title = f"{row.meeting.isoformat()} {label(row.format)}" + (f"<br/>{esc(row.title)}" if row.title else "")
        data.append([Paragraph(title, CELL), *cells])
    parts: list[Any] = [Paragraph(f"Attendance at collaborative-wide meetings, {report.year}", H1),
                        Paragraph("(!) marks a policy violation for that role at that meeting.", SMALL), Spacer(1, 4)]
    parts.append(grid(data, [1.6 * inch, 1.7 * inch, 1.7 * inch, 1.7 * inch]) if report.attendance
                 else Paragraph("No meetings in this period.", BODY))
    roster = [["Role", "Held by", "From", "To"]]
    for r in report.roster:
        roster.append([label(r.role), Paragraph(esc(r.person), CELL), r.start.isoformat(), r.end.isoformat() if r.end else "continuing"])
    parts += [Spacer(1, 12), Paragraph(f"Role roster over {report.year}", H2),
              grid(roster, [1.8 * inch, 2.4 * inch, 1.2 * inch, 1.2 * inch]) if len(roster) > 1
              else Paragraph("No role assignments.", BODY), PageBreak()]
    return parts


def activity_section(report: AuditReport) -> list[Any]:
    letters = [["Received", "Subject", "Reply due", "Replied", "Status"]]
    for letter in report.letters:
        letters.append([letter.received_on.isoformat(), Paragraph(esc(letter.subject), CELL),
                        letter.due_on.isoformat() if letter.due_on else "", letter.replied_on.isoformat() if letter.replied_on else "",
                        letter.status])
    return [
        Paragraph("Data-entry activity", H1),
        Paragraph(f"Logged data-entry sessions per month, {report.year} (solid) against {report.year - 1} (outlined).", BODY),
        chart_legend(report.year), data_entry_chart(report), Spacer(1, 10),
        Paragraph("Correspondence", H1),
        grid(letters, [0.85 * inch, 3.1 * inch, 0.85 * inch, 0.85 * inch, 1.0 * inch]) if len(letters) > 1
        else Paragraph("No correspondence in this period.", BODY),
        PageBreak(),
    ]


def programs_and_attestation(report: AuditReport) -> list[Any]:
    rows = [["Program figure", "Value", "Why"]]
    for p in report.programs:
        rows.append([Paragraph(esc(p.label), CELL), Paragraph(esc(p.value), CELL), Paragraph(esc(p.detail), CELL)])
    signature = Table(
        [["", ""], ["Clinical champion (name, signature)", "Date"], ["", ""], ["Administrative lead (name, signature)", "Date"]],
        colWidths=[4.4 * inch, 2.0 * inch], rowHeights=[0.45 * inch, 0.25 * inch, 0.45 * inch, 0.25 * inch], hAlign="LEFT",
    )
    signature.setStyle(TableStyle([("LINEABOVE", (0, 1), (-1, 1), 0.8, DARK), ("LINEABOVE", (0, 3), (-1, 3), 0.8, DARK),
                                   ("FONT", (0, 0), (-1, -1), "Helvetica", 8), ("VALIGN", (0, 0), (-1, -1), "TOP")]))
    statement = Paragraph(
        f"We have reviewed this self-audit of {esc(report.facility)} for {report.year}, evaluated as of "
        f"{report.as_of.isoformat()} under the {esc(_policy_words(report))}, and attest that it reflects "
        "the facility's records to the best of our knowledge.", BODY)
    signed = report.attestation
    if signed is None:
        attestation = KeepTogether([Paragraph("Attestation", H1), statement, Spacer(1, 10), signature])
    else:
        rows_signed = [["Signed by", signed.name + (f" (staff {signed.staff_id})" if signed.staff_id else "")],
                       ["Role", signed.role],
                       ["Date and time", f"{signed.signed_at:%Y-%m-%d %H:%M} UTC"],
                       ["As-of date", signed.as_of.isoformat()],
                       ["Findings", f"{signed.findings} ({signed.blocking} triggers or violations)"],
                       ["Signed in as", signed.user],
                       *([["Audit log", f"{signed.audit_entries:,} entries, the last entry {signed.audit_entry} "
                                        f"(hash {signed.audit_hash[:16]}…)"]]
                         if signed.audit_entry is not None and signed.audit_hash else [])]
        attestation = KeepTogether([
            Paragraph("Attestation", H1),
            Paragraph(f"I have reviewed this self-audit of {esc(report.facility)} for {report.year}, evaluated as of "
                      f"{signed.as_of.isoformat()} under the {esc(_policy_words(report))}, with "
                      f"{signed.findings} findings, and attest that it reflects the facility's records to the best of "
                      "my knowledge.", BODY),
            grid([[Paragraph(f"<b>{esc(k)}</b>", CELL), Paragraph(esc(v), CELL)] for k, v in rows_signed],
                 [1.6 * inch, 4.8 * inch]),
            Spacer(1, 6),
            Paragraph("This PDF carries a digital signature made with the signer's own key, certified by the "
                      "facility's certificate: a PDF reader shows whether it is unchanged since signing, and "
                      "<i>mroqc-desk verify-pdf FILE --trust FACILITY.pem</i> checks who signed it.", SMALL),
        ])
    return [Paragraph("Program figures", H1),
            grid(rows, [2.0 * inch, 1.6 * inch, 3.1 * inch]) if len(rows) > 1 else Paragraph("No program figures.", BODY),
            Spacer(1, 18), attestation]


def write_audit_pdf(report: AuditReport, out: Path | BinaryIO) -> int:
    """Write the PDF (returns its pages): to a file through a temporary name renamed into place
    (``app.storage.files.atomic_path``), or into ``out`` itself when it is a binary stream (a
    preview kept in memory, so an identified one never touches the disk)."""
    if not isinstance(out, str | Path):
        return _build(report, out)

    with atomic_path(Path(out), ".pdf") as tmp:
        return _build(report, tmp)


def _position_keyword(report: AuditReport) -> str:
    """Where the audit log stood at signing, machine-readable (``app.reports.signing.POSITION_KEYWORD``)."""
    signed = report.attestation
    if signed is None or signed.audit_entry is None or not signed.audit_hash:
        return ""
    return f"mroqc-audit-position:{signed.audit_entry}:{signed.audit_hash}:{signed.audit_entries}"


def _build(report: AuditReport, target: Path | BinaryIO) -> int:
    doc = SimpleDocTemplate(
        str(target) if isinstance(target, Path) else target, pagesize=LETTER, leftMargin=MARGIN_X,
        rightMargin=MARGIN_X, topMargin=MARGIN_Y, bottomMargin=MARGIN_Y,
        title=f"MROQC self-audit {report.year} - {report.facility}", author="MROQC Facility Desk",
        keywords=_position_keyword(report),
    )
    story = [*cover(report), *summary(report), *enrollment_section(report), *findings_section(report),
             *quality_section(report), *attendance_section(report), *activity_section(report), *programs_and_attestation(report)]

    class Canvas(NumberedCanvas):
        header_text = f"{report.facility} | self-audit {report.year} | as of {report.as_of.isoformat()}"

    doc.build(story, canvasmaker=Canvas)
    return Canvas.page_count
