"""Settings: where the database is, which program (policy) year applies, the facility's details,
and the "Data" group (import a workbook, export it, back up: ``ui.data_transfer``).

``SettingsPage.data_changed`` is emitted after a workbook import committed, so the main window
can refresh the other screens; the page reloads its own facility form itself.
"""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.domain.dates import DATE_FORMAT_LABELS
from app.domain.vocabulary import FACILITY_KINDS, PROJECTS, label
from app.domain.wording import TIME_ZONES
from app.rules.policy_file import available_years
from app.security.policy import security_policy
from app.security.roles import Permission
from app.services.facility import FacilityDetails, FacilityError, get_facility, save_facility
from app.storage.database import Database
from ui.data_transfer import DataTransferPanel
from ui.date_field import DateField, use_date_format
from ui.permissions import gate
from ui.users import UsersPanel


class SettingsPage(QWidget):
    #: After a workbook import committed: every screen's data may have changed.
    data_changed = Signal()
    #: The facility's idle-lock minutes were saved: the window's idle timer follows.
    lock_minutes_changed = Signal(int)
    #: the facility was moved to a shared database and the administrator chose to open it (its URL)
    open_requested = Signal(str)
    #: an administrator confirmed a restore (a ``ui.restore.RestoreRequest``)
    restore_requested = Signal(object)

    def __init__(self, db: Database) -> None:
        super().__init__()
        self.db = db
        self.location = QLabel(db.display_name)
        self.location.setWordWrap(True)
        self.name = QLineEdit()
        self.kind = QComboBox()
        for code in FACILITY_KINDS:
            self.kind.addItem(label(code), code)
        self.oncologists = QSpinBox()
        self.oncologists.setRange(0, 200)
        self.joined = DateField(required=True)
        self.baseline = QSpinBox()
        self.baseline.setRange(2000, 2100)
        self.project_boxes = {code: QCheckBox(label(code)) for code in PROJECTS}
        self.projects = QWidget()
        row = QHBoxLayout(self.projects)
        row.setContentsMargins(0, 0, 0, 0)
        for box in self.project_boxes.values():
            row.addWidget(box)
        row.addStretch(1)
        self.date_format = QComboBox()
        for code, shown in DATE_FORMAT_LABELS.items():
            self.date_format.addItem(shown, code)
        self.time_zone = QComboBox()
        for code, shown in TIME_ZONES.items():
            self.time_zone.addItem(shown, code)
        self.time_zone.setToolTip("The audit log and review notes show their times in it")
        self.period_start = QLineEdit()
        self.period_start.setPlaceholderText("MM-DD, e.g. 01-01")
        self.policy_year = QComboBox()
        self.policy_year.addItem("Automatic (the program year of the as-of date)", None)
        for year in available_years():
            self.policy_year.addItem(str(year), year)
        self.lock_minutes = QSpinBox()
        policy = security_policy()
        self.lock_minutes.setRange(policy.idle_min_minutes, policy.idle_max_minutes)
        self.lock_minutes.setSuffix(" minutes without input")
        self.lock_minutes.setToolTip("The window locks itself and asks for the password again")
        self.save_button = QPushButton("Save facility details")
        gate(db, Permission.FACILITY, self.save_button)
        self.save_button.clicked.connect(self.save)
        form = QFormLayout()
        form.addRow("Database", self.location)
        form.addRow("Facilit&y name", self.name)
        form.addRow("&Kind", self.kind)
        form.addRow("Radia&tion oncologists", self.oncologists)
        form.addRow("&Joined MROQC on", self.joined)
        form.addRow("&Baseline year", self.baseline)
        form.addRow("Active &projects", self.projects)
        form.addRow("Enrollment period &starts", self.period_start)
        form.addRow("Pro&gram (policy) year", self.policy_year)
        form.addRow("Show &dates as", self.date_format)
        form.addRow("Time &zone", self.time_zone)
        form.addRow("Lo&ck the window after", self.lock_minutes)
        form.addRow("", self.save_button)
        box = QWidget()
        box.setLayout(form)
        box.setMaximumWidth(720)
        self.data = DataTransferPanel(db)
        self.data.setMaximumWidth(720)
        self.data.data_changed.connect(self._data_changed)
        self.data.open_requested.connect(self.open_requested)
        self.data.restore_requested.connect(self.restore_requested)
        self.users = UsersPanel(db)
        self.users.setMaximumWidth(900)
        content = QWidget()
        layout = QVBoxLayout(content)
        layout.addWidget(QLabel("<h2>Settings</h2>"))
        layout.addWidget(box)
        layout.addWidget(self.users)
        layout.addWidget(self.data)
        layout.addStretch(1)
        # Scrolls rather than squeezing: on a short window the Data group's wrapped text would overlap.
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(content)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)
        self.load()

    def _data_changed(self) -> None:
        self.load()  # an import may have changed the facility's details too
        self.data_changed.emit()

    def reload(self) -> None:
        self.load()
        self.users.refresh()

    def load(self) -> None:
        f = get_facility(self.db)
        if f is None:
            return
        self.name.setText(f.name)
        self.kind.setCurrentIndex(max(self.kind.findData(f.kind), 0))
        self.oncologists.setValue(f.radiation_oncologists)
        self.joined.set_date(f.joined_on)
        self.baseline.setValue(f.baseline_year)
        active = set((f.active_projects or ",".join(PROJECTS)).split(","))
        for code, box in self.project_boxes.items():
            box.setChecked(code in active)
        self.date_format.setCurrentIndex(max(self.date_format.findData(f.date_format), 0))
        if self.time_zone.findData(f.time_zone) < 0:  # set elsewhere (a workbook, a later version): kept, shown
            self.time_zone.addItem(f.time_zone, f.time_zone)
        self.time_zone.setCurrentIndex(self.time_zone.findData(f.time_zone))
        self.period_start.setText(f.enrollment_period_start or "01-01")
        self.policy_year.setCurrentIndex(max(self.policy_year.findData(f.policy_year), 0))
        self.lock_minutes.setValue(f.lock_after_minutes)

    def save(self) -> bool:
        if self.joined.problem() or self.joined.date() is None:
            QMessageBox.warning(self, "Not saved", f"Joined MROQC on: {self.joined.problem() or 'a date is needed'}. "
                                "Your entries are kept; correct them and save again.")
            return False
        details = FacilityDetails(
            name=self.name.text(), kind=self.kind.currentData(), radiation_oncologists=self.oncologists.value(),
            joined_on=self.joined.date(), baseline_year=self.baseline.value(),
            active_projects=tuple(code for code, box in self.project_boxes.items() if box.isChecked()),
            date_format=self.date_format.currentData(), time_zone=self.time_zone.currentData(),
            enrollment_period_start=self.period_start.text().strip(), policy_year=self.policy_year.currentData(),
            lock_after_minutes=self.lock_minutes.value())
        try:
            save_facility(self.db, details, today=dt.date.today())
        except FacilityError as exc:
            QMessageBox.warning(self, "Not saved", f"{exc} Your entries are kept; correct them and save again.")
            return False
        self.lock_minutes_changed.emit(self.lock_minutes.value())
        use_date_format(self.date_format.currentData())
        QMessageBox.information(self, "Saved", "The facility details were saved.")
        return True
