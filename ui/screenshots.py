"""``mroqc-desk screenshot``: render every main screen offscreen and save one PNG per screen."""

from __future__ import annotations

import datetime as dt
import gc
import re
from pathlib import Path

from app.storage.database import Database
from ui.application import make_app
from ui.workers import pool

SIZE = (1366, 768)


def settle(app) -> None:  # type: ignore[no-untyped-def]
    """Let background jobs finish and their results reach the widgets."""
    for _ in range(3):
        pool().waitForDone(30000)
        app.processEvents()


def save_all(db: Database, out: Path, as_of: dt.date | None = None) -> list[Path]:
    """Every screen of the signed-in ``db`` as PNG files in ``out`` (disposes ``db``)."""
    app = make_app()
    from ui.main_window import AREAS, MainWindow

    out.mkdir(parents=True, exist_ok=True)
    clock = MainWindow.clock
    if as_of is not None:  # the reminders as they would read that morning, not at today's date
        MainWindow.clock = staticmethod(lambda: dt.datetime.combine(as_of, dt.time(9, 0)))  # type: ignore[assignment]
    try:
        window = MainWindow(db)
    finally:
        MainWindow.clock = clock  # type: ignore[method-assign]
    room = window.screen().availableGeometry() if window.screen() is not None else None
    # as a person would see it: never larger than the screen (1280×720 at 150 % is 853×480)
    window.resize(min(SIZE[0], room.width()) if room else SIZE[0], min(SIZE[1], room.height()) if room else SIZE[1])
    if as_of is not None:
        window.as_of.set(as_of)
    window.show()
    saved = []
    for number, (name, _) in enumerate(AREAS, start=1):
        window.show_area(name)
        settle(app)
        if name not in window.pages:  # the page failed to build: a placeholder must not pass as a screenshot
            raise RuntimeError(f"the {name} screen could not be built (see the log)")
        path = out / f"{number:02d}-{re.sub(r'[^a-z0-9]+', '-', name.lower()).strip('-')}.png"
        window.grab().save(str(path))
        saved.append(path)
    db = window.db
    window.close()
    window.deleteLater()  # tear the widgets down while Qt is alive, not at interpreter exit
    settle(app)
    app.sendPostedEvents(None, 0)
    del window
    gc.collect()
    db.dispose()
    return saved
