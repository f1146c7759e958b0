"""The export kinds: each one declaration that the command line, the Reports screen, the writer
registry and the audit entry all read.

Adding a kind = one ``ExportKind`` here, the function its ``writer`` names (any module; the
signature of ``app.exports.writers``), its tests and its line in docs/exports.md and docs/cli.md
(``tests/unit/test_export_kinds.py`` fails on a kind missing from either).

Light on purpose (no SQLAlchemy, in the lowest layer): the command line lists the kinds before
any database code loads, and ``app.services.export_guard`` refuses to audit an undeclared kind.
The writer is named by ``module:function`` and imported only when an export is written.
"""

from __future__ import annotations

from typing import Literal, NamedTuple


class ExportKind(NamedTuple):
    """``name`` is the CLI's KIND and the audit entry's key; ``title`` what the window calls it;
    ``files`` its save filter; ``identifies`` whether ``--identified`` adds patient identifiers to
    it; ``writer`` the ``module:function`` that writes it (None: written by its own screen with its
    own filters, not by ``export``); ``counts`` what the number it returns counts;
    ``reports_screen`` whether the Reports screen offers it."""

    name: str
    title: str
    files: str
    identifies: bool
    writer: str | None
    counts: Literal["rows", "pages", "events", "certificates"] = "rows"
    reports_screen: bool = True


SPREADSHEET = "Excel (*.xlsx);;CSV (*.csv)"
_WRITERS = "app.exports.writers"
KIND_INFO: tuple[ExportKind, ...] = (
    # the workbook lives in Settings → Data, not on the Reports screen
    ExportKind("workbook", "Facility workbook (everything; imports back)", "Excel (*.xlsx);;ZIP of CSV files (*.zip)",
               True, f"{_WRITERS}:workbook", reports_screen=False),
    ExportKind("enrollment", "Enrollment file (one row per case)", SPREADSHEET, True, f"{_WRITERS}:enrollment"),
    ExportKind("dosimetry", "Dosimetry submissions", SPREADSHEET, False, f"{_WRITERS}:dosimetry"),
    ExportKind("attendance", "Meeting attendance with verdicts", SPREADSHEET, False, f"{_WRITERS}:attendance"),
    ExportKind("mdcb-roster", "MDCB Activity Upload Roster", SPREADSHEET, False, f"{_WRITERS}:mdcb_roster"),
    ExportKind("ce-certificates", "ARRT/ASRT certificate-of-completion requests", SPREADSHEET, False,
               f"{_WRITERS}:ce_certificates"),
    ExportKind("missing-dosimetry", "Enrolled breast and lung cases without dosimetry", SPREADSHEET, False,
               f"{_WRITERS}:missing_dosimetry"),
    ExportKind("finding-cases", "Cases behind the findings (a work list, one row per case)", SPREADSHEET, True,
               f"{_WRITERS}:finding_cases"),
    ExportKind("calendar", "Meetings and due dates (calendar, .ics)", "iCalendar (*.ics)", False,
               f"{_WRITERS}:calendar", counts="events"),
    ExportKind("audit-pdf", "Self-audit PDF (to review, and sign as the champion or administrative lead)",
               "PDF (*.pdf)", True, f"{_WRITERS}:audit_pdf", counts="pages"),
    ExportKind("facility-certificate", "Facility certificate (for the coordinating center to check signed self-audits)",
               "Certificate (*.pem)", False, f"{_WRITERS}:facility_certificate", counts="certificates"),
    # the Audit log screen's "Export…" writes the entries its filters select (app.services.audit_log)
    ExportKind("audit-log", "Audit log entries", "Excel (*.xlsx);;CSV (*.csv);;JSON (*.json)", False, None,
               reports_screen=False),
    # File → Print to PDF… writes the screen shown as the screen shows it (ui.printing)
    ExportKind("printout", "The screen shown, as printed (File → Print to PDF…)", "PDF (*.pdf)", False, None,
               counts="pages", reports_screen=False),
)
BY_NAME: dict[str, ExportKind] = {kind.name: kind for kind in KIND_INFO}
#: What ``mroqc-desk export KIND`` accepts: every kind with a writer.
EXPORT_KINDS: tuple[str, ...] = tuple(kind.name for kind in KIND_INFO if kind.writer is not None)
#: What the Reports screen offers, the self-audit first.
REPORTS_SCREEN: tuple[ExportKind, ...] = tuple(sorted((k for k in KIND_INFO if k.reports_screen),
                                                      key=lambda k: k.name != "audit-pdf"))


def export_kind_named(name: str) -> ExportKind:
    """The declared kind ``name``; ``UnknownExportKind`` (a ``LookupError``) names the known ones."""
    try:
        return BY_NAME[name]
    except KeyError:
        raise UnknownExportKind(name) from None


class UnknownExportKind(LookupError):
    """An export kind that no ``ExportKind`` declares."""

    def __init__(self, name: str) -> None:
        super().__init__(f"Unknown export '{name}'.")
        self.name = name
