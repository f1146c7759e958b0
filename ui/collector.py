"""Python's cycle collector, run on the GUI thread only.

CPython collects cycles in whichever thread happens to allocate past the threshold. When that is
the background job's thread (``ui.workers``: an evaluation, the data-quality pass) and the garbage
holds Qt objects (a closed dialog's widgets, a screen built and replaced), Qt destroys widgets off
the GUI thread and the process dies ("Fatal Python error: Segmentation fault … Garbage-collecting"
in the job's thread, seen in the test suite while a screen was built). The usual cure of PyQt and
PySide applications (Anki's ``disable_automatic_garbage_collection``, OpenCue's
``GarbageCollector``): automatic collection off, and a timer on the GUI thread that collects each
generation when its count passes the thresholds Python itself would have used, so memory behaves
as before and no collection runs elsewhere.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

#: How often the GUI thread looks at the allocation counts (a look costs next to nothing).
INTERVAL_MS = 500
#: The collector's object name, by which ``collect_on_gui_thread`` finds the one it made.
NAME = "gui-thread-collector"


class GuiThreadCollector(QObject):
    """Turns automatic collection off while it lives; ``check`` collects as the thresholds say."""

    def __init__(self, parent: QObject) -> None:
        super().__init__(parent)
        self.setObjectName(NAME)
        self.thresholds = gc.get_threshold()
        self.was_enabled = gc.isenabled()
        gc.disable()
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.check)
        self.timer.start(INTERVAL_MS)

    def check(self) -> None:
        """Each generation collected when its count passed its threshold, youngest first."""
        first, second, third = gc.get_count()
        if first > self.thresholds[0]:
            gc.collect(0)
            if second > self.thresholds[1]:
                gc.collect(1)
                if third > self.thresholds[2]:
                    gc.collect(2)

    def stop(self) -> None:
        """Automatic collection back as it was (for a test process that goes on without Qt)."""
        self.timer.stop()
        if self.was_enabled:
            gc.enable()


def collect_on_gui_thread(app: QObject) -> GuiThreadCollector:
    """The application's collector, made once (a second call returns the first)."""
    # looked for by its name: without one, PySide gave each of the application's children (its
    # style among them) a Python type to compare, ~8 ms of building enums before the window shows
    existing = app.findChild(GuiThreadCollector, NAME)
    return existing if existing is not None else GuiThreadCollector(app)
