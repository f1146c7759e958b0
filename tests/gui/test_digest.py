"""The digest bar: shown on opening with what is due, dismissed (remembered per user), shown
again the next day with only what became due since."""

from __future__ import annotations

import datetime as dt

from app.domain.permissions import Permission
from app.services.digest import last_digest_at
from app.storage.models import Correspondence
from tests.gui.conftest import settle
from ui.main_window import MainWindow


def test_digest_on_opening_dismiss_and_the_next_day(qtbot, db, monkeypatch) -> None:
    from tests.unit.test_findings_service import seed

    seed(db)
    with db.transaction(Permission.LETTERS) as s:
        s.add_all([Correspondence(received_on=dt.date(2025, 6, 1), subject="Data agreement", reply_required=True),
                   Correspondence(received_on=dt.date(2025, 6, 25), subject="Site visit dates", reply_required=True)])
    now = [dt.datetime(2025, 6, 30, 8, 30)]
    monkeypatch.setattr(MainWindow, "clock", staticmethod(lambda: now[0]))
    window = MainWindow(db)
    qtbot.addWidget(window)
    window.show()
    settle(qtbot)
    bar = window.digest
    qtbot.waitUntil(lambda: bar.isVisible(), timeout=10000)
    assert bar.title.text().startswith("<b>What is due:")
    assert "Reply overdue since 2025-06-15: Data agreement" in bar.body.text()
    assert "Site visit dates" not in bar.body.text()        # due July 9: more than a week ahead
    bar.dismiss_button.click()
    assert not bar.isVisible() and last_digest_at(db) == now[0]
    # later the same day: nothing new, no digest
    now[0] = dt.datetime(2025, 6, 30, 15, 0)
    bar.check_new_day()
    settle(qtbot)
    assert not bar.isVisible()
    # the next week: the second letter came due within the week; the first is old news
    now[0] = dt.datetime(2025, 7, 3, 8, 0)
    bar.check_new_day()
    settle(qtbot)
    qtbot.waitUntil(lambda: bar.isVisible(), timeout=10000)
    from zoneinfo import ZoneInfo  # issue 25: the time in the facility's zone, with its name

    seen = dt.datetime(2025, 6, 30, 8, 30).astimezone().astimezone(ZoneInfo("America/Detroit"))
    assert f"Since you last looked ({seen:%Y-%m-%d %H:%M} {seen.tzname()})" in bar.title.text()
    assert seen.tzname() in ("EDT", "EST")
    assert "Reply due 2025-07-09: Site visit dates" in bar.body.text() and "Data agreement" not in bar.body.text()
