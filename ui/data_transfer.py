"""Settings → Data: import a facility workbook, export it, back up the database, in the window.

Coordinators keep their data in spreadsheets; until now only the command line (``mroqc-desk
import``, ``export workbook``, ``backup``) could move it. This panel runs the same ``app``
services (``app.workbook.importer``, ``app.workbook.exporter``, ``app.storage.backup``) off the
GUI thread through ``ui.workers.run_in_background``, so the window stays responsive while a
large workbook is checked and written.

Signal to wire: ``DataTransferPanel.data_changed`` (re-emitted as ``SettingsPage.data_changed``)
is emitted on the GUI thread after an import committed. The main window should connect it to
whatever refreshes the other screens (their tables and findings), because the import may have
added or changed any table, the facility details included. Export and backup never emit it:
they change nothing in the database.

Errors always end in a dialog that says what went wrong and what to do, never a traceback.
Nothing here logs patient values: ``ui.workers`` logs a failed job by its exception type and
place only, since an error's text can quote the row it was writing; the text goes to the dialog.
"""

from __future__ import annotations

import datetime as dt
import html
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.domain.permissions import Permission
from app.exports.service import export_kind
from app.services.maintenance import backup_database
from app.storage.backup import VerifyReport
from app.storage.database import Database, is_database_file
from app.workbook.importer import ImportResult, import_workbook
from app.workbook.schema import WorkbookError
from ui.data_files import BACKUP_FILTER, HelpLabel, explain
from ui.permissions import gate
from ui.phi import confirm_identifiers
from ui.save_dialog import BACKUP, ask_save_path, documents_folder
from ui.settings_file import settings
from ui.workers import ProgressRelay, progress_words, run_in_background, show_progress

WORKBOOK_FILTER = "Facility workbook (*.xlsx *.zip);;Excel workbook (*.xlsx);;ZIP of CSV files (*.zip)"
EXPORT_FILTERS = {"Excel workbook (*.xlsx)": ".xlsx", "ZIP of CSV files (*.zip)": ".zip"}
LAST_FOLDER_KEY = "data_transfer/last_folder"
POSTGRES_RESTORE_TIP = ("This database is on a PostgreSQL server: it is restored with the server's own tools "
                        "(pg_restore), by whoever runs the server (docs/shared-database.md).")
POSTGRES_BACKUP_TIP = ("This database is on a PostgreSQL server, the facility's shared one: it is backed up by "
                       "the server's own backups (pg_dump), which whoever runs the server looks after "
                       "(docs/shared-database.md, Backups). This app backs up database files only.")


class ImportProblemsDialog(QDialog):
    """Every reason a workbook was rejected, selectable and copyable, so they can be fixed in one pass."""

    def __init__(self, source: Path, error: WorkbookError, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Workbook not imported")
        problems = error.problems
        self.problems = problems
        listed = [p for p in problems if not p.startswith("… and ")]
        total = error.total
        first = f" The first {len(listed)} are listed." if total > len(listed) else ""
        heading = QLabel(
            f"<b>Nothing was changed.</b> {html.escape(source.name)} has {total:,} problem(s), and an import is "
            f"all or nothing, so no row was imported.{first}")
        heading.setWordWrap(True)
        self.advice = QLabel(
            "<b>What to do:</b> fix these rows in the workbook and import again. Each line names the sheet, "
            "the row number as your spreadsheet shows it (the header is row 1), the column, and what is wrong.")
        self.advice.setWordWrap(True)
        self.text = QPlainTextEdit("\n".join(problems))
        self.text.setReadOnly(True)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse
                                          | Qt.TextInteractionFlag.TextSelectableByKeyboard)
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.text.setAccessibleName("Problems in the workbook")
        self.copied = QLabel()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.copy_button = buttons.addButton("&Copy all", QDialogButtonBox.ButtonRole.ActionRole)
        self.copy_button.clicked.connect(self.copy_all)
        buttons.rejected.connect(self.reject)
        buttons.button(QDialogButtonBox.StandardButton.Close).setDefault(True)
        footer = QHBoxLayout()
        footer.addWidget(self.copied, 1)
        footer.addWidget(buttons)
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.advice)
        layout.addLayout(footer)
        self.resize(720, 460)

    def copy_all(self) -> None:
        QGuiApplication.clipboard().setText(self.text.toPlainText())
        self.copied.setText("Copied to the clipboard.")


class DataTransferPanel(QGroupBox):
    """The "Data" group: import, export and back up, one background job at a time.

    Emits ``data_changed`` after an import committed (see the module docstring).
    """

    data_changed = Signal()
    #: "Move to a shared database…" finished and the administrator chose to open it (its URL)
    open_requested = Signal(str)
    #: an administrator chose a backup, saw what it holds and confirmed (a ``ui.restore.RestoreRequest``)
    restore_requested = Signal(object)

    def __init__(self, db: Database, parent: QWidget | None = None) -> None:
        super().__init__("Data", parent)
        self.db = db
        self.problems_dialog: ImportProblemsDialog | None = None
        intro = QLabel("Move the facility's records between this database and the facility workbook that "
                       "coordinators keep in a spreadsheet (one sheet per table, as MROQC describes it).")
        intro.setWordWrap(True)
        self.import_button = QPushButton("Import a &facility workbook…")
        self.import_button.setToolTip("An .xlsx workbook or a .zip of CSV files in the facility workbook format")
        self.import_folder_button = QPushButton("Import a f&older of CSV files…")
        self.import_folder_button.setToolTip("A folder holding one <sheet>.csv file per sheet of the workbook")
        import_help = self._help(
            "Adds new rows and updates rows that have the same IDs; never deletes. The whole file is checked "
            "first: if any row is wrong, nothing is imported and every problem is listed.")
        self.export_button = QPushButton("&Export the facility workbook…")
        self.preview_button = QPushButton("Preview its rows…")  # every letter of it is taken on Settings
        self.preview_button.setToolTip("The first rows of every sheet as the workbook will hold them, then save it")
        #: the workbook's rows, shown before saving (None: none open)
        self.sheet_preview: QDialog | None = None
        self.identified = QCheckBox("Include patient identifiers (MRN, name, birth date)")
        self.identified_warning = QLabel(
            "⚠ The exported file will hold protected health information. Send it only to someone entitled "
            "to it, and store it securely.")
        self.identified_warning.setWordWrap(True)
        self.identified_warning.setStyleSheet("color: #a0522d;")
        self.identified_warning.hide()
        export_help = self._help(
            "Every table as an .xlsx workbook or a .zip of CSV files, in the format the import reads. "
            "De-identified unless you include patient identifiers.")
        self.backup_button = QPushButton("Back &up this database…")
        if db.path is None:
            self.backup_button.setEnabled(False)
            self.backup_button.setToolTip(POSTGRES_BACKUP_TIP)
            backup_help = self._help("Not available here: this database is on a PostgreSQL server, which is "
                                     "backed up by the server's own backups.")
        else:
            self.backup_button.setToolTip("A checked copy of the database file, safe to make while you work")
            backup_help = self._help("A complete copy of the database file, checked for integrity before it "
                                     "is saved. Save it on another drive (a USB stick, a network folder): a copy on "
                                     "the database's own disk is lost with that disk.")
        self.restore_button = QPushButton("Restore a sa&ved backup…")
        if db.path is None:
            self.restore_button.setEnabled(False)
            self.restore_button.setToolTip(POSTGRES_RESTORE_TIP)
            restore_help = self._help("Not available here: a PostgreSQL server's database is restored with the "
                                      "server's own tools (pg_restore).")
        else:
            self.restore_button.setToolTip("Replace this database with a backup, after seeing what it holds")
            restore_help = self._help("Shows what a backup holds beside what is here now, then replaces this "
                                      "database with it; the current one is kept under another name. Needs this "
                                      "database to be open nowhere else.")
        self.move_button = QPushButton("Move to a s&hared database…")
        if db.path is None:
            self.move_button.setEnabled(False)
            self.move_button.setToolTip("This database is already on a PostgreSQL server")
            move_help = self._help("This database is already the shared one.")
        else:
            self.move_button.setToolTip("Copy everything into a new, empty PostgreSQL database every workstation shares")
            move_help = self._help("For a facility whose workstations should share one database: copies everything, "
                                   "users and the audit log included, into a new, empty PostgreSQL database and "
                                   "checks every table. This file is left as it is.")
        gate(db, Permission.COPY, self.move_button)
        gate(db, Permission.IMPORT, self.import_button, self.import_folder_button)
        gate(db, Permission.EXPORT_IDENTIFIED, self.identified)
        gate(db, Permission.BACKUP, self.backup_button)
        gate(db, Permission.RESTORE, self.restore_button)
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)  # busy until a service reports its steps (the import does)
        self._relay = ProgressRelay(self)
        self._relay.moved.connect(self._advanced)
        self.progress.setTextVisible(False)
        self.progress.setMaximumWidth(240)
        self.progress.hide()
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        grid = QGridLayout()
        grid.setColumnStretch(1, 1)
        grid.addWidget(self.import_button, 0, 0)
        grid.addWidget(import_help, 0, 1, 2, 1)
        grid.addWidget(self.import_folder_button, 1, 0)
        grid.addWidget(self.export_button, 2, 0)
        grid.addWidget(export_help, 2, 1)
        grid.addWidget(self.preview_button, 3, 0)
        grid.addWidget(self.identified, 3, 1)
        grid.addWidget(self.identified_warning, 4, 1)
        grid.addWidget(self.backup_button, 5, 0)
        grid.addWidget(backup_help, 5, 1)
        grid.addWidget(self.restore_button, 6, 0)
        grid.addWidget(restore_help, 6, 1)
        grid.addWidget(self.move_button, 7, 0)
        grid.addWidget(move_help, 7, 1)
        busy = QHBoxLayout()
        busy.addWidget(self.progress)
        busy.addWidget(self.status, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(grid)
        layout.addLayout(busy)

        self.import_button.clicked.connect(self.choose_workbook)
        self.import_folder_button.clicked.connect(self.choose_folder)
        self.export_button.clicked.connect(self.choose_export)
        self.preview_button.clicked.connect(self.preview_export)
        self.identified.toggled.connect(self.confirm_identified)
        self.backup_button.clicked.connect(self.choose_backup)
        self.move_button.clicked.connect(self.move_to_shared)
        self.restore_button.clicked.connect(self.choose_restore)

    @staticmethod
    def _help(text: str) -> QLabel:
        return HelpLabel(text)

    # -- shared ---------------------------------------------------------------------------

    def _last_folder(self) -> str:
        return str(settings().value(LAST_FOLDER_KEY, str(documents_folder())))

    def _remember_folder(self, path: Path) -> None:
        settings().setValue(LAST_FOLDER_KEY, str(path if path.is_dir() else path.parent))

    def _busy(self, busy: bool, text: str = "") -> None:
        """One job at a time: the buttons wait while the progress bar runs."""
        self.progress.setRange(0, 0)
        self.progress.setVisible(busy)
        for button in (self.import_button, self.import_folder_button, self.export_button, self.preview_button):
            button.setEnabled(not busy)
        self.backup_button.setEnabled(not busy and self.db.path is not None)
        self.identified.setEnabled(not busy)
        self.status.setText(text)

    # -- import ---------------------------------------------------------------------------

    def choose_workbook(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self, "Import a facility workbook", self._last_folder(), WORKBOOK_FILTER)
        if name:
            self.import_from(Path(name))

    def choose_folder(self) -> None:
        name = QFileDialog.getExistingDirectory(self, "Import a folder of CSV files", self._last_folder())
        if name:
            self.import_from(Path(name))

    def confirm_import(self, source: Path) -> bool:
        kind = "the folder" if source.is_dir() else "the workbook"
        answer = QMessageBox.question(
            self, "Import the workbook?",
            f"Import {kind} “{source.name}” into this database?\n\n"
            f"From: {source}\nInto: {self.db.display_name}\n\n"
            "The import adds new rows and updates the rows whose IDs are already here to the workbook's values. "
            "It never deletes anything. Every row is checked first: if any is wrong, nothing is changed.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Yes)
        return answer == QMessageBox.StandardButton.Yes

    def import_from(self, source: Path) -> None:
        """Confirm, then validate and import ``source`` in the background."""
        if not self.confirm_import(source):
            return
        self._remember_folder(source)
        self._busy(True, f"Checking and importing {source.name}…")
        day, heard = self.as_of_day(), self._relay.moved.emit
        run_in_background(lambda: import_workbook(self.db, source, as_of=day, progress=heard), self._imported,
                          lambda exc: self._import_failed(source, exc), owner=self)

    def _advanced(self, what: str, done: int, in_all: int) -> None:
        """How far the import has come: each sheet checked, then the rows written of all there are."""
        if self.progress.isHidden():  # a report that arrived after the job ended
            return
        show_progress(self.progress, done, in_all)
        self.status.setText(progress_words(what, done, in_all))

    def as_of_day(self):  # type: ignore[no-untyped-def]
        """The window's as-of date (Settings gives it; alone, today): what the data-quality problems
        an import brings in are judged at."""
        as_of = getattr(self, "as_of", None)
        return as_of.day if as_of is not None else dt.date.today()

    def _imported(self, result: ImportResult) -> None:
        self._busy(False, str(result))
        self.data_changed.emit()
        QMessageBox.information(self, "Workbook imported",
                                f"{result}\n\nEvery screen now shows the imported records.")

    def _import_failed(self, source: Path, exc: Exception) -> None:
        if isinstance(exc, WorkbookError):
            self._busy(False, f"{source.name} was not imported: {len(exc.problems)} problem(s). Nothing was changed.")
            self.problems_dialog = ImportProblemsDialog(source, exc, self)
            self.problems_dialog.open()  # window-modal, and the page keeps painting behind it
            return
        self._busy(False, f"{source.name} was not imported. Nothing was changed.")
        QMessageBox.warning(
            self, "Workbook not imported",
            f"{explain(exc)}\n\nNothing was changed: the import writes everything or nothing. Check that the file "
            "is not open in another program and that the database is reachable, then import again.")

    # -- export ---------------------------------------------------------------------------

    def confirm_identified(self, checked: bool) -> None:
        if checked and not confirm_identifiers(self, "The exported workbook"):
            self.identified.setChecked(False)
            return
        self.identified_warning.setVisible(self.identified.isChecked())

    def choose_export(self) -> None:
        kind = "identified" if self.identified.isChecked() else "deidentified"
        choice = ask_save_path(self, "workbook", "Export the facility workbook",
                               f"facility-workbook-{kind}-{dt.date.today().isoformat()}.xlsx", ";;".join(EXPORT_FILTERS))
        if choice is None:
            return
        out = choice.path
        if out.suffix.lower() not in (".xlsx", ".zip"):  # a typed name without its ending
            out = out.with_name(out.name + EXPORT_FILTERS.get(choice.chosen_filter, ".xlsx"))
        self.export_to(out)

    def preview_export(self) -> None:
        """The workbook's first rows per sheet (``ui.export_preview``); Save goes on to choose_export."""
        from app.exports.preview import preview_export
        from ui.export_preview import ExportPreviewDialog

        identified = self.identified.isChecked()
        self._busy(True, "Reading the workbook's rows…")

        def done(sheets: list) -> None:
            self._busy(False)
            dialog = ExportPreviewDialog("Facility workbook", sheets, identified, self)
            dialog.accepted.connect(lambda: self.choose_export() if self.identified.isChecked() == identified else None)
            dialog.finished.connect(lambda _result: setattr(self, "sheet_preview", None))
            self.sheet_preview = dialog
            dialog.open()

        run_in_background(lambda: preview_export(self.db, "workbook", year=None, as_of=dt.date.today(),
                                                 identified=identified), done, self._export_failed, owner=self)

    def export_to(self, out: Path) -> None:
        identified = self.identified.isChecked()
        self._remember_folder(out)
        self._busy(True, f"Writing {out.name}…")
        run_in_background(lambda: export_kind(self.db, "workbook", out, year=None, as_of=dt.date.today(),
                                               identified=identified),
                          lambda count: self._exported(out, count, identified), self._export_failed, owner=self)

    def _exported(self, out: Path, count: int, identified: bool) -> None:
        kind = ("WITH PATIENT IDENTIFIERS: it holds protected health information, keep it secure"
                if identified else "de-identified")
        text = f"Wrote {out} ({count:,} rows, {kind})."
        self._busy(False, text)
        QMessageBox.information(self, "Workbook exported", text)

    def _export_failed(self, exc: Exception) -> None:
        self._busy(False, "The workbook was not exported.")
        QMessageBox.warning(self, "Workbook not exported",
                            f"{explain(exc)}\n\nNo file was written under that name. Choose a folder you can "
                            "write to (and close the file if a spreadsheet program has it open), then export again.")

    # -- move to a shared database --------------------------------------------------------------

    def move_to_shared(self) -> QDialog:
        from ui.moving import MoveDialog

        dialog = MoveDialog(self.db, self)
        dialog.open_requested.connect(self.open_requested)
        dialog.open()
        return dialog

    # -- restore --------------------------------------------------------------------------

    def choose_restore(self, backup: Path | None = None) -> QDialog | None:
        """The restore dialog (``ui.restore``); a confirmed restore is handed to the window."""
        from ui.restore import RestoreDialog

        if self.db.path is None:
            QMessageBox.information(self, "Restore from a backup", POSTGRES_RESTORE_TIP)
            return None
        dialog = RestoreDialog(self.db, self.window(), backup=backup)
        dialog.accepted.connect(lambda: self.restore_requested.emit(dialog.request) if dialog.request else None)
        dialog.open()
        return dialog

    # -- backup ---------------------------------------------------------------------------

    def default_backup_path(self) -> Path:
        assert self.db.path is not None
        return self.db.path.with_name(f"{self.db.path.stem}-{dt.date.today().isoformat()}.backup")

    def choose_backup(self) -> None:
        if self.db.path is None:
            QMessageBox.information(self, "Back up this database", POSTGRES_BACKUP_TIP)
            return
        choice = ask_save_path(self, BACKUP, "Back up this database (on another drive)",
                               self.default_backup_path().name, BACKUP_FILTER, database=self.db.path)
        if choice is None:
            return
        out = choice.path
        if out.suffix == "":
            out = out.with_suffix(".backup")
        self.backup_to(out)

    def backup_to(self, out: Path) -> None:
        source = self.db.path
        if source is None:
            return
        if is_database_file(source, out):
            QMessageBox.warning(self, "Backup not made",
                                f"That is the database itself or one of its own files (every name beginning with "
                                f"{source.name} beside it). Choose another file name for the backup.")
            return
        self._busy(True, f"Backing up to {out.name}…")
        run_in_background(lambda: backup_database(self.db, out), lambda report: self._backed_up(out, report),
                          self._backup_failed, owner=self)

    def _backed_up(self, out: Path, report: VerifyReport) -> None:
        who = report.facility or "the facility"
        text = (f"Backed up {who} to {out}. The copy passed its integrity check (schema {report.revision}); it is "
                "encrypted and opens with today's passwords or the recovery key.")
        self._busy(False, text)
        QMessageBox.information(self, "Backup made", text)

    def _backup_failed(self, exc: Exception) -> None:
        self._busy(False, "No backup was made.")
        QMessageBox.warning(self, "Backup not made",
                            f"{explain(exc)}\n\nNo backup file was written and the database is unchanged. Choose a "
                            "folder you can write to with enough free space, then back up again.")
