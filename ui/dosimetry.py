"""Dosimetry: physics leads log submissions and see which enrolled cases still need one."""

from __future__ import annotations

import dataclasses
import datetime as dt

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QLabel, QListWidget, QSplitter, QVBoxLayout, QWidget

from app.domain.records import DosimetryRecord, format_metrics, parse_metrics, validate_dosimetry
from app.domain.wording import metrics_words
from app.security.roles import Permission
from app.services import dosimetry, staff
from app.storage.database import Database
from ui.as_of import AsOf
from ui.record_form import Field
from ui.record_page import RecordPage

SHOWN_SUBMISSIONS = 5000  # dosimetry.list_submissions' default limit
TECHNIQUES = ("3D-CRT", "IMRT", "VMAT", "SBRT", "Electrons", "Protons", "Other")


def _record(v: dict) -> DosimetryRecord:
    try:
        metrics = parse_metrics(v.get("metrics") or "")
    except ValueError:
        metrics = {"": -1.0}  # reported as a problem by the validator
    return DosimetryRecord(v["case_id"], v["submitted_on"], v["staff_id"] or "", v["technique"] or "",
                           v["total_dose_gy"] or None, v["fractions"] or None, metrics)


def _problems(v: dict) -> dict[str, str]:
    problems = validate_dosimetry(_record(v))
    try:
        parse_metrics(v.get("metrics") or "")
    except ValueError as exc:
        problems["metrics"] = f"write name=value;name=value ({exc})"
    return problems


class DosimetryPage(QWidget):
    def __init__(self, db: Database, as_of: AsOf | None = None) -> None:
        """``as_of`` is the window's shared date: the missing list counts cases enrolled up to it,
        so it agrees with the findings and the self-audit for the same date."""
        super().__init__()
        self.db = db
        self.as_of = as_of if as_of is not None else AsOf()
        self.case_search = ""  # the case-ID search in SQL, used when the list is capped
        def people() -> tuple[tuple[str, object], ...]:
            return tuple((f"{p.name} ({p.staff_id})", p.staff_id) for p in staff.list_staff(db)
                         if p.profession in ("physicist", "dosimetrist"))

        self.list = RecordPage(
            db, "Submissions",
            [("case_id", "Case"), ("project", "Project"), ("submitted_on", "Submitted"), ("staff_name", "By"),
             ("technique", "Technique"), ("total_dose_gy", "Total dose (Gy)"), ("fractions", "Fractions"),
             ("per_fraction", "Gy per fraction"), ("metrics_text", "Metrics")],
            self.rows,
            lambda: [Field("case_id", "&Case ID", read_only_when_editing=True),
                     Field("submitted_on", "&Submitted on", "date"),
                     Field("staff_id", "Submitted &by", "choice", people()),
                     Field("technique", "&Technique", "choice", tuple((t, t) for t in TECHNIQUES)),
                     Field("total_dose_gy", "Total &dose (Gy)", "float"), Field("fractions", "&Fractions", "int"),
                     Field("metrics", "&Metrics (e.g. mean_heart_dose_gy=1.2;lung_v20_pct=18)")],
            lambda v, old, overwrite: dosimetry.save_submission(
                db, dataclasses.replace(_record(v), version=old["version"] if old else None),
                submission_id=old["id"] if old else None, overwrite=overwrite),
            lambda r: dosimetry.delete_submission(db, r["id"], version=r["version"]),
            _problems,
            lambda r: f"the submission for case {r['case_id']} of {r['submitted_on']}",
            sort=(2, Qt.SortOrder.DescendingOrder),  # the service lists the latest ones: show them latest first
        ).require(Permission.DOSIMETRY)
        self.missing_label = QLabel()
        self.missing_label.setWordWrap(True)  # unwrapped, this one line set the side pane's width and clipped the table
        self.missing = QListWidget()
        side = QWidget()
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(0, 0, 0, 0)
        side_layout.addWidget(self.missing_label)
        side_layout.addWidget(self.missing, 1)
        # wide enough for one whole "case · project · enrolled date" line, and no wider
        side.setMinimumWidth(self.fontMetrics().horizontalAdvance("MRQ-0000000 · breast · enrolled 2000-00-00") + 40)
        splitter = QSplitter()
        splitter.addWidget(self.list)
        splitter.addWidget(side)
        splitter.setStretchFactor(0, 3)  # the submissions table needs its columns; the missing list is one line each
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([900, 300])
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("<h2>Dosimetry</h2>"))
        layout.addWidget(splitter, 1)
        self.list.changed.connect(self.recount)
        self.list.set_note(self.capped_note(len(self.list.records)))
        self.as_of.changed.connect(self.show_missing)
        self._search_timer = QTimer(self, singleShot=True, interval=300)  # search when typing pauses
        self._search_timer.timeout.connect(self.search_cases)
        self.list.filter.textChanged.connect(self._search_timer.start)
        self.show_missing()

    def rows(self) -> list[dict]:
        result = []
        for s in dosimetry.list_submissions(self.db, limit=SHOWN_SUBMISSIONS, case_search=self.case_search):
            row = dataclasses.asdict(s)
            row["per_fraction"] = round(s.total_dose_gy / s.fractions, 2) if s.fractions else None
            row["metrics_text"] = metrics_words(s.metrics)  # in words; the form shows them as typed
            row["metrics"] = format_metrics(s.metrics)
            result.append(row)
        return result

    def reload(self) -> None:
        self.list.refresh()
        self.recount()
        self.show_missing()

    def recount(self) -> None:
        """After a save, delete or undo: the note on what is listed, and the missing list."""
        self.list.set_note(self.capped_note(len(self.list.records)))
        self.show_missing()

    def capped_note(self, shown: int) -> str:
        """Say when older submissions are left out, so a missing old case is not taken for unlogged."""
        if self.case_search:
            return (f"Submissions of cases whose ID contains “{self.case_search}”: {shown:,}"
                    + (" (the latest listed)." if shown >= SHOWN_SUBMISSIONS else "."))
        if shown < SHOWN_SUBMISSIONS:
            return ""
        return (f"The latest {shown:,} submissions are listed; type a case ID in the filter to search "
                "all of them.")

    def search_cases(self) -> None:
        """When the list is capped, the filter text searches every submission in the database (in SQL),
        not only the rows on screen; a short list keeps filtering on screen as every list does."""
        text = self.list.filter.text().strip()
        capped = len(self.list.records) >= SHOWN_SUBMISSIONS
        if text == self.case_search or not (capped or self.case_search):
            return
        self.case_search = text
        self.list.refresh()
        self.list.set_note(self.capped_note(len(self.list.records)))

    def show_missing(self, *_changed: object) -> None:
        """Recounted after every change to the submissions and whenever the as-of date moves."""
        day = self.as_of.day
        count, rows = dosimetry.missing_submissions(self.db, day)
        when = f" (enrolled by {day.isoformat()})" if day != dt.date.today() else ""
        self.missing_label.setText(f"<b>Enrolled breast and lung cases without a submission{when}: {count:,}</b>"
                                   + (f" (oldest {len(rows)} listed)" if count > len(rows) else ""))
        self.missing.clear()
        self.missing.addItems([f"{cid} · {project} · enrolled {enrolled.isoformat()}" for cid, project, enrolled in rows])
