"""Ctrl+K from any screen: find a case by its ID, MRN or name and open it.

The search is the register's (``app.services.register.find_cases``), so it masks as the register
does: the list names cases by ID, project and dates; an MRN or name is searched only for a person
who may see identifiers, and shown only after they tick "Show patient identifiers". Choosing a
hit shows the case in the register and opens it there.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, Qt, QTimer
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.domain.vocabulary import label
from app.services.cases import may_see_identifiers
from app.services.register import FIND_LIMIT, CaseHit, find_cases
from app.storage.database import Database
from ui.date_field import shown
from ui.enrollment import EnrollmentPage
from ui.screens import ENROLLMENT
from ui.workers import run_in_background

SEARCH_DELAY_MS = 150
FOUND_BY = {"case_id": "", "mrn": "found by MRN", "name": "found by name"}


def hit_text(hit: CaseHit) -> str:
    """One line per case, in the register's words; identifiers only when revealed."""
    parts = [hit.case_id, label(hit.project), f"eligible {shown(hit.eligible_on)}", label(hit.status)]
    if hit.revealed:
        parts += [f"MRN {hit.mrn or '—'}", hit.name or "—"]
    elif FOUND_BY.get(hit.found_by):
        parts.append(FOUND_BY[hit.found_by])
    return "  ·  ".join(parts)


class CaseSearch(QDialog):
    """The box; ``chosen`` is called with the case ID picked (Enter or a double-click)."""

    def __init__(self, db: Database, chosen: Callable[[str], object], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db = db
        self.chosen = chosen
        self.setWindowTitle("Find a case")
        identifiers = may_see_identifiers(db)
        self.box = QLineEdit()
        self.box.setClearButtonEnabled(True)
        self.box.setPlaceholderText("Case ID, MRN or name" if identifiers else "Case ID")
        self.reveal = QCheckBox("S&how patient identifiers (MRN, name)")
        self.reveal.setEnabled(identifiers)
        if not identifiers:
            self.reveal.setToolTip("Only a coordinator (CDA) or an administrator may search by or see patient "
                                   "identifiers.")
        self.results = QListWidget()
        self.results.setObjectName("case-search-results")
        self.status = QLabel()
        self.status.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Open | QDialogButtonBox.StandardButton.Cancel)
        self.open_button = buttons.button(QDialogButtonBox.StandardButton.Open)
        self.open_button.setEnabled(False)
        buttons.accepted.connect(self.open_current)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.box)
        layout.addWidget(self.reveal)
        layout.addWidget(self.results, 1)
        layout.addWidget(self.status)
        layout.addWidget(buttons)
        self._delay = QTimer(self)
        self._delay.setSingleShot(True)
        self._delay.setInterval(SEARCH_DELAY_MS)
        self._delay.timeout.connect(self.search)
        self.box.textChanged.connect(self._delay.start)
        self.box.returnPressed.connect(self.open_current)
        self.reveal.toggled.connect(self.search)
        self.results.itemActivated.connect(lambda _item: self.open_current())
        self.results.currentRowChanged.connect(lambda row: self.open_button.setEnabled(row >= 0))
        self.box.installEventFilter(self)
        #: searches asked for and shown: a slower, older search never overwrites a newer one
        self._asked = self._shown = 0
        self._open_when_found = False
        room = (parent or self).screen().availableGeometry()
        self.resize(min(760, room.width() - 40), min(400, room.height() - 60))

    def eventFilter(self, watched, event) -> bool:  # type: ignore[no-untyped-def]  # noqa: N802 (Qt's name)
        """Up and Down in the box move through the hits, as in a browser's address bar."""
        if watched is self.box and event.type() == QEvent.Type.KeyPress and event.key() in (Qt.Key.Key_Up,
                                                                                            Qt.Key.Key_Down):
            step = 1 if event.key() == Qt.Key.Key_Down else -1
            row = max(0, min(self.results.count() - 1, self.results.currentRow() + step))
            self.results.setCurrentRow(row)
            return True
        return super().eventFilter(watched, event)

    @property
    def idle(self) -> bool:
        """No search waiting to be shown (the tests wait for it)."""
        return self._asked == self._shown and not self._delay.isActive()

    def search(self) -> None:
        """Search what is typed, off the GUI thread (a name search reads the whole register:
        about 0.1 s at 200,000 cases), and show it unless a newer search was asked for since."""
        self._delay.stop()
        self._asked += 1
        asked, text, reveal = self._asked, self.box.text(), self.reveal.isChecked()
        run_in_background(lambda: find_cases(self.db, text, reveal=reveal),
                          lambda hits: self._found(asked, hits), self._failed, owner=self)

    def _failed(self, exc: Exception) -> None:
        self._shown = self._asked
        self._open_when_found = False
        self.status.setText(f"The search failed: {exc}")

    def _found(self, asked: int, hits: list[CaseHit]) -> None:
        if asked != self._asked:
            return
        self._shown = asked
        self.results.clear()
        for hit in hits:
            item = QListWidgetItem(hit_text(hit))
            item.setData(Qt.ItemDataRole.UserRole, hit.case_id)
            self.results.addItem(item)
        if hits:
            self.results.setCurrentRow(0)
        text = self.box.text().strip()
        if not text:
            self.status.setText("")
        elif not hits:
            self.status.setText(f"No case found for \u201c{text}\u201d.")
        elif len(hits) >= FIND_LIMIT:
            self.status.setText(f"The first {len(hits)} cases found: type more to narrow them. Enter opens the "
                                "highlighted one.")
        else:
            self.status.setText(f"{len(hits)} case{'s' if len(hits) != 1 else ''}. Enter opens the highlighted one.")
        if self._open_when_found:
            self._open_when_found = False
            self.open_current()

    def open_current(self) -> None:
        if not self.idle:  # Enter typed before the pause or the search's answer: open what it finds
            self._open_when_found = True
            if self._delay.isActive():
                self.search()
            return
        item = self.results.currentItem()
        if item is None:
            return
        self.accept()
        self.chosen(item.data(Qt.ItemDataRole.UserRole))


def open_case(window: QWidget, case_id: str) -> None:
    """Show exactly this case in the register and open it there (a read-only role sees it listed)."""
    window.show_area(ENROLLMENT.title)  # type: ignore[attr-defined]
    page = window.pages.get(ENROLLMENT.title)  # type: ignore[attr-defined]
    if not isinstance(page, EnrollmentPage):
        return
    page.show_cases([case_id], f"the search for {case_id}")
    if page.model.rowCount():
        page.table.selectRow(0)
        page.table.setFocus()
        QTimer.singleShot(0, page.edit_case)  # after the jump has painted; does nothing for a read-only role
