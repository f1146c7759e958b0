"""Start the GUI (or an empty QMainWindow) offscreen, show it, and quit: timed by bench/run.py.

The GUI starts the way ``mroqc-desk`` does (``ui.application.Session.show_opening``: the window
first, the database opened right after) and quits

* by default when the window is on screen, painted with its areas, before the database opens;
* with ``--drawn`` when the database is open and the first page drawn with its figures (the
  Dashboard's tiles, chart and lists, and the reminder digest): its readiness tile, the whole
  register's data-quality pass, may still say it is being checked;
* with ``--filled`` once every tile is filled in too, nothing left on the worker thread (what the
  user waits for in all);
* with ``--scroll --rss`` after scrolling the register to the end, printing the peak RSS in MB;
* with ``--dialog`` (no user named) when the sign-in dialog is on screen, as a person starting the
  app without ``--password-stdin`` first sees it;
* with ``--dialog`` and a user named when the first page is filled, after that user typed the
  password into the dialog and pressed Sign in. Typing takes the time the dialog's preload takes
  (what it loads while a person types), up to 2 s: a password takes longer than that to type.

The waits run the event loop as the window does (``wait_until``): never blocked on the worker
thread, so the page is drawn when a person would see it drawn.

With ``--filled --timings`` or ``--dialog --timings`` it prints, as one JSON line, how long from
the password entered (the sign-in called, or Sign in pressed) to the first page drawn and to every
tile filled, and how much of that was the Argon2id derivation.

The last argument then names who signs in; the password comes on standard input, as
``mroqc-desk --db FILE --user NAME --password-stdin`` takes it (the window then skips the dialog).
"""

from __future__ import annotations

import os
import resource
import sys


def vm_hwm_mb(pid: int | str = "self") -> float | None:
    """A process's peak resident memory since its ``exec`` (``VmHWM``); None where ``/proc`` has no
    such line (another system, or a process that has exited)."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def peak_rss_mb() -> float:
    """This process's own peak: VmHWM starts afresh at exec, while ru_maxrss carries over the
    peak of the process that forked us (the benchmark, after its big workbook runs)."""
    own = vm_hwm_mb()
    return own if own is not None else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def settle(app) -> None:  # type: ignore[no-untyped-def]
    """Let background jobs (the dashboard's evaluation) finish and their results reach the widgets."""
    from ui.workers import pool

    for _ in range(3):
        pool().waitForDone()
        app.processEvents()


#: When the password was entered (the sign-in called) and the Argon2id derivations' time since
#: (``--timings``): perf_counter seconds.
TIMES: dict[str, float] = {"derive": 0.0}


def count_derivations() -> None:
    """Time every Argon2id derivation (the key file's ``derive_key``): reported apart, a security cost."""
    import time

    from app.security import keyfile

    derive = keyfile.derive_key

    def timed(*args, **kwargs):  # type: ignore[no-untyped-def]
        start = time.perf_counter()
        try:
            return derive(*args, **kwargs)
        finally:
            TIMES["derive"] += time.perf_counter() - start

    keyfile.derive_key = timed  # type: ignore[assignment]


def wait_until(app, done) -> None:  # type: ignore[no-untyped-def]
    """Run the event loop, as the window does, until ``done()`` (at most ``WAIT_S``): the GUI thread
    idles between events, never blocked on the worker (``settle``) nor spinning beside it, so a
    result is delivered, and a page drawn, when it would be for a person. A 2 ms tick wakes it to
    look, as the worker's last job ending posts no event of its own."""
    import time

    from PySide6.QtCore import QEventLoop, QTimer

    tick = QTimer()
    tick.start(2)
    deadline = time.perf_counter() + WAIT_S
    while not done() and time.perf_counter() < deadline:
        app.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents)
    tick.stop()


#: The longest ``wait_until`` waits (a page that never fills in: the figure is then this long).
WAIT_S = 60


def first_drawn(window) -> bool:  # type: ignore[no-untyped-def]
    """The first page is drawn with its figures, a tile still filling in allowed (the Dashboard's
    readiness tile: ``DashboardPage.first_drawn``), and the reminder digest above it checked."""
    page = window.stack.currentWidget()
    digest = window.digest
    return bool(getattr(page, "first_drawn", True)) and (digest is None or digest.digest is not None)


def every_tile_filled(window) -> bool:  # type: ignore[no-untyped-def]
    """The first page drawn, every tile filled in (the readiness tile's verdict shown), and no job
    left on the worker thread."""
    from ui.workers import pending

    page = window.stack.currentWidget()
    data = getattr(page, "data", None)
    filled = data is None or getattr(page, "readiness_day", data.as_of) == data.as_of
    return first_drawn(window) and filled and not pending()


def after_ready(app, window, argv: list[str]) -> None:  # type: ignore[no-untyped-def]
    """The first page is built: wait until it is drawn and then filled in (``--timings``: both
    times, from the password entered), then scroll and measure if asked."""
    import json
    import time

    wait_until(app, lambda: first_drawn(window))
    window.repaint()  # drawn with its figures, the readiness tile saying it is being checked
    drawn = time.perf_counter()
    if "--drawn" in argv:
        os._exit(0)
    wait_until(app, lambda: every_tile_filled(window))
    window.repaint()  # every tile filled in
    filled = time.perf_counter()
    if "--timings" in argv:
        print(json.dumps({"password_to_drawn_ms": (drawn - TIMES["entered"]) * 1000,
                          "password_to_filled_ms": (filled - TIMES["entered"]) * 1000,
                          "derive_ms": TIMES["derive"] * 1000}), flush=True)
    settle(app)  # anything else the start left (none is known): before the scroll and the peak RSS
    if "--scroll" in argv:
        window.show_area("Enrollment")
        app.processEvents()
        bar = window.enrollment_page.table.verticalScrollBar()
        for fraction in (0.25, 0.5, 0.75, 1.0):
            bar.setValue(int(bar.maximum() * fraction))
            app.processEvents()
    if "--rss" in argv:
        settle(app)
        print(peak_rss_mb(), flush=True)
    os._exit(0)


def cannot_open(_parent, title: str, text: str) -> None:  # type: ignore[no-untyped-def]
    """Replaces the modal dialog, which would wait forever offscreen: say why and stop."""
    print(f"{title}: {text}", file=sys.stderr, flush=True)
    os._exit(2)


def main(argv: list[str]) -> int:
    if "--empty" in argv:
        from PySide6.QtWidgets import QApplication, QMainWindow

        app = QApplication(sys.argv[:1])
        window = QMainWindow()
        window.show()
        app.processEvents()
        os._exit(0)  # measured to "shown", like the app below
    from PySide6.QtWidgets import QMessageBox

    from app.paths import sqlite_url
    from ui.application import Session, make_app

    app = make_app(version=False)  # as run_gui does
    QMessageBox.critical = cannot_open  # type: ignore[method-assign]
    session = Session()
    user = argv[-1] if len(argv) > 1 and not argv[-1].startswith("--") else None
    password = sys.stdin.readline().rstrip("\n") if user else ""

    def sign_in(url: str):  # type: ignore[no-untyped-def]
        import time

        TIMES["entered"] = time.perf_counter()  # as if the dialog's Sign in were pressed now
        from app.security.signin import (
            sign_in as open_signed_in,  # SQLAlchemy loads once the window shows
        )

        if "--timings" in argv:
            count_derivations()
        return open_signed_in(url, user or "", password)

    if "--dialog" in argv:
        from ui.sign_in import SignInDialog

        def on_screen(dialog: SignInDialog) -> int:  # the modal dialog would wait for a person
            import time

            dialog.show()
            app.processEvents()
            dialog.repaint()
            if not user:
                os._exit(0)
            # the person types their password: what the dialog loads meanwhile (its preload) is
            # given the time it takes, up to 2 s (typing a password takes longer than that)
            typing = time.perf_counter() + 2
            while not getattr(dialog, "preloaded", True) and time.perf_counter() < typing:
                app.processEvents()
            dialog.user.setText(user)
            dialog.password.setText(password)
            if "--timings" in argv:
                count_derivations()
            TIMES["entered"] = time.perf_counter()  # Sign in pressed
            dialog.try_sign_in()
            return int(dialog.db is not None)

        SignInDialog.exec = on_screen  # type: ignore[assignment]
        window = session.show_opening(sqlite_url(argv[0]))  # no password given: the dialog asks
        window.resize(1366, 768)
        window.ready.connect(lambda: after_ready(app, window, argv))
        app.exec()
        return 0

    window = session.show_opening(sqlite_url(argv[0]), sign_in=sign_in)  # as run_gui does
    window.resize(1366, 768)
    if "--filled" in argv or "--drawn" in argv or "--scroll" in argv or "--rss" in argv:
        window.ready.connect(lambda: after_ready(app, window, argv))
    else:
        window.on_screen.connect(lambda: os._exit(0))  # shown: the database opens after this
    app.exec()  # the deferred open needs the event loop; every path above ends the process
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
