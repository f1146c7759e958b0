"""Findings: every finding grouped by kind, filterable, with its evidence and the records behind it.

Each finding names its rule by the plain title, the code in brackets; a reviewed finding is
greyed with its check mark (and a "Not reviewed" filter leaves only the ones still to explain),
so the explained ones no longer look like the work still to do."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.domain.export_kinds import SPREADSHEET
from app.domain.permissions import Permission
from app.domain.vocabulary import label
from app.domain.wording import counted, subject_words
from app.rules.engine import KINDS
from app.rules.findings import plain
from app.services import qip
from app.services.findings import CheckResult, rule_words, run_check
from app.services.reviews import ReviewError, ReviewState, mark_reviewed, review_states
from app.storage.database import Database
from app.storage.tabular import ExportError
from ui.as_of import AsOf, date_edit
from ui.evidence_panel import EvidencePanel
from ui.export_preview import rows_before_saving
from ui.finding_tree import FindingTree, TreeAndEvidence
from ui.flow_layout import FlowLayout
from ui.permissions import gate
from ui.save_dialog import ask_save_path
from ui.workers import run_in_background

ROLE = Qt.ItemDataRole.UserRole
#: The tree's group of forecasts within the close distance (the Dashboard's amber tiles)
CLOSE = "close"
GROUP_WORDS = {CLOSE: "Close to firing"}
#: The Findings filter on reviews: (words, value)
REVIEW_FILTERS = (("Reviewed or not", None), ("Not reviewed", "open"), ("Reviewed", "reviewed"))


def subject_text(subject: dict[str, Any]) -> str:
    return subject_words(subject)  # the coordinators' words (app.domain.wording)


def case_ids(evidence: dict[str, Any]) -> list[str]:
    """Case IDs a finding's evidence names, for the jump to the register."""
    ids = list(evidence.get("eligible_case_ids") or [])
    if evidence.get("case_id"):
        ids.append(evidence["case_id"])
    ids += [c["case_id"] for c in evidence.get("cases") or [] if isinstance(c, dict) and "case_id" in c]
    return ids


def record_target(finding: dict[str, Any]) -> tuple[str, str] | None:
    """The record a finding points at: ("case", id), ("meeting", date) or ("staff", id)."""
    ids = case_ids(finding["evidence"])
    if ids:
        return "case", ids[0]
    subject = finding["subject"]
    if "meeting" in subject:
        return "meeting", str(subject["meeting"])
    if "staff" in subject:
        return "staff", str(subject["staff"])
    return None


TARGET_WORDS = {"case": "Show the case in the register", "meeting": "Show the meeting",
                "staff": "Show the staff member"}


class FindingsPage(QWidget):
    show_case = Signal(str)
    show_cases = Signal(list, str)  # case IDs, what they are ("QIP-ENR-SELECTIVE")
    show_record = Signal(str, str)
    episode_opened = Signal()

    def __init__(self, db: Database, as_of: AsOf) -> None:
        super().__init__()
        self.db = db
        self.as_of = as_of
        self.result: CheckResult | None = None
        self.rows: list[dict[str, Any]] = []  # the findings listed, as JSON; tree items hold their index
        self.select_first = False  # show_rule asked for the first finding of a rule
        self.search = QLineEdit()
        self.search.setPlaceholderText("Filter by rule, subject or words")
        self.severity = QComboBox()
        for text, value in (("Every severity", None), ("Triggers and violations", "blocking"), ("Warnings", "warning"),
                            ("Close to firing", "close")):
            self.severity.addItem(text, value)
        self.reviewed = QComboBox()
        self.reviewed.setToolTip("Show only the findings not reviewed yet (still to explain), or only the reviewed ones")
        for text, value in REVIEW_FILTERS:
            self.reviewed.addItem(text, value)
        self.tree = FindingTree()  # titles and subjects wrap to the width there is (ui.finding_tree)
        self.reviews: list[ReviewState] = []  # per finding of ``result``, same order
        self.row_findings: list[int] = []     # per listed row, its index in ``result.findings``
        self.review_text = QLabel()
        self.review_text.setObjectName("review")
        self.review_text.setWordWrap(True)
        self.review_text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.review_button = QPushButton("Mark reviewed…")
        self.review_button.setToolTip("Keep the explanation with the finding: who, when, and why (audited)")
        self.may_review = gate(db, Permission.REVIEW, self.review_button)
        self.review_button.clicked.connect(self.ask_review)
        self.panel = EvidencePanel()
        self.evidence = self.panel.text
        self.panel.open_case.connect(self.open_case)
        self.show_all = QPushButton("Show all these cases in the register")
        self.show_all.clicked.connect(self.show_all_cases)
        self.export_cases = QPushButton("Export these cases…")
        self.export_cases.setToolTip("The cases of this rule's findings as a work list (.xlsx or .csv), audited")
        self.export_cases.clicked.connect(self.export_work_list)
        self.may_export = gate(db, Permission.EXPORT, self.export_cases)
        self.jump = QPushButton("Show the case in the register")
        self.open_episode = QPushButton("Open a QIP episode for this trigger")
        gate(db, Permission.QIP, self.open_episode)
        self.summary = QLabel()
        top = FlowLayout()
        top.addWidget(QLabel("<h2>Findings</h2>"))
        top.addStretch(1)
        top.addWidget(QLabel("As of"))
        top.addWidget(date_edit(as_of))
        filters = FlowLayout()  # wraps on a narrow window
        filters.addWidget(self.search, 1)
        filters.addWidget(self.severity)
        filters.addWidget(self.reviewed)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(QLabel("<b>Evidence</b>"))
        right_layout.addWidget(self.panel, 1)
        cases_row = FlowLayout()
        cases_row.addWidget(self.show_all)
        cases_row.addWidget(self.export_cases)
        right_layout.addLayout(cases_row)
        review_row = QHBoxLayout()
        review_row.addWidget(self.review_text, 1)
        review_row.addWidget(self.review_button)
        right_layout.addLayout(review_row)
        right_layout.addWidget(self.jump)
        right_layout.addWidget(self.open_episode)
        splitter = TreeAndEvidence(self.tree, right)  # the tree gets what the evidence leaves
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(filters)
        layout.addWidget(self.summary)  # its own line: beside the filters it squeezed the search box at 150 %
        layout.addWidget(splitter, 1)
        self.search.textChanged.connect(self.fill)
        self.severity.currentIndexChanged.connect(self.fill)
        self.reviewed.currentIndexChanged.connect(self.fill)
        self.tree.currentItemChanged.connect(self.show_evidence)
        self.jump.clicked.connect(self.jump_to_case)
        self.open_episode.clicked.connect(self.start_episode)
        self.show_evidence(None)
        self.refresh()

    def stop_busy(self) -> None:
        self.summary.setText("The findings could not be evaluated.")

    def show_no_facility(self, _reason: str) -> None:
        self.summary.setText("No facility yet: enter its details under Settings.")

    def refresh(self) -> None:
        day = self.as_of.day
        self.summary.setText("Evaluating…")
        db = self.db

        def job() -> tuple[CheckResult, list[ReviewState]]:
            result = run_check(db, day)
            return result, review_states(db, result.findings, day)

        run_in_background(job, self.show_result)

    def show_result(self, found: tuple[CheckResult, list[ReviewState]] | CheckResult) -> None:
        if isinstance(found, tuple):
            self.result, self.reviews = found
        else:  # an evaluation alone: no review known yet
            self.result, self.reviews = found, [ReviewState(None, ()) for _ in found.findings]
        self.fill()

    def visible(self) -> list[dict[str, Any]]:
        if self.result is None:
            return []
        words = self.search.text().strip().lower()
        wanted = self.severity.currentData()
        reviews = self.reviewed.currentData()
        rows = []
        for index, f in enumerate(self.result.findings):
            data = f.to_json()
            data["_index"] = index
            if wanted == "blocking" and not f.blocking or wanted in ("warning", "close") and f.severity != wanted:
                continue
            if reviews is not None and self.is_reviewed(data) != (reviews == "reviewed"):
                continue
            if words and words not in " ".join((f.rule, rule_words(f.rule), subject_text(data["subject"]),
                                                f.message)).lower():
                continue
            rows.append(data)
        # the forecasts within the policy's close distance: the work to do before they fire
        for f in self.result.forecast:
            if not f.close(self.result.policy, self.result.as_of) or wanted not in (None, "close") \
                    or reviews == "reviewed":  # a forecast is not reviewed: nothing has fired yet
                continue
            if words and words not in " ".join((f.rule, subject_text(plain(f.subject)), f.text)).lower():
                continue
            rows.append({"rule": f.rule, "kind": CLOSE, "severity": CLOSE, "subject": plain(f.subject),
                         "message": f.text, "evidence": plain(f.evidence), "_index": None})
        return rows

    def fill(self) -> None:
        before = self.current()
        keep = (before["rule"], subject_text(before["subject"])) if before else None
        self.tree.clear()
        rows = self.visible()
        self.rows = []
        reselect = None
        for kind in (*KINDS, CLOSE):
            members = [r for r in rows if r["kind"] == kind]
            if not members:
                continue
            group = QTreeWidgetItem([f"{GROUP_WORDS.get(kind, label(kind))} ({len(members)})"])
            self.tree.addTopLevelItem(group)
            for r in members:
                state = self.state_of(r)
                reviewed = state is not None and state.current is not None
                item = QTreeWidgetItem([rule_words(r["rule"]), subject_text(r["subject"]), r["severity"],
                                        "✓ reviewed" if reviewed else "", r["message"]])
                if reviewed:  # explained already: greyed, so the findings still to explain stand out
                    grey = self.palette().color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text)
                    for column in range(self.tree.columnCount()):
                        item.setForeground(column, grey)
                    item.setToolTip(3, f"Reviewed: {state.current.line}")
                self.rows.append(r)
                item.setData(0, ROLE, len(self.rows) - 1)  # an index: a dict stored in Qt comes back key-sorted
                item.setToolTip(4, r["message"])
                group.addChild(item)
                if keep == (r["rule"], subject_text(r["subject"])):
                    reselect = item
            group.setExpanded(True)
        self.tree.fit_columns()
        if reselect is not None:  # a reload keeps the finding being read
            self.tree.setCurrentItem(reselect)
        else:
            self._select_first()
        self.summary.setText(self.summary_words(rows))

    def summary_words(self, rows: list[dict[str, Any]]) -> str:
        """What the list holds, counted in findings (as the list shows them), never in rules:
        "14 of 20 findings shown, 9 not reviewed; 2 close to firing"."""
        findings = self.result.findings if self.result else []
        close = sum(1 for r in rows if r["kind"] == CLOSE)
        shown = len(rows) - close
        open_ = sum(1 for i in range(len(findings)) if not self.is_reviewed({"_index": i}))
        return (f"{shown} of {counted(len(findings), 'finding')} shown, {open_} not reviewed"
                + (f"; {close} close to firing" if close else ""))

    def is_reviewed(self, finding: dict[str, Any]) -> bool:
        state = self.state_of(finding)
        return state is not None and state.current is not None

    def show_rule(self, rule: str) -> None:
        """Filter to ``rule`` (a prefix such as ``ATT-`` takes the family) and select its first finding."""
        self.select_first = True  # also when the evaluation is still running: its result selects it
        self.search.setText(rule)
        self._select_first()

    def _select_first(self) -> None:
        group = self.tree.topLevelItem(0)
        if self.select_first and group is not None and group.childCount():
            self.tree.setCurrentItem(group.child(0))
            self.select_first = False

    def current(self) -> dict[str, Any] | None:
        item = self.tree.currentItem()
        index = item.data(0, ROLE) if item else None
        return self.rows[index] if isinstance(index, int) and 0 <= index < len(self.rows) else None

    def show_evidence(self, *_args: Any) -> None:
        finding = self.current()
        target = record_target(finding) if finding else None
        self.jump.setEnabled(target is not None)
        self.jump.setText(TARGET_WORDS[target[0]] if target else "Show the records behind it")
        self.open_episode.setEnabled(bool(finding and finding["kind"] == "qip" and finding["severity"] == "trigger"))
        self.panel.show_finding(finding)
        has_cases = bool(self.panel.case_ids)
        self.show_all.setEnabled(has_cases)
        self.show_all.setText(f"Show all {len(self.panel.case_ids)} cases in the register" if len(self.panel.case_ids) > 1
                              else "Show this case in the register" if has_cases else "Show all these cases in the register")
        self.export_cases.setEnabled(has_cases and self.may_export)
        state = self.state_of(finding) if finding else None
        # a forecast is not a finding yet: nothing to explain until it fires
        self.review_button.setEnabled(finding is not None and finding.get("_index") is not None and self.may_review)
        if finding is None or state is None:
            self.review_text.setText("")
        else:
            current = state.current
            earlier = [r for r in state.history if r is not current]
            self.review_text.setText(
                (f"<b>{html.escape(current.line)}</b>" if current else "<i>Not reviewed.</i>")
                + (f"<br/><small>{len(earlier)} earlier explanation(s) of this finding kept.</small>" if earlier else ""))
            self.review_text.setToolTip("\n".join(r.line for r in state.history))

    def state_of(self, finding: dict[str, Any]) -> ReviewState | None:
        index = finding.get("_index")
        return self.reviews[index] if isinstance(index, int) and index < len(self.reviews) else None

    def ask_review(self) -> None:
        from PySide6.QtWidgets import QInputDialog

        finding = self.current()
        if not finding:
            return
        note, ok = QInputDialog.getMultiLineText(
            self, "Mark reviewed", f"What explains this finding of {rule_words(finding['rule'])} (or what was done about it)?\n"
            "It is kept with the finding and printed in the self-audit: do not name patients.")
        if ok:
            self.mark_reviewed(note)

    def mark_reviewed(self, note: str) -> bool:
        """Keep ``note`` with the selected finding (audited); the page reloads through the hub."""
        finding = self.current()
        if not finding or self.result is None:
            return False
        try:
            mark_reviewed(self.db, self.result.findings[finding["_index"]], note, self.as_of.day)
        except ReviewError as exc:
            QMessageBox.information(self, "Mark reviewed", str(exc))
            return False
        return True

    def show_all_cases(self) -> None:
        finding = self.current()
        if finding and self.panel.case_ids:
            self.show_cases.emit(self.panel.case_ids, finding["rule"])

    def open_case(self, case_id: str) -> None:
        """Open the case's form over the work list (Enter or double-click in the evidence table);
        a save reaches every screen through the change hub, this list included."""
        from app.services.cases import get_case
        from app.services.editing import NotFound
        from ui.case_form import CaseForm

        try:
            record = get_case(self.db, case_id)
        except NotFound as exc:
            QMessageBox.information(self, "Case not found", str(exc))
            return
        form = CaseForm(self.db, record, self)
        form.setModal(True)
        form.open()
        self.case_form = form  # kept for tests and so it is not collected while open

    def export_work_list(self, _checked: bool = False, path: str | None = None) -> None:
        from app.exports.service import export_kind

        finding = self.current()
        if not finding:
            return
        if path is None:  # the rows first, then where to save them
            if not rows_before_saving(self, self.db, "finding-cases", "Cases behind the finding",
                                      as_of=self.as_of.day, rule=finding["rule"]):
                return
            choice = ask_save_path(self, "finding-cases", "Export these cases", f"{finding['rule']}-cases.xlsx",
                                   SPREADSHEET)
            if choice is None:
                return
            path = choice.path
        day = self.as_of.day
        try:
            count = export_kind(self.db, "finding-cases", Path(path), year=None, as_of=day, rule=finding["rule"])
        except (ExportError, OSError) as exc:
            QMessageBox.warning(self, "Export", str(exc))
            return
        self.summary.setText(f"Exported {count} case(s) to {Path(path).name}.")

    def jump_to_case(self) -> None:
        finding = self.current()
        target = record_target(finding) if finding else None
        if target is None:
            return
        if target[0] == "case":
            self.show_case.emit(target[1])
        else:
            self.show_record.emit(*target)

    def start_episode(self) -> None:
        """Open a QIP episode for the selected trigger, dated today unless the user chooses the
        (earlier) as-of date being viewed (``ui.record_day``), once the user has seen the steps
        it creates and confirmed (``ui.qip_tracker.confirm_opening``)."""
        from ui.qip_tracker import confirm_opening
        from ui.record_day import ask_record_day

        finding = self.current()
        if not finding:
            return
        opened_on = ask_record_day(self, self.as_of, "Open the QIP episode", title="Open a QIP episode")
        if opened_on is None or not confirm_opening(self, finding["rule"], finding["subject"], opened_on):
            return
        try:
            qip.open_episode(self.db, finding["rule"], finding["subject"], finding["message"], opened_on,
                             today=self.as_of.current_day())
        except qip.QipError as exc:
            QMessageBox.information(self, "QIP episode", str(exc))
            return
        self.episode_opened.emit()
