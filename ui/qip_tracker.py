"""QIP tracker: episodes opened from triggers, each step's due date, what is done and overdue;
closing or withdrawing an episode (one opened by mistake). A step is done, and an episode closed,
on the real day unless the user chooses otherwise: the as-of date being viewed is never taken
for it unasked. Opening one asks first, saying what will be created (``confirm_opening``): one
click on Findings must not make six steps unseen."""

from __future__ import annotations

import datetime as dt
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QInputDialog,
    QLabel,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.domain.permissions import Permission
from app.domain.qip_process import withdrawal
from app.domain.wording import subject_words
from app.services import qip
from app.services.findings import rule_words
from app.storage.database import Database
from ui.as_of import AsOf, date_edit
from ui.date_field import shown
from ui.flow_layout import FlowLayout
from ui.permissions import gate


def ask(box: QMessageBox) -> None:
    """Show the question and wait for the answer (tests replace this to look at it and answer)."""
    box.exec()


def confirm_opening(parent: QWidget | None, rule: str, subject: dict[str, Any], opened_on: dt.date) -> bool:
    """Ask before opening a QIP episode, listing the steps it creates and when each falls due;
    Cancel (and Esc) open nothing. True: open it."""
    steps = qip.planned_steps(opened_on)
    about = subject_words(subject)
    text = (f"Open a QIP episode for {rule_words(rule)}" + (f" ({about})" if about else "")
            + f", dated {shown(opened_on)}?\n\nThe QIP tracker will then follow its {len(steps)} steps:\n"
            + "\n".join(f"  • {s.title}: due {shown(s.due_on)}" for s in steps)
            + "\n\nOne opened by mistake can be withdrawn from the QIP tracker"
            + ("." if withdrawal().after_a_step_is_done else " while none of its steps is marked done."))
    box = QMessageBox(QMessageBox.Icon.Question, "Open a QIP episode?", text, QMessageBox.StandardButton.NoButton,
                      parent)
    opening = box.addButton("&Open the episode", QMessageBox.ButtonRole.AcceptRole)
    cancel = box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(opening)
    box.setEscapeButton(cancel)
    ask(box)
    return box.clickedButton() == opening


def _cell(text: str) -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
    return item


WITHDRAW_TIP = "An episode opened by mistake: remove it (the audit log keeps it, with why)"


class QipTrackerPage(QWidget):
    def __init__(self, db: Database, as_of: AsOf) -> None:
        super().__init__()
        self.db = db
        self.as_of = as_of
        self.episodes: list[qip.EpisodeView] = []
        self.form_hook = None  # tests fill the "done on" form through this instead of exec()
        self.table = QTableWidget(0, 6)
        self.table.setHorizontalHeaderLabels(["Opened", "Trigger", "Subject", "Next step", "Due", "Overdue steps"])
        self.steps = QTableWidget(0, 5)
        self.steps.setHorizontalHeaderLabels(["Step", "Due", "Done", "Status", "Note"])
        for t in (self.table, self.steps):
            t.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
            t.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
            t.horizontalHeader().setStretchLastSection(True)
            t.verticalHeader().setVisible(False)
        self.table.setColumnWidth(1, 170)
        self.steps.setColumnWidth(0, 330)
        self.done = QPushButton("Mark step &done…")
        self.note = QPushButton("Add a note to the step…")
        self.close_button = QPushButton("Close the episode…")
        self.withdraw_button = QPushButton("&Withdraw the episode…")
        self.withdraw_button.setToolTip(WITHDRAW_TIP)
        self.may_change = gate(db, Permission.QIP, self.done, self.note, self.close_button, self.withdraw_button)
        self.empty = QLabel("No QIP episodes yet. Open one from a trigger on the Findings page.")
        top = FlowLayout()  # wraps on a narrow window
        top.addWidget(QLabel("<h2>QIP tracker</h2>"))
        top.addStretch(1)
        top.addWidget(QLabel("As of"))
        top.addWidget(date_edit(as_of))
        buttons = FlowLayout()
        for b in (self.done, self.note, self.close_button, self.withdraw_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.empty)
        layout.addWidget(self.table, 2)
        layout.addWidget(QLabel("<b>Steps of the selected episode</b>"))
        layout.addWidget(self.steps, 3)
        layout.addLayout(buttons)
        self.table.itemSelectionChanged.connect(self.show_steps)
        self.done.clicked.connect(self.mark_done)
        self.note.clicked.connect(self.add_note)
        self.close_button.clicked.connect(self.close_episode)
        self.withdraw_button.clicked.connect(self.withdraw_episode)
        self.refresh()

    def refresh(self) -> None:
        selected = self.selected()
        self.episodes = qip.list_episodes(self.db, self.as_of.day)
        self.empty.setVisible(not self.episodes)
        self.table.setRowCount(len(self.episodes))
        for row, e in enumerate(self.episodes):
            nxt = e.next_step
            values = [shown(e.opened_on), e.rule, subject_words(e.subject),
                      "closed " + shown(e.closed_on) if e.closed_on else (nxt.title if nxt else "all steps done"),
                      shown(nxt.due_on) if nxt and nxt.due_on and not e.closed_on else "",
                      str(len(e.overdue)) if not e.closed_on else ""]
            for col, text in enumerate(values):
                self.table.setItem(row, col, _cell(text))
        index = next((i for i, e in enumerate(self.episodes) if selected and e.id == selected.id), 0 if self.episodes else -1)
        if index >= 0:
            self.table.selectRow(index)
        self.show_steps()

    def selected(self) -> qip.EpisodeView | None:
        row = self.table.currentRow()
        return self.episodes[row] if 0 <= row < len(self.episodes) else None

    def selected_step(self) -> qip.StepView | None:
        episode, row = self.selected(), self.steps.currentRow()
        return episode.steps[row] if episode and 0 <= row < len(episode.steps) else None

    def show_steps(self) -> None:
        episode = self.selected()
        steps = episode.steps if episode else ()
        self.steps.setRowCount(len(steps))
        for row, s in enumerate(steps):
            status = "OVERDUE" if s.status == "overdue" else s.status
            for col, text in enumerate([s.title, shown(s.due_on), shown(s.done_on),
                                        status, s.note or ""]):
                self.steps.setItem(row, col, _cell(text))
        for b in (self.done, self.note, self.close_button):
            b.setEnabled(episode is not None and episode.closed_on is None)
        refused = qip.withdraw_refusal(sum(1 for s in steps if s.done_on is not None)) if episode else None
        self.withdraw_button.setEnabled(episode is not None and refused is None and self.may_change)
        if self.may_change:  # else the tooltip says who may (ui.permissions)
            self.withdraw_button.setToolTip(refused or WITHDRAW_TIP)
        if episode and episode.next_step:
            self.steps.selectRow(list(episode.steps).index(episode.next_step))

    def mark_done(self) -> None:
        episode, step = self.selected(), self.selected_step()
        if not (episode and step):
            return
        from ui.record_form import Field, RecordForm

        def save(values: dict, _overwrite: int | None) -> None:  # type: ignore[type-arg]
            qip.record_step(self.db, episode.id, step.key, done_on=values["done_on"])

        form = RecordForm(f"Done: {step.title}", [Field("done_on", "&Done on", "date")], save,  # type: ignore[arg-type]
                          values={"done_on": step.done_on or self.as_of.current_day()},
                          validate=lambda v: {} if v["done_on"] else {"done_on": "the day the step was done is needed"},
                          parent=self)
        if self.form_hook is not None:
            self.form_hook(form)
            self.refresh()
        elif form.exec():
            self.refresh()

    def add_note(self) -> None:
        episode, step = self.selected(), self.selected_step()
        if not (episode and step):
            return
        text, ok = QInputDialog.getMultiLineText(self, "Note", f"Note for '{step.title}':", step.note or "")
        if ok:
            qip.record_step(self.db, episode.id, step.key, done_on=step.done_on, note=text)
            self.refresh()

    def close_episode(self) -> None:
        """Close the selected episode today, or on the (earlier) as-of date viewed if chosen."""
        from ui.record_day import ask_record_day

        episode = self.selected()
        if not episode:
            return
        doing = f"Close the episode for {rule_words(episode.rule)} opened {shown(episode.opened_on)}"
        if self.as_of.day == self.as_of.current_day():
            answer = QMessageBox.question(self, "Close the episode?", f"{doing} as of today, {shown(self.as_of.day)}?")
            closed_on = self.as_of.day if answer == QMessageBox.StandardButton.Yes else None
        else:
            closed_on = ask_record_day(self, self.as_of, doing, title="Close the episode?")
        if closed_on is None:
            return
        try:
            qip.close_episode(self.db, episode.id, closed_on)
        except qip.QipError as exc:
            QMessageBox.information(self, "QIP episode", str(exc))
            return
        self.refresh()

    def withdraw_episode(self) -> None:
        """Withdraw the selected episode (opened by mistake), saying why; audited."""
        episode = self.selected()
        if not episode:
            return
        done = sum(1 for s in episode.steps if s.done_on is not None)
        refused = qip.withdraw_refusal(done)
        if refused:
            QMessageBox.information(self, "Withdraw the episode", refused)
            return
        about = subject_words(episode.subject)
        reason, ok = QInputDialog.getText(
            self, "Withdraw the episode",
            f"Withdraw the episode for {rule_words(episode.rule)}" + (f" ({about})" if about else "")
            + f", opened {shown(episode.opened_on)}"
            + (f", with {done} step{'s' if done != 1 else ''} marked done" if done else "")
            + "? It leaves the tracker; the audit log keeps it and why.\n\nWhy is it withdrawn (for example: opened "
            "by mistake)? Do not name patients.")
        if not ok:
            return
        try:
            qip.withdraw_episode(self.db, episode.id, reason)
        except qip.QipError as exc:
            QMessageBox.information(self, "QIP episode", str(exc))
            return
        self.refresh()
