"""Start the GUI (or an empty QMainWindow) offscreen, show it, and quit: timed by bench/run.py.

``--scroll --rss`` scrolls the register to the end and prints the peak RSS in MB.
"""

from __future__ import annotations

import os
import resource
import sys


def peak_rss_mb() -> float:
    """This process's own peak: VmHWM starts afresh at exec, while ru_maxrss carries over the
    peak of the process that forked us (the benchmark, after its big workbook runs)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: list[str]) -> int:
    from PySide6.QtWidgets import QApplication, QMainWindow

    app = QApplication(sys.argv[:1])
    if "--empty" in argv:
        window = QMainWindow()
        window.show()
        app.processEvents()
        os._exit(0)  # measured to "shown", like the app below
    from app.storage.database import open_database, sqlite_url
    from ui.main_window import MainWindow

    window = MainWindow(open_database(sqlite_url(argv[0])))
    window.resize(1366, 768)
    window.show()
    app.processEvents()
    if "--scroll" not in argv:
        os._exit(0)  # shown: the dashboard's evaluation goes on in the background, not timed here
    if "--scroll" in argv:
        window.show_area("Enrollment")
        app.processEvents()
        table = window.enrollment_page.table
        bar = table.verticalScrollBar()
        for fraction in (0.25, 0.5, 0.75, 1.0):
            bar.setValue(int(bar.maximum() * fraction))
            app.processEvents()
    if "--rss" in argv:
        from ui.workers import pool

        pool().waitForDone()  # the dashboard's evaluation counts toward the peak too
        print(peak_rss_mb(), flush=True)
    os._exit(0)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
