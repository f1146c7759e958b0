"""Reports: the submission files and the self-audit PDF, previewed before saving."""

from __future__ import annotations

import datetime as dt
import itertools
import shutil
import tempfile
from pathlib import Path
from typing import NamedTuple

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.exports.service import export_kind
from app.security.roles import Permission
from app.storage.database import Database
from ui.as_of import AsOf, date_edit
from ui.pdf_preview import PdfPreview, render_pages
from ui.permissions import gate
from ui.phi import confirm_identifiers
from ui.workers import run_in_background

KINDS = (
    ("audit-pdf", "Self-audit PDF (signed by the champion and the administrative lead)", "PDF (*.pdf)"),
    ("enrollment", "Enrollment file (one row per case)", "Excel (*.xlsx);;CSV (*.csv)"),
    ("dosimetry", "Dosimetry submissions", "Excel (*.xlsx);;CSV (*.csv)"),
    ("attendance", "Meeting attendance with verdicts", "Excel (*.xlsx);;CSV (*.csv)"),
    ("mdcb-roster", "MDCB Activity Upload Roster", "Excel (*.xlsx);;CSV (*.csv)"),
    ("ce-certificates", "ARRT/ASRT certificate-of-completion requests", "Excel (*.xlsx);;CSV (*.csv)"),
)


class ReportSettings(NamedTuple):
    """Everything that decides a report's content: a preview may only be saved while all of it is unchanged."""

    kind: str
    year: int
    as_of: dt.date
    identified: bool


class ReportsPage(QWidget):
    """Choose a report, preview the self-audit, save either; previews live only as long as the window."""

    def __init__(self, db: Database, as_of: AsOf) -> None:
        super().__init__()
        # One folder per page for its previews, removed when the window closes (``close_previews``) or,
        # failing that, when the page is garbage-collected or the program exits: an identified preview
        # holds patient identifiers and must not stay behind in the system's temporary folder.
        self._preview_dir: tempfile.TemporaryDirectory[str] | None = None
        self._preview_numbers = itertools.count(1)
        self.db = db
        self.as_of = as_of
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
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)
        self.progress.hide()
        self.status = QLabel()
        self.preview = PdfPreview()
        self._preview_file: Path | None = None
        self._preview_settings: ReportSettings | None = None
        form = QFormLayout()
        form.addRow("&Report", self.kind)
        form.addRow("&Year", self.year)
        form.addRow("As &of", date_edit(as_of))
        form.addRow("", self.identified)
        buttons = QHBoxLayout()
        buttons.addWidget(self.preview_button)
        buttons.addWidget(self.save_button)
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
        self.kind.currentIndexChanged.connect(self._kind_changed)

    def _kind_changed(self) -> None:
        self.preview_button.setEnabled(self.kind.currentData() == "audit-pdf")

    def confirm_identified(self, checked: bool) -> None:
        if checked and not confirm_identifiers(self, "The file"):
            self.identified.setChecked(False)

    def _busy(self, busy: bool, text: str = "") -> None:
        self.progress.setVisible(busy)
        self.preview_button.setEnabled(not busy and self.kind.currentData() == "audit-pdf")
        self.save_button.setEnabled(not busy)
        self.status.setText(text)

    def settings(self) -> ReportSettings:
        """The report as currently chosen on the page."""
        return ReportSettings(self.kind.currentData(), self.year.value(), self.as_of.day, self.identified.isChecked())

    def _export(self, out: Path, chosen: ReportSettings) -> int:
        return export_kind(self.db, chosen.kind, out, year=chosen.year, as_of=chosen.as_of,
                           identified=chosen.identified)

    def preview_folder(self) -> Path:
        """The page's own temporary folder for previews, made on the first preview."""
        if self._preview_dir is None:
            self._preview_dir = tempfile.TemporaryDirectory(prefix="mroqc-preview-")
        return Path(self._preview_dir.name)

    def make_preview(self) -> None:
        folder = self.preview_folder()
        directory = self._preview_dir
        chosen = self.settings()
        target = folder / f"self-audit-{next(self._preview_numbers)}.pdf"

        def gone() -> bool:
            """True when the window closed (and the folder was removed) while the preview was built."""
            return directory is not self._preview_dir
        self._busy(True, "Building the self-audit…")

        def work() -> tuple[Path, list]:
            try:
                self._export(target, chosen)
            except Exception:
                target.unlink(missing_ok=True)  # a half-written preview is of no use and may hold identifiers
                raise
            if gone():  # leave nothing behind
                shutil.rmtree(folder, ignore_errors=True)
                return target, []
            return target, render_pages(target)

        def done(result: tuple[Path, list]) -> None:
            new_file, images = result
            if gone():
                self._busy(False)
                return
            old = self._preview_file
            self._preview_file, self._preview_settings = new_file, chosen
            if old is not None and old != new_file:
                old.unlink(missing_ok=True)  # only the preview on screen is kept
            self.preview.show_images(images)
            self._busy(False, f"Preview: {len(images)} page(s). Save it to keep it.")

        def failed(exc: Exception) -> None:
            if gone():  # the folder was removed on purpose: nothing to tell
                self._busy(False)
                return
            self.failed(exc)

        run_in_background(work, done, failed, owner=self)

    def close_previews(self) -> None:
        """Remove every preview file now; the main window calls this when it closes."""
        self._preview_file = self._preview_settings = None
        if self._preview_dir is not None:
            self._preview_dir.cleanup()
            self._preview_dir = None

    def save(self) -> None:
        code = self.kind.currentData()
        pattern = next(p for c, _, p in KINDS if c == code)
        suggested = f"{code}-{self.year.value()}{'.pdf' if code == 'audit-pdf' else '.xlsx'}"
        name, _ = QFileDialog.getSaveFileName(self, "Save report", suggested, pattern)
        if name:
            self.save_to(Path(name))

    def save_to(self, out: Path) -> None:
        """Copy the preview when it shows exactly the report now chosen (kind, year, as-of date and
        identifiers alike); otherwise write the report afresh, so the saved file never differs from
        what the settings on screen say it is."""
        self._busy(True, f"Writing {out.name}…")
        chosen = self.settings()
        preview = self._preview_file
        same_preview = (preview is not None and chosen.kind == "audit-pdf" and self._preview_settings == chosen
                        and preview.exists())
        pages = self.preview.page_count

        def work() -> int:
            if same_preview:
                shutil.copyfile(preview, out)
                return pages
            return self._export(out, chosen)

        run_in_background(work, lambda n: self._busy(False, f"Saved {out} ({n} {'pages' if out.suffix == '.pdf' else 'rows'})."),
                          self.failed, owner=self)

    def failed(self, exc: Exception) -> None:
        self._busy(False)
        QMessageBox.warning(self, "Report not written", f"{exc}\n\nNothing was written under that name.")
