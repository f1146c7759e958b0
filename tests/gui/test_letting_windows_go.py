"""What the window lets go of: a replaced window (File → Open, a restore, a re-key) and a finished
background job free what they held. Each was kept before, by a cycle through Qt that Python's
collector cannot see: a job's signals object held the functions that held it and the page that
asked; the as-of date (parentless) held the functions connected to it, which held the screens."""

from __future__ import annotations

import gc
import weakref
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QEvent
from PySide6.QtWidgets import QWidget

from tests.gui.conftest import settle
from tests.support import reopen
from ui import workers
from ui.application import Session


def _let_deferred_deletes_run(qtbot) -> None:  # type: ignore[no-untyped-def]
    for _ in range(3):
        settle(qtbot)
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete.value)
    gc.unfreeze()  # the window keeps its screens out of the collector's way (MainWindow.page)
    gc.collect()


def test_a_replaced_window_is_let_go_with_its_screens(qtbot, demo_file: Path) -> None:
    session = Session()
    try:
        first = session.show(reopen(demo_file))
        for area in ("Dashboard", "Enrollment", "Settings"):
            first.show_area(area)
            settle(qtbot)
        window, pages = weakref.ref(first), [weakref.ref(page) for page in first.pages.values()]
        del first
        second = session.show(reopen(demo_file))  # File → Open of the same file
        _let_deferred_deletes_run(qtbot)
        assert window() is None, "the replaced window is still held"
        assert [page() for page in pages] == [None] * len(pages)
        assert session.window is second and second.isVisible()
    finally:
        session.close()


def test_a_finished_job_holds_nothing(qtbot, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    made: weakref.WeakSet = weakref.WeakSet()

    class Recorded(workers._Signals):
        def __init__(self) -> None:
            super().__init__()
            made.add(self)

    monkeypatch.setattr(workers, "_Signals", Recorded)  # this test's jobs' signals, not another window's
    page = QWidget()
    results: list[int] = []
    held = weakref.ref(page)
    for n in range(5):
        workers.run_in_background(lambda n=n: n * 2, results.append, owner=page)
    workers.run_in_background(lambda: 1 / 0, results.append, failed=lambda _exc: results.append(-1), owner=page)
    qtbot.waitUntil(lambda: len(results) == 6, timeout=10_000)
    assert sorted(results) == [-1, 0, 2, 4, 6, 8]
    # the last result can reach this thread before the pool's thread has returned from the job's run()
    # and freed it (CI saw that once): a job is finished when its thread is done with it
    assert workers.pool().waitForDone(10_000)
    page.deleteLater()
    del page
    _let_deferred_deletes_run(qtbot)
    assert len(made) == 0, "a finished job's signals object is still alive"
    assert held() is None, "a finished job still holds the page that asked"
