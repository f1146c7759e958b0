"""The recovery key on paper: one printed page (or a PDF of it) with the key, the facility, the date
and what the key is for, to keep in a locked drawer. A key copied to the clipboard ends up in a
file on the same computer it should survive; paper does not.

One document serves both outputs (Qt's text document on a printer), so what is saved as PDF is
exactly what the printer gets.
"""

from __future__ import annotations

import datetime as dt
import html
from pathlib import Path

from PySide6.QtCore import QMarginsF
from PySide6.QtGui import QPageLayout, QPageSize, QTextDocument
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import QMessageBox, QWidget

from ui.date_field import shown
from ui.save_dialog import ask_save_path


class SheetNotWritten(OSError):
    """The PDF could not be written where the person chose (a read-only folder, a full disk)."""


def facility_named_by(widget: QWidget | None) -> str:
    """The facility's name as the window above ``widget`` shows it (``MainWindow.facility_name``),
    or "" when no window above knows it yet (the first run, before the window exists)."""
    while widget is not None:
        name = getattr(widget, "facility_name", "")
        if isinstance(name, str) and name:
            return name
        widget = widget.parentWidget()
    return ""


def recovery_sheet(key: str, facility: str, made_on: dt.date) -> str:
    """The page as HTML: who it belongs to, the key large enough to copy by hand, how it is used."""
    where = html.escape(facility) if facility else "(facility not named)"
    return (
        "<h2>MROQC Facility Desk — recovery key</h2>"
        f"<p><b>Facility:</b> {where}<br/><b>Date:</b> {html.escape(shown(made_on))}</p>"
        "<p>This key opens the facility's database if every password is lost. At the sign-in, choose "
        "<i>Every password lost? Use the recovery key…</i> and type it (upper or lower case, with or "
        "without the dashes).</p>"
        # on one line, as it is typed: a key broken at a dash is copied with a gap
        f"<p style='font-family: monospace; font-size: 16pt; font-weight: bold; white-space: pre'>{html.escape(key)}</p>"
        "<p>Keep this page away from the computer, under lock (a locked drawer, the facility's safe). "
        "Whoever holds it can open the database and its patient records. A newer key (after "
        "<i>Change the database key</i>) replaces this one: destroy this page then.</p>"
    )


def _document(sheet: str) -> QTextDocument:
    document = QTextDocument()
    document.setHtml(sheet)
    return document


def _one_page(printer: QPrinter) -> None:
    printer.setPageLayout(QPageLayout(QPageSize(QPageSize.PageSizeId.Letter), QPageLayout.Orientation.Portrait,
                                      QMarginsF(20, 20, 20, 20), QPageLayout.Unit.Millimeter))


def write_pdf(sheet: str, path: Path) -> None:
    """The page as a one-page PDF at ``path``; ``SheetNotWritten`` if the file cannot be written."""
    try:
        with open(path, "wb"):  # Qt's PDF writer fails silently on a folder it cannot write to
            pass
    except OSError as exc:
        raise SheetNotWritten(f"{path} cannot be written: {exc.strerror or exc}") from exc
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(path))
    printer.setDocName("Recovery key")
    _one_page(printer)
    _document(sheet).print_(printer)


def print_on(sheet: str, printer: QPrinter) -> None:
    """The page on ``printer`` (as the print dialog set it up)."""
    printer.setDocName("Recovery key")
    _document(sheet).print_(printer)


def save_pdf_asking(sheet: str, parent: QWidget, file_name: str = "recovery key.pdf") -> Path | None:
    """Ask where (the Documents folder first), write the PDF, say where it went; None if cancelled."""
    choice = ask_save_path(parent, "recovery-key", "Save the recovery key as PDF", file_name, "PDF (*.pdf)")
    if choice is None:
        return None
    path = choice.path if choice.path.suffix.lower() == ".pdf" else choice.path.with_name(choice.path.name + ".pdf")
    try:
        write_pdf(sheet, path)
    except SheetNotWritten as exc:
        QMessageBox.warning(parent, "Not saved", f"{exc}. Choose another folder.")
        return None
    QMessageBox.information(parent, "Saved", f"The recovery key page was saved as {path}. Print it, put the page "
                            "under lock, and delete the file: a copy on this computer does not survive its disk.")
    return path


def print_asking(sheet: str, parent: QWidget) -> bool:
    """The print dialog, then the page on the printer chosen; False if cancelled."""
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    _one_page(printer)
    dialog = QPrintDialog(printer, parent)
    dialog.setWindowTitle("Print the recovery key")
    if dialog.exec() != QPrintDialog.DialogCode.Accepted:
        return False
    print_on(sheet, printer)
    return True
