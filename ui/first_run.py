"""First start: set up the facility's database, explore a demo facility, or open a file."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from PySide6.QtCore import QDate
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
)

from app.domain.vocabulary import FACILITY_KINDS, label
from app.services.facility import FacilityDetails, FacilityError, save_facility
from app.storage.database import DatabaseError, open_database, sqlite_url
from ui.workers import run_in_background


class FirstRunDialog(QDialog):
    """Leaves the chosen database URL in ``chosen_url`` when accepted."""

    def __init__(self, default_path: Path, parent=None) -> None:  # type: ignore[no-untyped-def]
        super().__init__(parent)
        self.setWindowTitle("Welcome to MROQC Facility Desk")
        self.default_path = default_path
        self.chosen_url: str | None = None

        intro = QLabel("<h2>Welcome</h2><p>No facility database was found on this computer. "
                       "Set one up for your facility, explore a demo facility with synthetic patients, "
                       "or open an existing database file.</p>")
        intro.setWordWrap(True)

        self.name = QLineEdit()
        self.name.setPlaceholderText("e.g. Lakeside Cancer Center")
        self.kind = QComboBox()
        for code in FACILITY_KINDS:
            self.kind.addItem(label(code), code)
        self.oncologists = QSpinBox()
        self.oncologists.setRange(0, 200)
        self.joined = QDateEdit(QDate.currentDate())
        self.joined.setCalendarPopup(True)
        self.joined.setDisplayFormat("yyyy-MM-dd")
        self.baseline = QSpinBox()
        self.baseline.setRange(2000, 2100)
        self.baseline.setValue(QDate.currentDate().year())
        self.joined.dateChanged.connect(lambda d: self.baseline.setValue(d.year()))
        form = QFormLayout()
        form.addRow("Facility &name", self.name)
        form.addRow("&Kind", self.kind)
        form.addRow("&Radiation oncologists", self.oncologists)
        form.addRow("&Joined MROQC on", self.joined)
        form.addRow("&Baseline year", self.baseline)
        self.create_button = QPushButton("Create my facility's database")
        self.create_button.setDefault(True)
        self.create_button.clicked.connect(self.create_facility)
        form.addRow(self.create_button)
        setup = QGroupBox("Set up my facility")
        setup.setLayout(form)

        self.demo_button = QPushButton("Explore a demo facility (synthetic data)")
        self.demo_button.clicked.connect(self.create_demo)
        self.open_button = QPushButton("Open an existing database file…")
        self.open_button.clicked.connect(self.open_existing)
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)
        self.progress.hide()
        self.status = QLabel()
        self.status.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(setup)
        layout.addWidget(self.demo_button)
        layout.addWidget(self.open_button)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addWidget(buttons)
        self.resize(520, 0)

    def _busy(self, busy: bool, text: str = "") -> None:
        for widget in (self.create_button, self.demo_button, self.open_button):
            widget.setEnabled(not busy)
        self.progress.setVisible(busy)
        self.status.setText(text)

    def create_facility(self) -> None:
        joined = self.joined.date()
        details = FacilityDetails(
            name=self.name.text(), kind=self.kind.currentData(), radiation_oncologists=self.oncologists.value(),
            joined_on=dt.date(joined.year(), joined.month(), joined.day()), baseline_year=self.baseline.value(),
        )
        try:
            details.validated(dt.date.today())
            db = open_database(sqlite_url(self.default_path), create=True)
            save_facility(db, details, today=dt.date.today())
            db.dispose()
        except (FacilityError, DatabaseError) as exc:
            QMessageBox.warning(self, "Facility not created", str(exc))
            self.name.setFocus()
            return
        self.chosen_url = sqlite_url(self.default_path)
        self.accept()

    def demo_path(self) -> Path:
        return self.default_path.with_name("demo-facility.sqlite3")

    def create_demo(self) -> None:
        path = self.demo_path()
        if path.exists():
            self.chosen_url = sqlite_url(path)
            self.accept()
            return
        self._busy(True, "Building the demo facility (five years of synthetic cases)…")

        def work() -> str:
            from app.demo.generator import DemoOptions, generate_demo

            db = open_database(sqlite_url(path), create=True)
            try:
                generate_demo(db, DemoOptions(years=5, seed=1, as_of=dt.date.today()))
            finally:
                db.dispose()
            return sqlite_url(path)

        def done(url: str) -> None:
            self.chosen_url = url
            self._busy(False)
            self.accept()

        def failed(exc: Exception) -> None:
            self._busy(False)
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
            QMessageBox.warning(self, "Demo not created", f"The demo facility could not be built: {exc}")

        run_in_background(work, done, failed, owner=self)

    def open_existing(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self, "Open database", str(self.default_path.parent),
                                              "MROQC database (*.sqlite3 *.db);;All files (*)")
        if not name:
            return
        try:
            open_database(sqlite_url(name)).dispose()
        except DatabaseError as exc:
            QMessageBox.warning(self, "Cannot open that file", str(exc))
            return
        self.chosen_url = sqlite_url(name)
        self.accept()
