"""The export kinds: names, titles and file types, in one place.

Light on purpose (no SQLAlchemy): the command line lists the kinds before any database code
loads. ``app.exports.service`` gives each kind its writer and checks none is missing.
"""

from __future__ import annotations

from typing import NamedTuple


class KindInfo(NamedTuple):
    """``name`` is the CLI's KIND; ``title`` what the window calls it; ``files`` its save filter;
    ``identifies`` whether ``--identified`` adds patient identifiers to it."""

    name: str
    title: str
    files: str
    identifies: bool


SPREADSHEET = "Excel (*.xlsx);;CSV (*.csv)"
KIND_INFO: tuple[KindInfo, ...] = (
    KindInfo("workbook", "Facility workbook (everything; imports back)", "Excel (*.xlsx);;ZIP of CSV files (*.zip)", True),
    KindInfo("enrollment", "Enrollment file (one row per case)", SPREADSHEET, True),
    KindInfo("dosimetry", "Dosimetry submissions", SPREADSHEET, False),
    KindInfo("attendance", "Meeting attendance with verdicts", SPREADSHEET, False),
    KindInfo("mdcb-roster", "MDCB Activity Upload Roster", SPREADSHEET, False),
    KindInfo("ce-certificates", "ARRT/ASRT certificate-of-completion requests", SPREADSHEET, False),
    KindInfo("missing-dosimetry", "Enrolled breast and lung cases without dosimetry", SPREADSHEET, False),
    KindInfo("finding-cases", "Cases behind the findings (a work list, one row per case)", SPREADSHEET, True),
    KindInfo("calendar", "Meetings and due dates (calendar, .ics)", "iCalendar (*.ics)", False),
    KindInfo("audit-pdf", "Self-audit PDF (to review, and sign as the champion or administrative lead)", "PDF (*.pdf)", True),
    KindInfo("facility-certificate", "Facility certificate (for the coordinating center to check signed self-audits)",
             "Certificate (*.pem)", False),
)
EXPORT_KINDS: tuple[str, ...] = tuple(info.name for info in KIND_INFO)
