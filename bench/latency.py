"""Interaction latency: what a coordinator waits for, click by click, in the real window.

    QT_QPA_PLATFORM=offscreen .venv/bin/python -m bench.latency DB [--runs 20] [--json OUT]

Drives ``ui.main_window.MainWindow`` offscreen on a copy of a demo database (the saves must not
change the cached demo) and times each interaction until the screen is drawn with its data: the
action, then every background job it started finished and its result delivered to the widgets
(``ui.workers.pool``, which runs each page's filling), then a synchronous repaint of the window.
Each figure is a p50 and p95 over repeats, beside a bare baseline measured in the same process
(an empty page switched to, a plain table of the same rows), since the machine may be shared. An
interaction that leaves its screen to fill in on the worker thread is also timed until the window
was first drawn meanwhile ("drawn p95"): a screen must answer at once even when its figures take
longer to compute.

``bench.run`` runs this as a subprocess (``--only latency``), one fresh process per demo size, so
the first visit of each screen is a real first visit (its module imported, its page built).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

AS_OF = dt.date(2025, 6, 30)
USER = "bench-admin"
PASSWORD = "bench password 1"  # the benchmark's own synthetic databases only
SETTLE_TIMEOUT_MS = 120_000  # a job that takes longer than this is a hang, not a figure


@dataclass
class Latency:
    """One interaction's wait: p50 and p95 over ``samples``, beside its baseline's; for one that
    fills its screen in the background (``ui.workers``), also the wait until the screen was first
    drawn (``drawn_p50_ms``, ``drawn_p95_ms``: the window answering before the figures are in)."""

    name: str
    p50_ms: float
    p95_ms: float
    samples: int
    target_ms: float | None = None
    baseline: str | None = None
    baseline_p50_ms: float | None = None
    drawn_p50_ms: float | None = None
    drawn_p95_ms: float | None = None

    @property
    def met(self) -> bool | None:
        return None if self.target_ms is None else self.p95_ms <= self.target_ms


def p95(samples: list[float]) -> float:
    """The 95th percentile (nearest rank): with 20 samples, the second-slowest."""
    ordered = sorted(samples)
    return ordered[max(0, -(-len(ordered) * 95 // 100) - 1)]


class Sample(float):
    """One wait until the screen is drawn with its data, with ``drawn``: until it was first drawn
    (the same when the action left nothing to fill in the background)."""

    drawn: float

    def __new__(cls, filled: float, drawn: float | None = None) -> Sample:
        sample = super().__new__(cls, filled)
        sample.drawn = filled if drawn is None else drawn
        return sample


def summary(name: str, samples: list[float], target_ms: float | None = None, baseline: str | None = None,
            baseline_samples: list[float] | None = None) -> Latency:
    first = [getattr(s, "drawn", s) for s in samples]
    filled_in = any(d < s for d, s in zip(first, samples, strict=True))  # drawn at once, then filled in
    return Latency(name, statistics.median(samples), p95(samples), len(samples), target_ms, baseline,
                   statistics.median(baseline_samples) if baseline_samples else None,
                   statistics.median(first) if filled_in else None, p95(first) if filled_in else None)


def drawn(app: Any, window: Any) -> None:
    """Until the screen is drawn with its data: the pages fill in on the one worker thread
    (``ui.workers``), whose result comes back queued and may start the next job (the Dashboard's
    tiles, then its readiness tile): wait until the pool is idle with nothing left to deliver,
    then paint the window as the screen would."""
    from ui.workers import pool

    jobs = pool()
    deadline = time.perf_counter() + SETTLE_TIMEOUT_MS / 1000
    quiet = 0
    while quiet < 2 and time.perf_counter() < deadline:
        app.processEvents()
        if jobs.activeThreadCount() == 0:
            quiet += 1  # twice idle in a row: the last result was delivered and started nothing
        else:
            quiet = 0
            jobs.waitForDone(5)
    window.repaint()


def timed(app: Any, window: Any, action: Callable[[], object]) -> Sample:
    """The action's wait until its screen is drawn with its data; when it left work on the worker
    thread (a screen that fills in), also until the window was first drawn meanwhile."""
    from ui.workers import pool

    start = time.perf_counter()
    action()
    first = None
    if pool().activeThreadCount():  # filling in the background: what the window shows at once
        app.processEvents()
        window.repaint()
        first = (time.perf_counter() - start) * 1000
    drawn(app, window)
    return Sample((time.perf_counter() - start) * 1000, first)


class Baselines:
    """Bare Qt in the same process and window size: what a switch and a filled table cost with
    nothing of the app behind them."""

    def __init__(self, app: Any, size: Any, rows: int, columns: int) -> None:
        from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt
        from PySide6.QtWidgets import QMainWindow, QStackedWidget, QTableView, QWidget

        self.app = app
        self.window = QMainWindow()
        self.window.resize(size)
        self.stack = QStackedWidget()
        for _ in range(2):
            self.stack.addWidget(QWidget())
        self.table = QTableView()
        self.stack.addWidget(self.table)
        self.window.setCentralWidget(self.stack)
        self.window.show()
        data = [tuple(f"row {r} column {c}" for c in range(columns)) for r in range(rows)]

        class ListModel(QAbstractTableModel):
            def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008, N802 (Qt's name)
                return 0 if parent.isValid() else len(data)

            def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008, N802 (Qt's name)
                return 0 if parent.isValid() else columns

            def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> object:
                return data[index.row()][index.column()] if role == Qt.ItemDataRole.DisplayRole else None

        self.model_type = ListModel
        self.rows = rows

    def switch(self) -> float:
        """An empty page switched to and painted."""
        start = time.perf_counter()
        self.stack.setCurrentIndex(1 - self.stack.currentIndex() if self.stack.currentIndex() < 2 else 0)
        self.app.processEvents()
        self.window.repaint()
        return (time.perf_counter() - start) * 1000

    def table_filled(self) -> float:
        """A QTableView given a list model of the same rows, shown and painted."""
        start = time.perf_counter()
        self.table.setModel(self.model_type())
        self.stack.setCurrentIndex(2)
        self.app.processEvents()
        self.window.repaint()
        return (time.perf_counter() - start) * 1000


def copy_database(path: Path) -> Path:
    """A working copy (the key file with it): the saves below change it, the cached demo stays as built."""
    from app.security.keyfile import key_file_for

    work = Path(tempfile.mkdtemp(prefix="bench-latency-")) / path.name
    shutil.copy(path, work)
    wal = Path(f"{path}-wal")  # a process that quit without closing (bench.show_window) leaves its last commits here
    if wal.exists():
        shutil.copy(wal, f"{work}-wal")
    shutil.copy(key_file_for(path), key_file_for(work))
    return work


def said_instead(_parent: Any, title: str, text: str, *_args: Any, **_kwargs: Any) -> Any:
    """A message box would wait for a person offscreen: the benchmark says it on stderr and goes on."""
    from PySide6.QtWidgets import QMessageBox

    print(f"{title}: {text}", file=sys.stderr, flush=True)
    return QMessageBox.StandardButton.Ok


def measure(path: Path, runs: int) -> list[Latency]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QSize, Qt
    from PySide6.QtWidgets import QMessageBox

    from app.security.signin import sign_in
    from app.storage.database import sqlite_url
    from ui.application import make_app
    from ui.main_window import MainWindow
    from ui.screens import DASHBOARD, DOSIMETRY, ENROLLMENT, FINDINGS, PROGRAMS, REPORTS, SCREENS

    app = make_app(version=False)
    for kind in ("information", "warning", "critical"):
        setattr(QMessageBox, kind, said_instead)
    work = copy_database(path)
    db = sign_in(sqlite_url(work), USER, PASSWORD)
    window = MainWindow(db)
    window.as_of.set(AS_OF)
    window.resize(QSize(1366, 768))
    window.show()
    drawn(app, window)  # the Dashboard, its evaluation and the reminder digest: the start's, measured apart
    figures: list[Latency] = []

    # first visit of each screen (the Dashboard's was the start's)
    firsts: list[tuple[str, float]] = []
    for screen in SCREENS:
        if screen.title == DASHBOARD.title:
            continue
        firsts.append((screen.title, timed(app, window, lambda s=screen: window.show_area(s.title))))
        window.show_area(DASHBOARD.title)
        drawn(app, window)
    # Programs' data-entry sessions (every one ever logged) are read when their tab is first opened
    window.show_area(PROGRAMS.title)
    drawn(app, window)
    programs = window.pages[PROGRAMS.title]
    sessions_tab = timed(app, window, lambda: programs.tabs.setCurrentWidget(programs.sessions))  # type: ignore[attr-defined]
    # the long list worked in: a filter typed and applied (then cleared), sorted by kind and back by date
    sessions = programs.sessions  # type: ignore[attr-defined]
    session_filters, session_sorts = [], []
    for i in range(runs):
        sessions.filter.setText("12" if i % 2 == 0 else "")
        session_filters.append(timed(app, window, sessions.apply_filter))
    for i in range(runs):
        column, order = (1, Qt.SortOrder.AscendingOrder) if i % 2 == 0 else (0, Qt.SortOrder.DescendingOrder)
        session_sorts.append(timed(app, window, lambda c=column, o=order: sessions.table.sortByColumn(c, o)))
    programs.tabs.setCurrentIndex(0)  # type: ignore[attr-defined]
    window.show_area(DASHBOARD.title)
    drawn(app, window)
    register = window.enrollment_page
    rows, columns = register.model.rowCount(), register.model.columnCount()
    bare = Baselines(app, window.size(), rows, columns)
    switch_base = [bare.switch() for _ in range(runs)]
    table_base = [bare.table_filled() for _ in range(runs)]
    base_switch = "an empty QWidget switched to"
    base_table = f"a QTableView of {rows:,} rows filled from a list"
    window.activateWindow()
    for title, first in firsts:
        figures.append(summary(f"first opening: {title}", [first], 300, base_switch, switch_base))
    figures.append(summary(f"first opening: {PROGRAMS.title}, data-entry sessions tab", [sessions_tab], 300,
                           base_table, table_base))
    figures.append(summary("data-entry sessions filter applied", session_filters, 100, base_table, table_base))
    figures.append(summary("data-entry sessions sorted (by kind, by date)", session_sorts, 100, base_table,
                           table_base))

    # every screen again, from the Dashboard (the way a coordinator comes back to one)
    for screen in SCREENS:
        samples = []
        for _ in range(runs):
            samples.append(timed(app, window, lambda s=screen: window.show_area(s.title)))
            other = ENROLLMENT.title if screen.title == DASHBOARD.title else DASHBOARD.title
            window.show_area(other)
            drawn(app, window)
        figures.append(summary(f"switch to {screen.title}", samples, 100, base_switch, switch_base))

    # the register: a filter typed and applied, then cleared
    window.show_area(ENROLLMENT.title)
    drawn(app, window)
    filtered = []
    for i in range(runs):
        register.search.setText("12" if i % 2 == 0 else "")
        filtered.append(timed(app, window, register.apply_filters))
    figures.append(summary("register filter applied", filtered, 100, base_table, table_base))

    # a case opened (its form drawn), then saved (the form, then the register re-read and drawn)
    register.search.setText("")
    register.apply_filters()
    drawn(app, window)
    register.table.selectRow(0)
    case_id = register.selected_ids()[0]
    opened, saved = [], []
    open_form = register.open_form
    for i in range(runs):
        forms: list[Any] = []

        def open_case(forms: list[Any] = forms) -> None:
            from app.services.cases import get_case

            form = open_form(get_case(db, case_id))
            form.show()
            forms.append(form)

        start = time.perf_counter()
        open_case()
        drawn(app, forms[-1])
        opened.append((time.perf_counter() - start) * 1000)
        forms[-1].close()
        forms[-1].deleteLater()

        def typed_and_saved(record: Any = None, n: int = i) -> Any:
            form = open_form(record)
            form.note.setText(f"bench save {n}")
            form.exec = lambda: (form.save(), form.result())[1]  # Ctrl+S pressed: no modal loop offscreen
            return form

        register.open_form = typed_and_saved  # type: ignore[method-assign]
        register.table.selectRow(0)
        start = time.perf_counter()
        register.edit_case()  # the form made (timed above), then the save, the undo history and the register
        drawn(app, window)
        saved.append((time.perf_counter() - start) * 1000)
        register.open_form = open_form  # type: ignore[method-assign]
    figures.append(summary("open a case (its form drawn)", opened, 100, base_switch, switch_base))
    figures.append(summary("save a case (form to register redrawn)", saved, 100, base_table, table_base))

    # a dosimetry submission edited and saved (the list, its note and the missing list redrawn)
    window.show_area(DOSIMETRY.title)
    drawn(app, window)
    dosimetry = window.pages[DOSIMETRY.title].list  # type: ignore[attr-defined]
    dose_saves = []
    for i in range(runs):
        dosimetry.table.selectRow(0)

        def hook(form: Any, n: int = i) -> None:
            dose = form.widgets["total_dose_gy"]
            dose.setValue(dose.value() + (0.1 if n % 2 == 0 else -0.1))
            form.save()

        dosimetry.form_hook = hook
        dose_saves.append(timed(app, window, dosimetry.edit))
    dosimetry.form_hook = None
    figures.append(summary("save a dosimetry submission", dose_saves, 100, base_table, table_base))

    # the as-of date moved, on each screen that follows it
    for title in (DASHBOARD.title, FINDINGS.title):
        window.show_area(title)
        drawn(app, window)
        moved = []
        for i in range(runs):
            day = AS_OF - dt.timedelta(days=1) if i % 2 == 0 else AS_OF
            moved.append(timed(app, window, lambda d=day: window.as_of.set(d)))
        figures.append(summary(f"as-of date changed on {title}", moved, 100, base_switch, switch_base))
        # each step to a date not shown before (nothing of it kept: the window evaluates it now),
        # its first drawing and its filling in both reported
        fresh = [timed(app, window, lambda d=AS_OF - dt.timedelta(days=2 + i): window.as_of.set(d))
                 for i in range(runs)]
        figures.append(summary(f"as-of date stepped to a new date on {title}", fresh, 100, base_switch, switch_base))
        window.as_of.set(AS_OF)
        drawn(app, window)

    # the self-audit preview (built on the worker thread, then its pages drawn)
    window.show_area(REPORTS.title)
    drawn(app, window)
    reports = window.pages[REPORTS.title]
    previews = [timed(app, window, reports.make_preview) for _ in range(max(1, runs // 4))]  # type: ignore[attr-defined]
    figures.append(summary("self-audit preview", previews, 1000, base_switch, switch_base))

    window.close()
    db.dispose()
    shutil.rmtree(work.parent, ignore_errors=True)
    return figures


def print_table(figures: list[Latency], size: int | None = None) -> None:
    print(f"\n{'interaction':48} {'cases':>8} {'p50':>9} {'p95':>9} {'target':>7} {'met':>4} {'drawn p95':>10} "
          f"{'baseline':>9}  baseline")
    for f in figures:
        target = f"{f.target_ms:.0f}" if f.target_ms is not None else "-"
        met = {True: "yes", False: "NO", None: "-"}[f.met]
        base = f"{f.baseline_p50_ms:.1f}" if f.baseline_p50_ms is not None else "-"
        first = f"{f.drawn_p95_ms:.1f} ms" if f.drawn_p95_ms is not None else "-"
        print(f"{f.name:48} {f'{size:,}' if size else '-':>8} {f.p50_ms:>6.1f} ms {f.p95_ms:>6.1f} ms {target:>7} "
              f"{met:>4} {first:>10} {base:>6} ms  {f.baseline or ''}")


def as_json(figures: list[Latency]) -> list[dict[str, Any]]:
    return [{**dataclasses.asdict(f), "met": f.met} for f in figures]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.latency", description=__doc__.splitlines()[0])
    parser.add_argument("db", type=Path, help="an encrypted demo database of bench.run (signed in as its admin)")
    parser.add_argument("--runs", type=int, default=20, help="repeats of each interaction (p50, p95 over them)")
    parser.add_argument("--json", type=Path, help="write the figures here as JSON")
    args = parser.parse_args(argv)
    figures = measure(args.db, args.runs)
    print_table(figures)
    if args.json:
        args.json.write_text(json.dumps(as_json(figures), indent=2))
    sys.stdout.flush()
    os._exit(0)  # the window's threads (the change watcher) need no orderly goodbye


if __name__ == "__main__":
    raise SystemExit(main())
