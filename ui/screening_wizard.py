"""Import an eligible-patient list from the EHR: choose the file, map its columns, preview, import.

The shape follows KeePassXC's CSV import (``src/gui/csvImport``): the file's first rows as the
file has them, a drop-down of the file's columns per field over them, and a preview of what
would happen before anything is written. The work is ``app.screening`` (the same code as
``mroqc-desk screen-import``); this module only shows it:

1. **File** — browse or drop a ``.csv``/``.xlsx`` file or a Synthea folder; its first rows as is.
2. **Columns** — every field a drop-down of the file's columns, pre-filled by header detection or
   by a saved profile whose headers match (chosen by itself: next week's list maps in one click);
   the detected date format with its evidence; payer values found in the file mapped to payers;
   save the mapping as a named profile (in the database) or as a mapping file.
3. **Preview** — counts and every row's outcome (new / updated / unchanged / not eligible with
   the reason / rejected with the problem); MRN and name hidden unless asked for, as the case
   form hides them. Nothing has been written yet: "Import" is the commit.
4. **Import** — in the background (``ui.workers``) with a progress bar; one audited transaction;
   "Undo this import" takes the whole import back in one step while nothing later touched it.

Wiring: ``open_screening_wizard(parent, db, on_imported=...)``; ``ScreeningWizard.imported``
carries the ``ImportReceipt`` after the commit, for the window to refresh the register.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from app.domain.vocabulary import PAYERS, label
from app.screening.dates import CANDIDATES
from app.screening.errors import MappingError, ScreeningRejected, UnreadableFile
from app.screening.mapping import (
    FIELD_LABELS,
    FIELDS,
    REQUIRED_FIELDS,
    Mapping,
    load_mapping,
    to_toml,
)
from app.screening.payers import PayerMap
from app.screening.plan import Plan
from app.screening.profiles import list_profiles, profile_for, save_profile
from app.screening.reading import read_table
from app.screening.rows import ParsedList, choose_columns, choose_formats, evidence_text, parse
from app.screening.service import ImportReceipt, import_list, preview, undo_import
from app.screening.table import RawTable, text_of
from app.storage.database import Database
from ui.form_guard import confirm_discard
from ui.workers import run_in_background

MASK = "••••••"
NONE = "(none)"
NOT_MAPPED = "(not mapped)"
LIST_FILTER = "Screening lists (*.csv *.txt *.tsv *.xlsx *.xlsm);;All files (*)"
OUTCOME_LABELS = {"new": "New", "updated": "Updated", "unchanged": "Unchanged", "not_eligible": "Not eligible",
                  "rejected": "Rejected"}
PREVIEW_COLUMNS = ("Row", "Outcome", "Project", "Case ID", "Reason or problem", "MRN", "Name")


class _Progress(QObject):
    """Carries the import's progress from the worker thread to the bar (a queued signal)."""

    moved = Signal(int, int)


class OutcomeModel(QAbstractTableModel):
    """The preview's rows (50,000 of them stay cheap: plain tuples, no item per cell)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.rows: list[tuple[Any, ...]] = []
        self.show_identifiers = False

    def set_rows(self, rows: list[tuple[Any, ...]]) -> None:
        self.beginResetModel()
        self.rows = rows
        self.endResetModel()

    def set_identifiers_visible(self, visible: bool) -> None:
        self.show_identifiers = visible
        if self.rows:
            self.dataChanged.emit(self.index(0, 5), self.index(len(self.rows) - 1, 6))

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(PREVIEW_COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # noqa: N802
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return PREVIEW_COLUMNS[section]
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return None
        value = self.rows[index.row()][index.column()]
        if index.column() >= 5 and value and not self.show_identifiers:
            return MASK
        if index.column() == 1:
            return OUTCOME_LABELS.get(value, value)
        if index.column() == 2:
            return label(value) if value else ""
        return "" if value is None else str(value)


def preview_rows(plan: Plan | None, rejected: ScreeningRejected | None) -> list[tuple[Any, ...]]:
    """The table's rows: every outcome of the plan, or every problem of a refused file."""
    if rejected is not None:
        return [(p.row, "rejected", None, None, f"{p.column}: {p.message}", "", "") for p in rejected.problems]
    assert plan is not None
    return [(e.row, e.outcome, e.project, e.case_id, e.reason, e.mrn, e.name or "") for e in plan.entries]


class FilePage(QWizardPage):
    """Choose the list (browse or drop it here) and see its first rows as they are in the file."""

    def __init__(self, wizard: ScreeningWizard) -> None:
        super().__init__()
        self.w = wizard
        self.setTitle("Choose the list")
        self.setSubTitle("A CSV or Excel report from the EHR, treatment planning or the tumour registry, or a "
                         "Synthea folder. Drop it here or browse.")
        self.setAcceptDrops(True)
        self.path = QLineEdit()
        self.path.setPlaceholderText("Drop a file here, or browse…")
        self.path.editingFinished.connect(lambda: self.w.load(Path(self.path.text())) if self.path.text() else None)
        browse = QPushButton("&Browse…")
        browse.clicked.connect(self.browse)
        folder = QPushButton("Synthea &folder…")
        folder.clicked.connect(self.browse_folder)
        self.how = QLabel()
        self.how.setWordWrap(True)
        self.first_rows = QTableWidget()
        self.first_rows.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        row = QHBoxLayout()
        row.addWidget(self.path, 1)
        row.addWidget(browse)
        row.addWidget(folder)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.how)
        layout.addWidget(QLabel("The first rows, as they are in the file:"))
        layout.addWidget(self.first_rows, 1)

    def browse(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self, "Screening list", "", LIST_FILTER)
        if name:
            self.w.load(Path(name))

    def browse_folder(self) -> None:
        name = QFileDialog.getExistingDirectory(self, "Synthea folder (patients.csv and conditions.csv)")
        if name:
            self.w.load(Path(name))

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802
        if event.mimeData().hasUrls() and any(u.isLocalFile() for u in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        files = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if files:
            event.acceptProposedAction()
            self.w.load(Path(files[0]))

    def show_table(self, table: RawTable | None, error: str = "") -> None:
        self.path.setText(str(self.w.path) if self.w.path else "")
        self.how.setText(error or (f"{table.source}: {table.how}; {len(table.rows):,} data rows; headers on row "
                                   f"{table.header_row}." if table else ""))
        top = table.top if table else []
        self.first_rows.setRowCount(len(top))
        self.first_rows.setColumnCount(max((len(r) for r in top), default=0))
        self.first_rows.setVerticalHeaderLabels([str(i + 1) for i in range(len(top))])
        for r, cells in enumerate(top):
            for c, text in enumerate(cells):
                self.first_rows.setItem(r, c, QTableWidgetItem(text))
        self.completeChanged.emit()

    def isComplete(self) -> bool:  # noqa: N802
        return self.w.table is not None


class MappingPage(QWizardPage):
    """A drop-down of the file's columns per field, the date format and its evidence, payers, profiles."""

    def __init__(self, wizard: ScreeningWizard) -> None:
        super().__init__()
        self.w = wizard
        self.setTitle("Which column holds what")
        self.setSubTitle("Filled in from the headers (or a saved profile); change any drop-down that is wrong.")
        self.profile_note = QLabel()
        self.profile_note.setWordWrap(True)
        self.header_row = QSpinBox()
        self.header_row.setRange(1, 1000)
        self.header_row.editingFinished.connect(self.reread)
        self.sheet = QComboBox()
        self.sheet.activated.connect(lambda _i: self.reread())
        self.fields: dict[str, QComboBox] = {}
        form = QFormLayout()
        form.addRow("Headers on row", self.header_row)
        form.addRow("Sheet", self.sheet)
        for name in FIELDS:
            box = QComboBox()
            box.currentIndexChanged.connect(self.changed)
            self.fields[name] = box
            form.addRow(FIELD_LABELS[name] + (" *" if name in REQUIRED_FIELDS else ""), box)
        self.date_format = QComboBox()
        self.date_format.addItem("detect", None)
        for fmt, words in CANDIDATES:
            self.date_format.addItem(words, fmt)
        self.date_format.currentIndexChanged.connect(self.changed)
        self.evidence = QLabel()
        self.evidence.setWordWrap(True)
        self.strip_zeros = QCheckBox("\"000123\" and \"123\" are one MRN (ignore leading zeros)")
        self.unknown_codes = QComboBox()
        self.unknown_codes.addItem("refuse the file", "reject")
        self.unknown_codes.addItem("count the row as not eligible", "not_eligible")
        form.addRow("Date format", self.date_format)
        form.addRow("", self.evidence)
        form.addRow("MRN", self.strip_zeros)
        form.addRow("A code neither ICD-10-CM nor translated", self.unknown_codes)
        self.payers = QTableWidget(0, 3)
        self.payers.setHorizontalHeaderLabels(["In the file", "Rows", "Payer"])
        self.payers.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.payers.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        self.profile_name = QLineEdit()
        self.profile_name.setPlaceholderText("e.g. ARIA weekly consults")
        save = QPushButton("Save as &profile")
        save.clicked.connect(self.save_profile)
        load = QPushButton("&Load mapping file…")
        load.clicked.connect(self.load_mapping_file)
        write = QPushButton("Save mapping &file…")
        write.clicked.connect(self.save_mapping_file)
        profiles = QHBoxLayout()
        profiles.addWidget(self.profile_name, 1)
        for button in (save, load, write):
            profiles.addWidget(button)
        grid = QGridLayout(self)
        grid.addWidget(self.profile_note, 0, 0, 1, 2)
        grid.addLayout(form, 1, 0)
        payers = QVBoxLayout()
        payers.addWidget(QLabel("Payer values found in the file:"))
        payers.addWidget(self.payers, 1)
        grid.addLayout(payers, 1, 1)
        grid.addLayout(profiles, 2, 0, 1, 2)
        self._filling = False

    def initializePage(self) -> None:  # noqa: N802
        self.fill()

    def fill(self) -> None:
        """Put the wizard's table and mapping into the widgets."""
        table, mapping, chosen = self.w.table, self.w.mapping, self.w.columns()
        assert table is not None
        self._filling = True
        self.header_row.setValue(table.header_row)
        self.sheet.clear()
        self.sheet.addItems(table.sheets)
        self.sheet.setEnabled(len(table.sheets) > 1)
        if mapping.sheet:
            self.sheet.setCurrentText(mapping.sheet)
        for name, box in self.fields.items():
            box.clear()
            box.addItem(NONE, None)
            for header in table.headers:
                box.addItem(header, header)
            box.setCurrentIndex(max(box.findData(chosen.get(name)), 0))
        self.date_format.setCurrentIndex(max(self.date_format.findData(mapping.date_format), 0))
        self.strip_zeros.setChecked(mapping.mrn_strip_leading_zeros)
        self.unknown_codes.setCurrentIndex(max(self.unknown_codes.findData(mapping.unknown_codes), 0))
        self.profile_note.setText(self.w.profile_note)
        if self.w.profile_name:
            self.profile_name.setText(self.w.profile_name)
        self._filling = False
        self.changed()

    def reread(self) -> None:
        """The header row or the sheet changed: read the file again with it."""
        if self._filling or self.w.path is None:
            return
        self.w.reload(self.header_row.value(), self.sheet.currentText() or None)
        self.fill()

    def mapping(self) -> Mapping:
        """The mapping the widgets describe (``[codes]`` kept from the profile or mapping file)."""
        base = self.w.mapping
        columns = {name: box.currentData() for name, box in self.fields.items() if box.currentData()}
        payers = {}
        for r in range(self.payers.rowCount()):
            box = self.payers.cellWidget(r, 2)
            if isinstance(box, QComboBox) and box.currentData():
                payers[self.payers.item(r, 0).text()] = box.currentData()
        table = self.w.table
        sheet = self.sheet.currentText() if table and len(table.sheets) > 1 else None
        return Mapping(columns=columns, sheet=sheet, header_row=self.header_row.value(),
                       date_format=self.date_format.currentData(), mrn_strip_leading_zeros=self.strip_zeros.isChecked(),
                       unknown_codes=self.unknown_codes.currentData(), payer_values=payers, codes=dict(base.codes))

    def changed(self) -> None:
        if self._filling or self.w.table is None:
            return
        self.fill_payers()
        columns = {name: box.currentData() for name, box in self.fields.items() if box.currentData()}
        formats, problems = choose_formats(self.w.table, columns, self.date_format.currentData())
        self.evidence.setText("; ".join(str(p).split(": ", 1)[1] for p in problems) if problems else
                              evidence_text(columns, formats) or "no dates as text (spreadsheet dates need no format)")
        self.completeChanged.emit()

    def fill_payers(self) -> None:
        """One row per distinct payer text in the chosen column, pre-set from the mapping."""
        table, header = self.w.table, self.fields["payer"].currentData()
        current = {self.payers.item(r, 0).text(): self.payers.cellWidget(r, 2).currentData()  # type: ignore[union-attr]
                   for r in range(self.payers.rowCount())}
        found: Counter[str] = Counter()
        if table is not None and header:
            column = table.column(header)
            found = Counter(t for _, row in table.rows if (t := text_of(row[column])))
        lookup = PayerMap(self.w.mapping.payer_values)
        self.payers.setRowCount(0)
        for text, count in found.most_common():
            r = self.payers.rowCount()
            self.payers.insertRow(r)
            self.payers.setItem(r, 0, QTableWidgetItem(text))
            self.payers.setItem(r, 1, QTableWidgetItem(f"{count:,}"))
            box = QComboBox()
            box.addItem(NOT_MAPPED, None)
            for code in PAYERS:
                box.addItem(label(code), code)
            box.setCurrentIndex(max(box.findData(current.get(text) or lookup.code(text)), 0))
            self.payers.setCellWidget(r, 2, box)

    def isComplete(self) -> bool:  # noqa: N802
        return all(self.fields[name].currentData() for name in REQUIRED_FIELDS)

    def validatePage(self) -> bool:  # noqa: N802
        self.w.mapping = self.mapping()
        return True

    def save_profile(self) -> None:
        name = self.profile_name.text().strip()
        if not name or self.w.table is None:
            QMessageBox.information(self, "Name the profile", "Give the profile a name first, e.g. the report's name.")
            return
        try:
            save_profile(self.w.db, name, self.w.table.headers, self.mapping())
        except (MappingError, PermissionError) as exc:
            QMessageBox.warning(self, "Profile not saved", str(exc))
            return
        self.w.profile_name = name
        self.profile_note.setText(f"Saved as profile '{name}': a list with these headers maps by itself next time.")

    def load_mapping_file(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self, "Mapping file", "", "Mapping file (*.toml)")
        if not name:
            return
        try:
            self.w.mapping = load_mapping(Path(name))
        except MappingError as exc:
            QMessageBox.warning(self, "Mapping file not used", str(exc))
            return
        self.w.profile_note = f"Mapping from {Path(name).name}."
        self.w.reload(self.w.mapping.header_row, self.w.mapping.sheet)
        self.fill()

    def save_mapping_file(self) -> None:
        name, _ = QFileDialog.getSaveFileName(self, "Save mapping file", "mapping.toml", "Mapping file (*.toml)")
        if name:
            Path(name).write_text(to_toml(self.mapping()), encoding="utf-8")


class PreviewPage(QWizardPage):
    """What the import would do, row by row; nothing is written until "Import"."""

    def __init__(self, wizard: ScreeningWizard) -> None:
        super().__init__()
        self.w = wizard
        self.setTitle("Preview")
        self.setSubTitle("Nothing has been written yet. Import writes every new and updated case in one step.")
        self.setCommitPage(True)
        self.setButtonText(QWizard.WizardButton.CommitButton, "&Import")
        self.counts = QLabel("Reading the list…")
        self.counts.setWordWrap(True)
        self.evidence = QLabel()
        self.evidence.setWordWrap(True)
        self.show_ids = QCheckBox("S&how patient identifiers (MRN, name)")
        self.model = OutcomeModel(self)
        self.show_ids.toggled.connect(self.model.set_identifiers_visible)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setStretchLastSection(False)
        self.table.horizontalHeader().setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        for column, width in ((0, 60), (1, 100), (2, 120), (3, 110), (5, 90), (6, 150)):
            self.table.setColumnWidth(column, width)
        layout = QVBoxLayout(self)
        layout.addWidget(self.counts)
        layout.addWidget(self.evidence)
        layout.addWidget(self.show_ids)
        layout.addWidget(self.table, 1)
        self.ready = False

    def initializePage(self) -> None:  # noqa: N802
        self.ready = False
        self.model.set_rows([])
        self.counts.setText("Reading the list and matching it against the register…")
        self.completeChanged.emit()
        table, mapping, db = self.w.table, self.w.mapping, self.w.db
        day = self.w.as_of_day
        assert table is not None

        def work() -> tuple[ParsedList, Plan | None, ScreeningRejected | None]:
            parsed = parse(table, mapping)
            try:
                return parsed, preview(db, parsed=parsed, as_of=day).plan, None
            except ScreeningRejected as exc:
                return parsed, None, exc

        run_in_background(work, self.shown, self.failed, owner=self)

    def shown(self, result: tuple[ParsedList, Plan | None, ScreeningRejected | None]) -> None:
        parsed, plan, rejected = result
        self.w.parsed, self.w.plan = parsed, plan
        self.model.set_rows(preview_rows(plan, rejected))
        self.evidence.setText(f"Dates: {parsed.date_evidence}" if parsed.formats else "")
        if rejected is not None:
            self.counts.setText(f"The list cannot be imported: {len(rejected.problems):,} problem(s), listed below "
                                "(row as the spreadsheet shows it). Fix the file or the columns, then try again.")
        else:
            assert plan is not None
            c = plan.counts()
            import html

            from app.services.quality import brought_in_words

            quality = brought_in_words(plan.quality).replace("It brought in", "They would bring in")
            self.counts.setText(f"<b>{c['new']:,}</b> new, <b>{c['updated']:,}</b> updated, <b>{c['unchanged']:,}</b> "
                                f"unchanged, <b>{c['not_eligible']:,}</b> not eligible."
                                + (f" {html.escape(quality)}" if quality else ""))
            self.ready = True
        self.completeChanged.emit()

    def failed(self, exc: Exception) -> None:
        self.counts.setText(f"The list could not be previewed: {exc}")

    def isComplete(self) -> bool:  # noqa: N802
        return self.ready


class ImportPage(QWizardPage):
    """The import itself, in the background, then what was written and the one-step undo."""

    def __init__(self, wizard: ScreeningWizard) -> None:
        super().__init__()
        self.w = wizard
        self.setTitle("Import")
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.bar = QProgressBar()
        self.undo_button = QPushButton("&Undo this import")
        self.undo_button.setEnabled(False)
        self.undo_button.clicked.connect(self.undo)
        self.progress = _Progress(self)
        self.progress.moved.connect(self.moved)
        layout = QVBoxLayout(self)
        layout.addWidget(self.status)
        layout.addWidget(self.bar)
        layout.addWidget(self.undo_button, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addStretch(1)
        self.finished = False

    def initializePage(self) -> None:  # noqa: N802
        self.finished = False
        self.status.setText("Importing…")
        self.bar.setRange(0, 0)  # busy until the first cases are written
        parsed, plan, db = self.w.parsed, self.w.plan, self.w.db
        assert parsed is not None and plan is not None
        day = self.w.as_of_day
        run_in_background(lambda: import_list(db, parsed, expected=plan, progress=self.progress.moved.emit, as_of=day),
                          self.done, self.failed, owner=self)

    def moved(self, done: int, total: int) -> None:
        self.bar.setRange(0, max(total, 1))
        self.bar.setValue(done)

    def done(self, receipt: ImportReceipt) -> None:
        self.w.receipt = receipt
        self.bar.setRange(0, 1)
        self.bar.setValue(1)
        c = receipt.plan.counts()
        from app.services.quality import brought_in_words

        quality = brought_in_words(receipt.plan.quality)
        self.status.setText(f"Imported {receipt.source}: {c['new']:,} new pending cases, {c['updated']:,} updated, "
                            f"{c['unchanged']:,} unchanged, {c['not_eligible']:,} not eligible. The audit log holds "
                            "every change." + (f" {quality}" if quality else ""))
        self.undo_button.setEnabled(not receipt.empty)
        self.finished = True
        self.completeChanged.emit()
        self.w.imported.emit(receipt)

    def failed(self, exc: Exception) -> None:
        self.bar.setRange(0, 1)
        self.bar.setValue(0)
        self.status.setText(f"Nothing was imported: {exc}")
        self.finished = True
        self.completeChanged.emit()

    def undo(self) -> None:
        receipt = self.w.receipt
        if receipt is None:
            return
        self.undo_button.setEnabled(False)

        def undone(_result: object) -> None:
            self.status.setText(f"The import of {receipt.source} was undone: its new cases are removed and the "
                                "updated ones are as they were.")
            self.w.receipt = None
            self.w.imported.emit(receipt)

        def refused(exc: Exception) -> None:
            self.status.setText(str(exc))

        run_in_background(lambda: undo_import(self.w.db, receipt), undone, refused, owner=self)

    def isComplete(self) -> bool:  # noqa: N802
        return self.finished


class ScreeningWizard(QWizard):
    """The four pages and what they share: the file, its table, the mapping, the plan."""

    imported = Signal(object)  # the ImportReceipt, after the import committed (or was undone)

    def __init__(self, db: Database, parent: QWidget | None = None, path: Path | None = None) -> None:
        super().__init__(parent)
        self.db = db
        from ui.date_field import reference_day

        #: the date the data-quality problems the list brings in are judged at: the window's as-of date
        self.as_of_day = reference_day()
        self.setWindowTitle("Import an eligible-patient list")
        self.setWizardStyle(QWizard.WizardStyle.ClassicStyle)
        self.resize(1000, 680)
        self.path: Path | None = None
        self.table: RawTable | None = None
        self.mapping = Mapping()
        self.profile_name = ""
        self.profile_note = ""
        self.parsed: ParsedList | None = None
        self.plan: Plan | None = None
        self.receipt: ImportReceipt | None = None
        self.file_page, self.mapping_page = FilePage(self), MappingPage(self)
        self.preview_page, self.import_page = PreviewPage(self), ImportPage(self)
        for page in (self.file_page, self.mapping_page, self.preview_page, self.import_page):
            self.addPage(page)
        self.setOption(QWizard.WizardOption.NoBackButtonOnLastPage, True)
        if path is not None:
            self.load(Path(path))

    def reject(self) -> None:
        """Esc or Cancel once a list is chosen and not yet imported asks first: the columns mapped
        by hand would be lost (a popup's own Esc only closes the popup)."""
        if self.path is not None and self.receipt is None and not confirm_discard(
                self, "The list you chose and its mapping are not imported yet. Close the import and lose them?"):
            return
        super().reject()

    def load(self, path: Path) -> None:
        """Read a new file; a saved profile whose headers match is chosen for it."""
        self.path, self.mapping, self.profile_name, self.profile_note = path, Mapping(), "", ""
        try:
            self.table = read_table(path)
            found = profile_for(self.db, self.table.headers)
            if found is not None:
                self.mapping, self.profile_name = found.mapping, found.name
                self.profile_note = f"Profile '{found.name}' matches these headers: its mapping is filled in."
                if (found.mapping.header_row or self.table.header_row) != self.table.header_row or found.mapping.sheet:
                    self.table = read_table(path, found.mapping.header_row, found.mapping.sheet)
            elif profiles := list_profiles(self.db):
                self.profile_note = (f"No saved profile matches these headers ({len(profiles)} saved): the columns "
                                     "are filled in from the headers.")
        except (UnreadableFile, MappingError, OSError) as exc:
            self.table = None
            self.file_page.show_table(None, str(exc))
            return
        self.file_page.show_table(self.table)

    def reload(self, header_row: int | None, sheet: str | None) -> None:
        if self.path is None:
            return
        try:
            self.table = read_table(self.path, header_row, sheet)
        except UnreadableFile as exc:
            QMessageBox.warning(self, "The list cannot be read", str(exc))

    def columns(self) -> dict[str, str]:
        """The columns the drop-downs start from: the mapping's over the detected ones."""
        assert self.table is not None
        return choose_columns(self.table, self.mapping)[0]


def open_screening_wizard(parent: QWidget | None, db: Database,
                          on_imported: Callable[[ImportReceipt], None] | None = None) -> None:
    """Show the wizard (modal); ``on_imported`` runs after an import commits or is undone."""
    wizard = ScreeningWizard(db, parent)
    if on_imported is not None:
        wizard.imported.connect(on_imported)
    wizard.exec()
    wizard.deleteLater()
