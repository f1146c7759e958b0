"""Cycles are collected on the GUI thread only (``ui.collector``): a background job that allocates
enough to trigger Python's collector must not collect there, where a closed window's widgets would
be destroyed off the GUI thread (a segmentation fault seen in this suite); the GUI thread's timer
collects them instead, generation by generation as Python's thresholds say."""

from __future__ import annotations

import gc
import threading

from ui.application import make_app
from ui.collector import GuiThreadCollector, collect_on_gui_thread
from ui.workers import pool, run_in_background


def _cycles(count: int) -> None:
    for _ in range(count):
        a: list = []
        a.append(a)  # garbage only the cycle collector frees


def test_the_app_collects_on_its_own_thread_and_a_busy_job_never_collects(qtbot) -> None:
    app = make_app(version=False)
    collector = collect_on_gui_thread(app)
    assert isinstance(collector, GuiThreadCollector) and collector.parent() is app
    assert collect_on_gui_thread(app) is collector  # one per application
    assert not gc.isenabled()

    where: list[int] = []

    def note(phase: str, _info: dict) -> None:
        if phase == "start":
            where.append(threading.get_ident())

    gc.callbacks.append(note)
    try:
        done: list[bool] = []
        # a job allocating far past every threshold, as the data-quality pass or an import does
        run_in_background(lambda: _cycles(200_000), done.append)
        pool().waitForDone(60_000)
        qtbot.waitUntil(lambda: bool(done), timeout=10_000)
        assert where == []  # nothing was collected in the job's thread (nor anywhere yet)
        qtbot.waitUntil(lambda: len(where) > 0, timeout=5_000)  # the GUI thread's timer collects
        assert set(where) == {threading.get_ident()}
    finally:
        gc.callbacks.remove(note)
