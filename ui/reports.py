"""Reports: the submission files and the self-audit PDF, previewed before saving."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

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
from app.storage.database import Database
from ui.as_of import AsOf, date_edit
from ui.pdf_preview import PdfPreview, render_pages
from ui.workers import run_in_background

KINDS = (
    ("audit-pdf", "Self-audit PDF (signed by the champion and the administrative lead)", "PDF (*.pdf)"),
    ("enrollment", "Enrollment file (one row per case)", "Excel (*.xlsx);;CSV (*.csv)"),
    ("dosimetry", "Dosimetry submissions", "Excel (*.xlsx);;CSV (*.csv)"),
    ("attendance", "Meeting attendance with verdicts", "Excel (*.xlsx);;CSV (*.csv)"),
    ("mdcb-roster", "MDCB Activity Upload Roster", "Excel (*.xlsx);;CSV (*.csv)"),
    ("ce-certificates", "ARRT/ASRT certificate-of-completion requests", "Excel (*.xlsx);;CSV (*.csv)"),
)


class ReportsPage(QWidget):
    def __init__(self, db: Database, as_of: AsOf) -> None:
        super().__init__()
        self.db = db
        self.as_of = as_of
        self.kind = QComboBox()
        for code, text, _ in KINDS:
            self.kind.addItem(text, code)
        self.year = QSpinBox()
        self.year.setRange(2000, 2100)
        self.year.setValue(as_of.day.year)
        self.identified = QCheckBox("Include patient identifiers (MRN, name, birth date)")
        self.preview_button = QPushButton("Preview")
        self.save_button = QPushButton("Save…")
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)
        self.progress.hide()
        self.status = QLabel()
        self.preview = PdfPreview()
        self._preview_file: Path | None = None
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
        if not checked:
            return
        answer = QMessageBox.warning(
            self, "Include patient identifiers?",
            "The file will hold protected health information (MRN, name, birth date). Only do this when the "
            "recipient is entitled to it, and store the file securely.",
            QMessageBox.StandardButton.Ok | QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Cancel)
        if answer != QMessageBox.StandardButton.Ok:
            self.identified.setChecked(False)

    def _busy(self, busy: bool, text: str = "") -> None:
        self.progress.setVisible(busy)
        self.preview_button.setEnabled(not busy and self.kind.currentData() == "audit-pdf")
        self.save_button.setEnabled(not busy)
        self.status.setText(text)

    def _export(self, out: Path) -> int:
        return export_kind(self.db, self.kind.currentData(), out, year=self.year.value(), as_of=self.as_of.day,
                           identified=self.identified.isChecked())

    def make_preview(self) -> None:
        target = Path(tempfile.mkdtemp(prefix="mroqc-preview-")) / "self-audit.pdf"
        self._busy(True, "Building the self-audit…")

        def work() -> tuple[Path, list]:
            self._export(target)
            return target, render_pages(target)

        def done(result: tuple[Path, list]) -> None:
            self._preview_file, images = result
            self.preview.show_images(images)
            self._busy(False, f"Preview: {len(images)} page(s). Save it to keep it.")

        run_in_background(work, done, self.failed, owner=self)

    def save(self) -> None:
        code = self.kind.currentData()
        pattern = next(p for c, _, p in KINDS if c == code)
        suggested = f"{code}-{self.year.value()}{'.pdf' if code == 'audit-pdf' else '.xlsx'}"
        name, _ = QFileDialog.getSaveFileName(self, "Save report", suggested, pattern)
        if name:
            self.save_to(Path(name))

    def save_to(self, out: Path) -> None:
        self._busy(True, f"Writing {out.name}…")
        preview = self._preview_file
        same_preview = preview is not None and self.kind.currentData() == "audit-pdf" and preview.exists()

        def work() -> int:
            if same_preview:
                shutil.copyfile(preview, out)
                return self.preview.page_count
            return self._export(out)

        run_in_background(work, lambda n: self._busy(False, f"Saved {out} ({n} {'pages' if out.suffix == '.pdf' else 'rows'})."),
                          self.failed, owner=self)

    def failed(self, exc: Exception) -> None:
        self._busy(False)
        QMessageBox.warning(self, "Report not written", f"{exc}\n\nNothing was written under that name.")
