"""Reports: the submission files and the self-audit PDF, previewed before saving."""

from __future__ import annotations

import datetime as dt
import logging
import threading
from pathlib import Path
from typing import NamedTuple

from PySide6.QtCore import QTimer
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QLabel,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.domain.export_kinds import BY_NAME, REPORTS_SCREEN
from app.domain.permissions import Permission
from app.exports.preview import preview_export, previewable
from app.exports.service import export_kind, load_pdf_writer, preview_audit_pdf, save_preview
from app.storage.database import Database
from ui.as_of import AsOf, date_edit
from ui.export_preview import ExportPreviewDialog
from ui.flow_layout import FlowLayout
from ui.pdf_preview import PdfPreview, render_pages
from ui.permissions import gate
from ui.phi import confirm_identifiers
from ui.save_dialog import ask_save_path
from ui.workers import run_in_background

#: The reports this screen offers (the facility workbook lives in Settings → Data), the self-audit first.
KINDS = tuple((kind.name, kind.title, kind.files) for kind in REPORTS_SCREEN)


class ReportSettings(NamedTuple):
    """Everything that decides a report's content: a preview may only be saved while all of it is unchanged."""

    kind: str
    year: int
    as_of: dt.date
    identified: bool


log = logging.getLogger(__name__)


def _load_pdf_writer_aside() -> None:
    def load() -> None:
        try:
            load_pdf_writer()
        except Exception:  # noqa: BLE001 - only ahead of time: the preview loads it again and says why
            log.info("loading the PDF writer ahead failed", exc_info=True)

    threading.Thread(target=load, name="load-pdf-writer", daemon=True).start()


class ReportsPage(QWidget):
    """Choose a report, preview the self-audit, save either. A preview lives in memory only: an
    identified one holds patient identifiers and must never be left in a temporary folder."""

    def __init__(self, db: Database, as_of: AsOf) -> None:
        super().__init__()
        self.db = db
        self.as_of = as_of
        self._writer_asked = False  # the PDF writer loaded aside (``showEvent``)
        self.kind = QComboBox()
        for code, text, _ in KINDS:
            self.kind.addItem(text, code)
        self.year = QSpinBox()
        self.year.setRange(2000, 2100)
        self.year.setValue(as_of.day.year)
        self.identified = QCheckBox("Include patient identifiers (MRN, name, birth date)")
        gate(db, Permission.EXPORT_IDENTIFIED, self.identified)
        self.preview_button = QPushButton("Preview")
        self.save_button = QPushButton("Save…")
        self.sign_button = QPushButton("Review and sign…")
        self.sign_button.setToolTip("Sign the previewed self-audit as the clinical champion or administrative lead")
        self.may_sign = gate(db, Permission.SIGN_AUDIT, self.sign_button)
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)
        self.progress.hide()
        self.status = QLabel()
        self.preview = PdfPreview()
        self._preview_pdf: bytes | None = None
        self._preview_settings: ReportSettings | None = None
        self._preview_generation = 0
        #: the rows of a spreadsheet report, shown before saving (None: none open)
        self.sheet_preview: ExportPreviewDialog | None = None
        form = QFormLayout()
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)  # captions above the fields when narrow
        form.addRow("&Report", self.kind)
        form.addRow("&Year", self.year)
        form.addRow("As &of", date_edit(as_of))
        form.addRow("", self.identified)
        buttons = FlowLayout()  # wraps on a narrow window
        buttons.addWidget(self.preview_button)
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.sign_button)
        buttons.addWidget(self.progress)
        buttons.addStretch(1)
        form_box = QWidget()
        form_box.setLayout(form)
        form_box.setMaximumWidth(760)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("<h2>Reports</h2>"))
        layout.addWidget(form_box)
        layout.addLayout(buttons)
        layout.addWidget(self.status)
        layout.addWidget(self.preview, 1)
        self.identified.toggled.connect(self.confirm_identified)
        self.preview_button.clicked.connect(self.make_preview)
        self.save_button.clicked.connect(self.save)
        self.sign_button.clicked.connect(self.review_and_sign)
        self.kind.currentIndexChanged.connect(self._kind_changed)
        # a preview shows one as-of date, year and choice of identifiers: when one changes it is
        # made again (it stayed on the old as-of date before), and an export that is not a PDF clears it
        self.as_of.changed.connect(self.follow_settings)
        self.year.valueChanged.connect(self.follow_settings)
        self.identified.toggled.connect(self.follow_settings)
        self.kind.currentIndexChanged.connect(self.follow_settings)

    def _previewable(self) -> bool:
        """The self-audit (its pages) and every spreadsheet (its rows) can be read before saving."""
        code = self.kind.currentData()
        return code == "audit-pdf" or previewable(code)

    def _kind_changed(self) -> None:
        self.preview_button.setEnabled(self._previewable())
        self.sign_button.setEnabled(self.kind.currentData() == "audit-pdf" and self.may_sign)

    def confirm_identified(self, checked: bool) -> None:
        if checked and not confirm_identifiers(self, "The file"):
            self.identified.setChecked(False)

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt's name)
        """The first time the page is shown, once it is drawn: the PDF writer loads on a thread of
        its own (not the worker's, whose jobs the screens wait on), so the first preview does not
        pay for it and the page's opening does not either."""
        super().showEvent(event)
        if not self._writer_asked:
            self._writer_asked = True
            QTimer.singleShot(0, self, _load_pdf_writer_aside)

    def _busy(self, busy: bool, text: str = "") -> None:
        self.progress.setVisible(busy)
        self.preview_button.setEnabled(not busy and self._previewable())
        self.save_button.setEnabled(not busy)
        self.sign_button.setEnabled(not busy and self.kind.currentData() == "audit-pdf" and self.may_sign)
        self.status.setText(text)

    def settings(self) -> ReportSettings:
        """The report as currently chosen on the page."""
        return ReportSettings(self.kind.currentData(), self.year.value(), self.as_of.day, self.identified.isChecked())

    def _export(self, out: Path, chosen: ReportSettings) -> int:
        return export_kind(self.db, chosen.kind, out, year=chosen.year, as_of=chosen.as_of,
                           identified=chosen.identified)

    def make_preview(self) -> None:
        chosen = self.settings()
        if chosen.kind != "audit-pdf":
            self.preview_rows(chosen)
            return
        self._preview_generation += 1
        generation = self._preview_generation
        self._busy(True, "Building the self-audit…")

        def work() -> tuple[bytes, list]:
            data, _pages = preview_audit_pdf(self.db, year=chosen.year, as_of=chosen.as_of, identified=chosen.identified)
            return data, render_pages(data)

        def done(result: tuple[bytes, list]) -> None:
            self._busy(False)
            if generation != self._preview_generation:  # closed, or a newer preview was asked for
                return
            self._preview_pdf, self._preview_settings = result[0], chosen
            self.preview.show_images(result[1])
            self._busy(False, f"Preview: {len(result[1])} page(s). Save it to keep it.")

        run_in_background(work, done, self.failed, owner=self)

    def follow_settings(self, *_changed: object) -> None:
        """Keep the preview what the settings on screen say: rebuilt at the new as-of date (or
        year, or identifiers), cleared when the report chosen is not the PDF."""
        if self._preview_settings is None or self._preview_settings == self.settings():
            return
        if self.kind.currentData() == "audit-pdf":
            self.make_preview()
        else:
            self.close_previews()
            self.status.setText("")

    def preview_rows(self, chosen: ReportSettings) -> None:
        """The spreadsheet's first rows in a dialog; its Save goes on to saving the same report."""
        self._preview_generation += 1
        generation = self._preview_generation
        title = self.kind.currentText()
        self._busy(True, f"Reading the rows of {title}…")

        def work() -> list:
            return preview_export(self.db, chosen.kind, year=chosen.year, as_of=chosen.as_of,
                                  identified=chosen.identified)

        def done(sheets: list) -> None:
            self._busy(False)
            if generation != self._preview_generation:
                return
            dialog = ExportPreviewDialog(title, sheets, chosen.identified, self)
            dialog.accepted.connect(lambda: self.save() if self.settings() == chosen else None)
            dialog.finished.connect(lambda _result: setattr(self, "sheet_preview", None))
            self.sheet_preview = dialog
            dialog.open()

        run_in_background(work, done, self.failed, owner=self)

    def close_previews(self) -> None:
        """Forget the preview (the main window calls this when it closes or locks to another user)."""
        self._preview_generation += 1
        self._preview_pdf = self._preview_settings = None
        self.preview.show_images([])
        if self.sheet_preview is not None:  # the rows may hold identifiers: gone with the user
            self.sheet_preview.reject()

    def save(self) -> None:
        code = self.kind.currentData()
        pattern = next(p for c, _, p in KINDS if c == code)
        suggested = f"{code}-{self.year.value()}{ {'audit-pdf': '.pdf', 'calendar': '.ics'}.get(code, '.xlsx')}"
        choice = ask_save_path(self, code, "Save report", suggested, pattern)
        if choice is not None:
            self.save_to(choice.path)

    def save_to(self, out: Path) -> None:
        """Copy the preview when it shows exactly the report now chosen (kind, year, as-of date and
        identifiers alike); otherwise write the report afresh, so the saved file never differs from
        what the settings on screen say it is."""
        self._busy(True, f"Writing {out.name}…")
        chosen = self.settings()
        preview = self._preview_pdf if chosen.kind == "audit-pdf" and self._preview_settings == chosen else None
        pages = self.preview.page_count

        def work() -> int:
            if preview is not None:
                save_preview(self.db, preview, out, identified=chosen.identified)
                return pages
            return self._export(out, chosen)

        def saved(count: int) -> None:
            unit = {".pdf": "pages", ".ics": "events"}.get(out.suffix, "rows")
            empty = BY_NAME[chosen.kind].empty_words if count == 0 else None
            self._busy(False, f"Saved {out} ({count} {unit})." + (f" {empty}" if empty else ""))
            if chosen.identified:
                QMessageBox.information(self, "Saved with patient identifiers",
                                        f"{out} holds patient identifiers (MRN, name, birth date): protected health "
                                        "information. Keep it in a secure place and delete it when it is no longer "
                                        "needed.")

        run_in_background(work, saved, self.failed, owner=self)

    def review_and_sign(self) -> None:
        """Sign the self-audit the preview shows: without a current preview, build it first, so
        the reviewer reads what they sign."""
        from ui.sign_audit import SignDialog

        chosen = self.settings()
        if chosen.kind != "audit-pdf":
            return
        if self._preview_pdf is None or self._preview_settings != chosen:
            self.make_preview()
            QMessageBox.information(self, "Review first", "Read the self-audit shown below, then choose Review and "
                                    "sign again to sign it.")
            return
        from app.services.facility import get_facility
        from app.services.findings import run_check

        findings = len(run_check(self.db, min(chosen.as_of, dt.date(chosen.year, 12, 31))).findings)
        from app.reports.signing import SigningError, signer

        try:
            who = signer(self.db, dt.date.today())
        except SigningError as exc:
            QMessageBox.information(self, "Who signs the self-audit", str(exc))
            return
        facility = get_facility(self.db)
        dialog = SignDialog(facility.name if facility else "the facility", chosen.year,
                            min(chosen.as_of, dt.date(chosen.year, 12, 31)).isoformat(), findings, who, self)
        if not dialog.exec():
            return
        choice = ask_save_path(self, "audit-pdf", "Save the signed self-audit", f"self-audit-{chosen.year}-signed.pdf",
                               "PDF (*.pdf)")
        if choice is not None:
            self.sign_to(dialog.role.currentText(), choice.path)

    def sign_to(self, role: str, out: Path) -> None:
        """Sign the chosen self-audit as the signed-in person in ``role`` and save it to ``out``
        (audited); the preview then shows the signed file."""
        from app.reports.signing import save_signed, sign_audit

        chosen = self.settings()
        self._busy(True, "Signing the self-audit…")

        def work():  # type: ignore[no-untyped-def]
            signed = sign_audit(self.db, year=chosen.year, as_of=chosen.as_of, signer_role=role,
                                identified=chosen.identified)
            save_signed(self.db, signed, out, identified=chosen.identified)
            return signed, render_pages(signed.data)

        def done(result) -> None:  # type: ignore[no-untyped-def]
            signed, images = result
            self._preview_pdf, self._preview_settings = signed.data, chosen
            self.preview.show_images(images)
            self._busy(False, f"Signed by {signed.attestation.name} ({signed.attestation.role}) and saved to {out}.")

        run_in_background(work, done, self.failed, owner=self)

    def failed(self, exc: Exception) -> None:
        self._busy(False)
        QMessageBox.warning(self, "Report not written", f"{exc}\n\nNothing was written under that name.")
