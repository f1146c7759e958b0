"""Run slow work off the GUI thread, one job at a time, and hand the result back on it.

Like Anki's CollectionOp: the job is a plain function over ``app`` services; ``done`` and
``failed`` run on the GUI thread. A single-thread pool serialises database jobs.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot
from PySide6.QtWidgets import QMessageBox, QProgressBar, QWidget

from app.storage.errors import NoFacility

log = logging.getLogger(__name__)
_pool: QThreadPool | None = None


def pool() -> QThreadPool:
    global _pool
    if _pool is None:
        _pool = QThreadPool()
        _pool.setMaxThreadCount(1)
    return _pool


class _Signals(QObject):
    done = Signal(object)
    failed = Signal(object)


class ProgressRelay(QObject):
    """Carries a background job's ``app.progress.Progress`` reports to the GUI thread (a queued
    signal): pass ``relay.moved.emit`` to the service, connect ``moved`` to what shows it."""

    moved = Signal(str, int, int)


def show_progress(bar: QProgressBar, done: int, in_all: int) -> None:
    """A bar that fills when the whole is known and runs (busy) while it is not."""
    if in_all > 0:
        bar.setRange(0, in_all)
        bar.setValue(min(done, in_all))
    else:
        bar.setRange(0, 0)


def progress_words(what: str, done: int, in_all: int) -> str:
    """``Writing cases: 40,000 of 200,000 rows``; ``Checking cases: 120,000 rows`` while the whole is not known."""
    if in_all > 0:
        return f"{what}: {done:,} of {in_all:,} rows"
    return f"{what}: {done:,} rows" if done else f"{what}…"


class _Job(QRunnable):
    def __init__(self, work: Callable[[], Any], signals: _Signals) -> None:
        super().__init__()
        self.work = work
        self.signals = signals

    @Slot()
    def run(self) -> None:
        try:
            result = self.work()
        except Exception as exc:  # reported to the GUI thread, which shows a dialog
            # the type and where it was raised, never the message: a message may quote a patient's
            # value (a rejected workbook cell, a constraint); the dialog shows it to the user instead
            where = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
            log.error("background job failed: %s%s", type(exc).__name__,
                      f" at {Path(where.filename).name}:{where.lineno}" if where else "")
            outcome, value = self.signals.failed, exc
        else:
            outcome, value = self.signals.done, result
        # a failure's traceback holds this frame, and so this job: let go of the work (its closures,
        # the page that asked) and the signals now, not when the collector finds that cycle
        self.work = self.signals = None  # type: ignore[assignment]
        try:
            outcome.emit(value)
        except RuntimeError:  # the window closed while the job ran: nobody is left to tell
            log.info("background job finished after its window closed")


_live: set[_Signals] = set()


def _let_go(signals: _Signals) -> None:
    """A job has reported: its signals object goes. Its connections hold ``finish`` and ``fail``,
    which hold it (and the page that asked): a cycle through Qt that Python's collector cannot
    see, so without ``deleteLater`` every job kept its page, and a replaced window all of its own."""
    _live.discard(signals)
    signals.deleteLater()


def pending() -> int:
    """Jobs queued, running, or whose result has not reached the GUI thread yet: none once every
    screen has what it asked for (a result may queue the next job, as the Dashboard's chart queues
    its readiness tile's). What the tests and the benchmark wait on."""
    return len(_live)


def show_failure(parent: QWidget | None, exc: Exception) -> None:
    """What failed, in plain words, and what to do; the details are in the log (never a patient value)."""
    lines = str(exc).strip().splitlines()
    reason = (lines[0].rstrip(".") if lines else "") or type(exc).__name__
    QMessageBox.warning(parent, "That did not work",
                        f"{reason}.\n\nNothing was changed by it. Try again (View → Refresh, F5); if it keeps "
                        "happening, tell whoever supports MROQC Facility Desk: the details are in the log file "
                        "in the data folder.")


def run_in_background(
    work: Callable[[], Any], done: Callable[[Any], None], failed: Callable[[Exception], None] | None = None,
    owner: QObject | None = None,
) -> None:
    """Run ``work`` off the GUI thread; ``done``/``failed`` run on it unless their page is gone.

    Without ``failed``, a failure is never silent: the owner's ``stop_busy()`` (if it has one)
    stops its spinner and a dialog says what failed and what to do (``show_failure``)."""
    signals = _Signals()
    _live.add(signals)  # keep the QObject alive until the job reports
    owner = owner if owner is not None else getattr(done, "__self__", None)

    def alive() -> bool:
        return owner is None or not isinstance(owner, QObject) or shiboken6.isValid(owner)

    def finish(result: Any) -> None:
        _let_go(signals)
        if alive():
            done(result)

    def fail(exc: Exception) -> None:
        _let_go(signals)
        if not alive():
            return
        if failed is not None:
            failed(exc)
            return
        stop = getattr(owner, "stop_busy", None)
        if callable(stop):
            stop()
        if isinstance(exc, NoFacility):  # a new, empty database: the screen says so, nothing failed
            empty = getattr(owner, "show_no_facility", None)
            if callable(empty):
                empty(str(exc))
            return
        show_failure(owner if isinstance(owner, QWidget) else None, exc)

    signals.done.connect(finish)
    signals.failed.connect(fail)
    pool().start(_Job(work, signals))
