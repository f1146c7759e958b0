"""Settings: where the database is, which MROQC policy applies (the one in force at each date, or a
program year chosen here; administrators install a newer policy file), the facility's details,
and the "Data" group (import a workbook, export it, back up: ``ui.data_transfer``).

``SettingsPage.data_changed`` is emitted after a workbook import committed, so the main window
can refresh the other screens; the page reloads its own facility form itself.
"""

from __future__ import annotations

import datetime as dt
import html

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QFrame,
    QGroupBox,
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

from app.domain import fields
from app.domain.dates import DATE_FORMAT_LABELS
from app.domain.permissions import Permission
from app.domain.security_policy import security_policy
from app.domain.vocabulary import PROJECTS, label
from app.domain.wording import TIME_ZONES
from app.rules.policy_file import PolicyFileError
from app.services.facility import FacilityError, get_facility, save_facility
from app.services.policies import (
    PolicyInstallError,
    install_policy,
    list_policies,
    policy_in_force,
    read_policy_file,
)
from app.storage.database import Database
from ui.as_of import AsOf, follow_when_shown
from ui.data_transfer import DataTransferPanel
from ui.date_field import DateField, use_date_format
from ui.facility_form import FacilityFields
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

    def __init__(self, db: Database, as_of: AsOf | None = None) -> None:
        super().__init__()
        self.db = db
        self.as_of = as_of if as_of is not None else AsOf()
        self.location = QLabel(db.display_name)
        self.location.setWordWrap(True)
        # Alt+N and Alt+R are the users' Enable and Set role buttons on this page
        self.facility = FacilityFields({"name": "Facilit&y name", "radiation_oncologists": "Radia&tion oncologists"})
        self.name, self.kind, self.oncologists = self.facility.name, self.facility.kind, self.facility.oncologists
        self.joined, self.baseline = self.facility.joined, self.facility.baseline
        # the app cannot know what happened before it: a rule reaching back further waits for history
        self.kept_since = DateField(required=True)
        self.kept_since.setToolTip("The day this facility started keeping its records in the app. A rule that "
                                   "looks back before it says \"not enough history yet\" instead of firing; an "
                                   "import with older records moves it back.")
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
        self.policy_year.setToolTip("Automatic: each date is judged by the policy file in force on it")
        self.in_force = QLabel()
        self.in_force.setWordWrap(True)
        self.in_force.setTextFormat(Qt.TextFormat.RichText)
        self.policy_list = QLabel()
        self.policy_list.setWordWrap(True)
        self.policy_list.setTextFormat(Qt.TextFormat.RichText)
        self.install_button = QPushButton("Install policy file…")
        self.install_button.setToolTip("Install a newer MROQC policy file from the coordinating center (.toml); it "
                                       "takes effect from its own date")
        gate(db, Permission.FACILITY, self.install_button)
        self.install_button.clicked.connect(self.choose_policy_file)
        self.program = QGroupBox("Program: the MROQC policy")
        program = QVBoxLayout(self.program)
        program.addWidget(self.in_force)
        program.addWidget(self.policy_list)
        row_buttons = QHBoxLayout()
        row_buttons.addWidget(self.install_button)
        row_buttons.addStretch(1)
        program.addLayout(row_buttons)
        self.program.setMaximumWidth(720)
        self.lock_minutes = QSpinBox()
        policy = security_policy()
        self.lock_minutes.setRange(policy.idle_min_minutes, policy.idle_max_minutes)
        self.lock_minutes.setSuffix(" minutes without input")
        self.lock_minutes.valueChanged.connect(  # "1 minute", not "1 minutes"
            lambda n: self.lock_minutes.setSuffix(f" minute{'' if n == 1 else 's'} without input"))
        self.lock_minutes.setToolTip("The window locks itself and asks for the password again")
        self.save_button = QPushButton("Save facility details")
        gate(db, Permission.FACILITY, self.save_button)
        self.save_button.clicked.connect(self.save)
        form = QFormLayout()
        form.addRow("Database", self.location)
        self.facility.add_rows(form)
        form.addRow(fields.FACILITY["records_kept_since"].label, self.kept_since)  # no Alt letter left here
        form.addRow(fields.FACILITY["active_projects"].label, self.projects)
        form.addRow(fields.FACILITY["enrollment_period_start"].label, self.period_start)
        form.addRow(fields.FACILITY["policy_year"].label, self.policy_year)
        form.addRow("Show &dates as", self.date_format)
        form.addRow("Time &zone", self.time_zone)
        form.addRow("Lo&ck the window after", self.lock_minutes)
        form.addRow("", self.save_button)
        box = QWidget()
        box.setLayout(form)
        box.setMaximumWidth(720)
        self.data = DataTransferPanel(db)
        self.data.as_of = self.as_of  # import: the data-quality problems brought in, judged at the window's date
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
        layout.addWidget(self.program)
        layout.addWidget(self.users)
        layout.addWidget(self.data)
        layout.addStretch(1)
        # Scrolls rather than squeezing: on a short window the Data group's wrapped text would overlap.
        self.scroll = scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(content)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)
        follow_when_shown(self, self.as_of, self.show_policies)
        self.load()

    def show_data(self) -> None:
        """Scroll to Data: where the File menu's import, export and backup show their progress
        and what came of them (at the top of the page they ran out of sight)."""
        self.scroll.widget().layout().activate()  # positions known before the first paint
        self.scroll.ensureWidgetVisible(self.data, 0, 0)

    def show_policies(self, *_changed: object) -> None:
        """The policy in force at the window's as-of date, every file known, and the choices."""
        day = self.as_of.day
        try:
            listings = list_policies(self.db)
            statement = policy_in_force(self.db, day).statement
        except PolicyFileError as exc:  # an installed file this version no longer accepts: say so, keep the page
            self.in_force.setText(f"<b>{html.escape(str(exc))}</b>")
            return
        self.in_force.setText(f"On {day.isoformat()} (the as-of date): <b>{html.escape(statement)}</b>.")
        self.policy_list.setText("Policy files:<ul>" + "".join(f"<li>{html.escape(x.line)}</li>" for x in listings)
                                 + "</ul>")
        chosen = self.policy_year.currentData()
        self.policy_year.blockSignals(True)
        self.policy_year.clear()
        self.policy_year.addItem("Automatic (the policy in force on each date)", None)
        for year in sorted({x.policy.year for x in listings}):
            self.policy_year.addItem(f"Program year {year} only", year)
        self.policy_year.setCurrentIndex(max(self.policy_year.findData(chosen), 0))
        self.policy_year.blockSignals(False)

    def choose_policy_file(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self, "Install a policy file", "", "MROQC policy files (*.toml)")
        if name:
            self.install_policy_file(name)

    def install_policy_file(self, path: str) -> bool:
        """Check and keep the file; a refusal says why (the key and line of a bad file), nothing changed."""
        try:
            text, file_name = read_policy_file(path)
            item = install_policy(self.db, text, file_name)
        except (PolicyFileError, PolicyInstallError) as exc:
            QMessageBox.warning(self, "Policy file not installed", f"{exc} Nothing was changed.")
            return False
        when = item.policy.effective_from
        QMessageBox.information(self, "Policy file installed",
                                f"{item.policy.name} {item.policy.year} is installed and in force from "
                                f"{when.isoformat()}; dates before then keep the policy they had.")
        self.show_policies()
        return True

    def _data_changed(self) -> None:
        self.load()  # an import may have changed the facility's details too
        self.data_changed.emit()

    def reload(self) -> None:
        self.load()
        self.users.refresh()

    def load(self) -> None:
        self.show_policies()
        f = get_facility(self.db)
        if f is None:
            return
        self.facility.load(f)
        self.kept_since.set_date(f.records_kept_since or f.joined_on)
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
        problem = self.facility.joined_problem()
        if problem:
            QMessageBox.warning(self, "Not saved", f"Joined MROQC on: {problem}. "
                                "Your entries are kept; correct them and save again.")
            return False
        if self.kept_since.problem() or self.kept_since.date() is None:
            QMessageBox.warning(self, "Not saved", "Records kept here since: "
                                f"{self.kept_since.problem() or 'a date is needed'}. "
                                "Your entries are kept; correct them and save again.")
            return False
        details = self.facility.details(
            active_projects=tuple(code for code, box in self.project_boxes.items() if box.isChecked()),
            date_format=self.date_format.currentData(), time_zone=self.time_zone.currentData(),
            enrollment_period_start=self.period_start.text().strip(), policy_year=self.policy_year.currentData(),
            lock_after_minutes=self.lock_minutes.value(), records_kept_since=self.kept_since.date())
        try:
            save_facility(self.db, details, today=dt.date.today())
        except FacilityError as exc:
            QMessageBox.warning(self, "Not saved", f"{exc} Your entries are kept; correct them and save again.")
            return False
        self.lock_minutes_changed.emit(self.lock_minutes.value())
        use_date_format(self.date_format.currentData())
        QMessageBox.information(self, "Saved", "The facility details were saved.")
        return True
