"""Programs: data history (Gold Card / VBR prerequisite), CQI VBR per oncologist, FTE, P4P dates."""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
from decimal import Decimal, InvalidOperation

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QLabel,
    QLineEdit,
    QPushButton,
    QTabWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from app.calculators.mips_years import available_years as mips_years
from app.domain import fields
from app.domain.permissions import Permission
from app.domain.vocabulary import label
from app.rules.years import calendar_year_state, year_label
from app.services import data_entry, staff
from app.services.program_view import (
    DATA_HISTORY,
    FTE_ESTIMATE,
    MVC_QUESTIONNAIRE,
    P4P_PAYMENT,
    VBR,
    ProgramsView,
    eligible_words,
    met_words,
    programs_view,
)
from app.storage.database import Database
from ui.as_of import AsOf, date_edit
from ui.calculators import MipsEstimateDialog, MvcScoreDialog
from ui.date_field import dates_shown, shown
from ui.flow_layout import FlowLayout
from ui.record_form import columns_of, fields_of
from ui.record_page import ListQuery, PagedRecords, RecordPage, row_of
from ui.workers import run_in_background


class ProgramsPage(QWidget):
    def __init__(self, db: Database, as_of: AsOf) -> None:
        super().__init__()
        self.db = db
        self.as_of = as_of
        self.rate = QLineEdit()
        self.rate.setPlaceholderText("Payment per FTE in $ (optional)")
        self.rate.setMinimumWidth(self.rate.fontMetrics().horizontalAdvance(self.rate.placeholderText()) + 24)
        self.text = QTextBrowser()
        self.view: ProgramsView | None = None  # the figures shown, as numbers and dates
        # The calculators are non-modal and kept, so their inputs survive closing and reopening.
        self.mvc_dialog: MvcScoreDialog | None = None
        self.mips_dialog: MipsEstimateDialog | None = None
        self.mvc_button = QPushButton("M&VC P4P score (PY2022–23)…")
        self.mvc_button.setToolTip("Score the MVC P4P episode-payment measure for two conditions, as it was "
                                   "computed for Program Years 2022 and 2023")
        self.mvc_button.clicked.connect(self.open_mvc)
        self.mips_button = QPushButton("M&IPS estimate…")
        self.mips_button.setToolTip("Estimate a practice's MIPS final score and payment adjustment for a "
                                    f"performance year ({', '.join(map(str, mips_years()))})")
        self.mips_button.clicked.connect(self.open_mips)
        top = FlowLayout()  # wraps on a narrow window
        top.addWidget(QLabel("<h2>Programs</h2>"))
        top.addStretch(1)
        top.addWidget(self.mvc_button)
        top.addWidget(self.mips_button)
        top.addWidget(self.rate)
        top.addWidget(QLabel("As of"))
        top.addWidget(date_edit(as_of))
        self.years = RecordPage(
            db, "Program years",
            columns_of(fields.PROGRAM_YEAR, "year",
                       ("targets", fields.PROGRAM_YEAR["performance_targets_met"].column_heading), ("state", "Year is")),
            lambda: [_program_year_row(dataclasses.asdict(r), calendar_year_state(r.year, self.as_of.day))
                     for r in data_entry.list_program_years(db)],
            fields_of(fields.PROGRAM_YEAR),
            lambda v, old, overwrite: data_entry.save_program_year(
                db, v["year"], v["performance_targets_met"], original_year=old["year"] if old else None,
                version=old["version"] if old else None, overwrite=overwrite),
            lambda r: data_entry.delete_program_year(db, r["year"], version=r["version"]),
            lambda v: data_entry.validate_program_year(v["year"]),
            lambda r: f"program year {r['year']}", sort=(0, Qt.SortOrder.DescendingOrder),
        ).require(Permission.PROGRAM_YEARS)
        self.years.set_note("CQI VBR counts a year only when the consortium says its performance targets were met; "
                            "a year still in progress has no verdict yet, whatever is entered.")

        def people() -> tuple:  # type: ignore[type-arg]
            return ((("(nobody named)", None),)
                    + tuple((f"{p.name} ({p.staff_id})", p.staff_id) for p in staff.list_staff(db)))

        self.sessions = RecordPage(
            db, "Data-entry sessions",
            columns_of(fields.DATA_ENTRY, "date", "kind", "case_id",
                       ("staff_name", fields.DATA_ENTRY["staff_id"].column_heading)),
            None,
            lambda: fields_of(fields.DATA_ENTRY, "date", "kind", "case_id", "staff_id", choices={"staff_id": people()}),
            lambda v, old, overwrite: data_entry.save_data_entry(
                db, v["date"], v["kind"], v["case_id"], v["staff_id"], entry_id=old["id"] if old else None,
                version=old["version"] if old else None, overwrite=overwrite),
            lambda r: data_entry.delete_data_entry(db, r["id"], version=r["version"]),
            lambda v: data_entry.validate_data_entry(v["date"], v["kind"]),
            lambda r: f"the {label(r['kind']).lower()} session of {r['date']}", sort=(0, Qt.SortOrder.DescendingOrder),
            fill_when_shown=True,  # read when its tab is opened, not with the Figures
            paged=sessions_paged(db),  # every session ever logged: a count and the page shown, not all of them
        ).require(Permission.CASES)
        self.sessions.set_note("Abstraction, PRO and follow-up sessions: a long gap between them is what the "
                               "data-entry lag trigger (QIP-DATA-LAG) looks for.")
        self.tabs = QTabWidget()
        self.tabs.addTab(self.text, "&Figures")
        self.tabs.addTab(self.years, "Program &years")
        self.tabs.addTab(self.sessions, "Data-entry &sessions")
        self.years.changed.connect(self.refresh)
        self.sessions.changed.connect(self.refresh)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.tabs, 1)
        self.rate.editingFinished.connect(self.refresh)
        self.refresh()

    def open_mvc(self) -> None:
        if self.mvc_dialog is None:
            self.mvc_dialog = MvcScoreDialog(self)
        self._bring_up(self.mvc_dialog)

    def open_mips(self) -> None:
        if self.mips_dialog is None:
            self.mips_dialog = MipsEstimateDialog(self, year=self.as_of.day.year)
        self._bring_up(self.mips_dialog)

    @staticmethod
    def _bring_up(dialog: MvcScoreDialog | MipsEstimateDialog) -> None:
        dialog.show()
        dialog.raise_()
        dialog.activateWindow()

    def reload(self) -> None:
        """Something changed (here, in another screen or at another workstation): read all again."""
        self.years.refresh()
        self.sessions.refresh_when_shown()
        self.refresh()

    def refresh(self) -> None:
        try:
            rate = Decimal(self.rate.text().replace(",", "").replace("$", "")) if self.rate.text().strip() else None
        except InvalidOperation:
            self.text.setHtml("<p><b>The payment per FTE must be a number, e.g. 85000.</b></p>")
            return
        day, db = self.as_of.day, self.db
        run_in_background(lambda: programs_view(db, day, rate), self.show_view)

    def show_view(self, view: ProgramsView) -> None:
        """Every figure with the year it describes and whether that year is over (issue 26); dates
        as the facility writes them."""
        self.view = view
        e = html.escape
        f, day = view.figures, view.as_of
        h, fte = f.data_history, f.fte
        uplift = "".join(f"<br>• Uplift {e(u.range)} — {e(u.source)}" for u in view.uplift)
        mvc = "".join(
            f"<li><b>Program Years {e(m.years)}</b>: {e(m.structure)}. "
            + (f"Scored by {e(m.scored)}. " if m.scored else "")
            + (f"<i>Not scored: {e(m.not_public)}.</i> " if m.not_public else "")
            + f"<small>Source: {e(m.source)}</small></li>" for m in view.mvc_measures)
        vbr = "".join(f"<li><b>{e(v.name)}</b>: {eligible_words(v.eligible)}"
                      + ("<ul>" + "".join(f"<li>{e(dates_shown(u))}</li>" for u in v.unmet) + "</ul>" if v.unmet else "")
                      + "</li>" for v in f.vbr) or "<li>No radiation oncologists on the staff list.</li>"
        payment = f"<br>Payment estimate: ${float(fte.payment):,.2f}" if fte.payment is not None else ""
        share = (f"<br>Non-BCBSM share of the cases: {float(fte.non_bcbsm_share):.1%} "
                 f"(projected about {float(fte.projected_non_bcbsm_share):.0%})" if fte.non_bcbsm_share is not None else "")
        self.text.setHtml(
            f"<h3>{DATA_HISTORY} as of {shown(day)}: {met_words(h.met)}</h3>"
            f"<p>Baseline year {h.baseline_year}; contribution years (complete years before {day.year}, which is "
            f"{view.year_state}): {', '.join(map(str, h.contribution_years)) or 'none'}"
            + "".join(f"<br>• {e(dates_shown(r))}" for r in h.reasons) + "</p>"
            f"<h3>{VBR} per radiation oncologist — VBR year {shown(view.vbr_start)} to {shown(view.vbr_end)} "
            f"({view.vbr_state}); targets of program year {year_label(day.year, day)}</h3><ul>{vbr}</ul>"
            f"<p><small>{VBR} pays above the standard fee schedule:{uplift}</small></p>"
            f"<h3>{FTE_ESTIMATE} {year_label(fte.year, day)}</h3><p>{fte.cases:,} enrolled cases / "
            f"{fte.cases_per_fte} = <b>{float(fte.fte):.2f} FTE</b> — {e(fte.staffing)}{payment}{share}</p>"
            f"<h3>Dates</h3><p>{P4P_PAYMENT} for {year_label(day.year, day)} performance: {e(shown(f.p4p_payment))}<br>"
            f"{MVC_QUESTIONNAIRE} for program year {day.year} due: "
            f"{e(shown(f.mvc_questionnaire_due))}{_past_words(view.questionnaire_days_past)}</p>"
            f"<h3>MVC P4P measure by program year</h3><ul>{mvc}</ul>")

    def _past(self, due: dt.date | str | None) -> str:
        """" — past (N days ago)" when the due date is before the as-of date."""
        try:
            day = due if isinstance(due, dt.date) else dt.date.fromisoformat(str(due))
        except ValueError:
            return ""
        return _past_words((self.as_of.day - day).days)


def _past_words(late: int) -> str:
    """" — past (N days before the as-of date)" for a due date ``late`` days before it, else nothing."""
    return f" — <b>past</b> ({late} day{'s' if late != 1 else ''} before the as-of date)" if late > 0 else ""


def _program_year_row(row: dict, state: str) -> dict:
    """A program year as the table shows it: a year still running has no verdict yet, whatever was
    entered ("in progress", not "yes"); the entered value stays in the row for the form."""
    verdict = "yes" if row["performance_targets_met"] else "no"
    return {**row, "state": state, "targets": verdict if state == "complete" else f"{state}: no verdict yet"}


def sessions_paged(db: Database) -> PagedRecords:
    """The data-entry sessions as a long list reads them (``RecordPage(paged=...)``): counted,
    sorted, filtered and read a page at a time by ``app.services.data_entry``."""

    def asked(query: ListQuery) -> data_entry.DataEntryQuery:
        return data_entry.DataEntryQuery(query.search, query.on, query.sort_column or "date", query.descending)

    return PagedRecords(
        count=lambda query: data_entry.count_data_entries(db, asked(query)),
        page=lambda query, offset, limit, total: [row_of(r) for r in data_entry.data_entry_page(
            db, asked(query), offset, limit, total)],
        sortable=frozenset(data_entry.DATA_ENTRY_SORTS),
        position=lambda query, record: data_entry.data_entry_position(db, asked(query), record["id"]),
    )
