"""The Dashboard shows the amber *close* tile with its forecast and the next dates that fire."""

from __future__ import annotations

import datetime as dt

from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QLabel

from tests.gui.conftest import settle
from ui.as_of import AsOf
from ui.dashboard import STATUS_COLOURS, STATUS_WORDS, DashboardPage, TileWidget, is_dark


def test_close_tile_is_amber_with_its_forecast_and_the_next_dates_are_listed(qtbot, db) -> None:
    from tests.unit.test_findings_service import seed

    seed(db)
    page = DashboardPage(db, AsOf(dt.date(2025, 1, 26)))
    qtbot.addWidget(page)
    settle(qtbot)
    qtbot.waitUntil(lambda: page.data is not None, timeout=10000)
    tile = page.findChild(TileWidget, "tile-QIP-ENR-ZERO")
    assert tile.status == "close"
    texts = [w.text() for w in tile.findChildren(QLabel)]
    assert "◐ Close" in texts
    state = next(w for w in tile.findChildren(QLabel) if w.text() == "◐ Close")
    amber = STATUS_COLOURS["close"][1 if is_dark(state.palette()) else 0]
    assert state.palette().color(QPalette.ColorRole.WindowText).name() == amber
    assert tile.findChild(QLabel, "forecast").text() == \
        "<small><i>Breast: day 25 of 30 — fires on 2025-01-31 without an enrollment.</i></small>"
    items = [page.upcoming.item(i).text() for i in range(page.upcoming.count())]
    assert 1 <= len(items) <= 5 and items[0].startswith("2025-01-31: Breast: day 25 of 30")
    assert [i[:10] for i in items] == sorted({i[:10] for i in items})
    lag = page.findChild(TileWidget, "tile-QIP-DATA-LAG")
    assert lag.status == "triggered"   # no data entry since joining in 2019: not merely close


def test_under_us_dates_the_forecasts_and_the_next_dates_are_us_dates_too(qtbot, db) -> None:
    """The rules word their forecasts with ISO dates; the screen shows them as the facility chose."""
    from sqlalchemy import select

    from app.domain.permissions import Permission
    from app.storage.models import Facility
    from tests.unit.test_findings_service import seed
    from ui.date_field import use_date_format

    seed(db)
    with db.transaction(Permission.FACILITY) as session:
        session.scalars(select(Facility)).one().date_format = "us"
    use_date_format("us")
    try:
        page = DashboardPage(db, AsOf(dt.date(2025, 1, 26)))
        qtbot.addWidget(page)
        settle(qtbot)
        qtbot.waitUntil(lambda: page.data is not None, timeout=10000)
        tile = page.findChild(TileWidget, "tile-QIP-ENR-ZERO")
        assert tile.findChild(QLabel, "forecast").text() == \
            "<small><i>Breast: day 25 of 30 — fires on 01/31/2025 without an enrollment.</i></small>"
        items = [page.upcoming.item(i).text() for i in range(page.upcoming.count())]
        assert items[0].startswith("01/31/2025: Breast: day 25 of 30 — fires on 01/31/2025")
        assert "as of 01/26/2025" in page.heading.text() and "2025-01" not in page.heading.text()
    finally:
        use_date_format("iso")


def test_a_step_of_the_as_of_date_keeps_the_tiles_that_say_the_same(qtbot, demo_db) -> None:  # type: ignore[no-untyped-def]
    """Issue 28: no tile is built again for a step of the date: one whose words did not change is left
    as it is; one that changed says its new words in place (its labels show them)."""
    from PySide6.QtWidgets import QLabel

    from tests.gui.conftest import AS_OF, open_window

    window = open_window(qtbot, demo_db)
    page = window.page("Dashboard")
    before = {w.rule: (w, w.text) for w in page.tile_widgets}
    window.as_of.set(AS_OF - dt.timedelta(days=1))
    settle(qtbot)
    after = {w.rule: (w, w.text) for w in page.tile_widgets}
    assert after.keys() == before.keys()
    same = [rule for rule in after if after[rule][1] == before[rule][1]]
    changed = [rule for rule in after if after[rule][1] != before[rule][1]]
    assert same and changed  # a day moves some figures (days without enrollment), not all
    assert all(after[rule][0] is before[rule][0] for rule in after)
    for rule in changed:
        widget, text = after[rule]
        shown = [label.text() for label in widget.findChildren(QLabel)]
        assert any(text.figure.split("  ")[0].replace(" ", "\u00a0") in line or text.figure in line for line in shown)
        assert f"{STATUS_WORDS[text.status]}" in " ".join(shown) and widget.status == text.status
    assert [w.rule for w in page.board.tiles] == [w.rule for w in page.tile_widgets]


def test_a_tile_saying_new_words_shows_only_them(qtbot) -> None:  # type: ignore[no-untyped-def]
    """A tile said again in place (a step of the date) keeps nothing of what it said before: the
    forecast goes when there is none, the state's colour and weight follow the new state."""
    from PySide6.QtWidgets import QLabel

    from app.services.dashboard_words import TileText

    red = TileText("QIP-ENR-ZERO", "Days without enrollment", "triggered", "Breast: 41", "detail",
                   "Breast: day 41 of 30 — fired on 2025-01-31", "enrollments")
    clear = TileText("QIP-ENR-ZERO", "Days without enrollment", "clear", "Breast: 2", "detail", "", "enrollments")
    tile = TileWidget(red)
    qtbot.addWidget(tile)
    tile.show()
    state = tile.state
    assert tile.forecast.isVisible() and state.font().bold()
    assert state.palette().color(QPalette.ColorRole.WindowText).name() == \
        STATUS_COLOURS["triggered"][1 if is_dark(state.palette()) else 0]
    tile.say(clear)
    texts = [w.text() for w in tile.findChildren(QLabel) if w.isVisible()]
    assert "Breast: 2" in texts and not any("41" in t for t in texts)
    assert not tile.forecast.isVisible() and not state.font().bold() and tile.status == "clear"
    assert state.palette().color(QPalette.ColorRole.WindowText) == tile.palette().color(QPalette.ColorRole.WindowText)
    tile.say(red)
    assert tile.forecast.isVisible() and "day 41" in tile.forecast.text() and tile.text == red


def test_back_to_a_date_seen_before_the_readiness_tile_comes_with_the_others(qtbot, demo_db, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Issue 28: the window keeps each date's data-quality report, so the Dashboard stepping back to
    a date it showed says that date's readiness at once, not "checking the data…" while a second job
    asks for it (that flash was most of an as-of step's time)."""
    import ui.dashboard as dashboard
    from tests.gui.conftest import AS_OF, open_window

    window = open_window(qtbot, demo_db)
    page = window.page("Dashboard")
    first = page.tile_widgets[0].text
    assert first.status != "checking"
    window.as_of.set(AS_OF - dt.timedelta(days=1))
    settle(qtbot)
    said: list[str] = []
    asked: list[dt.date] = []
    say = dashboard.TileWidget.say
    monkeypatch.setattr(dashboard.TileWidget, "say",
                        lambda self, tile: (said.append(tile.status) if tile.rule == first.rule else None, say(self, tile))[1])
    readiness = dashboard.readiness_tile
    monkeypatch.setattr(dashboard, "readiness_tile", lambda db, day: (asked.append(day), readiness(db, day))[1])
    window.as_of.set(AS_OF)
    settle(qtbot)
    assert "checking" not in said and asked == []
    assert page.tile_widgets[0].text == first
    window.as_of.set(AS_OF + dt.timedelta(days=3))  # a date not seen yet: checked apart, as before
    settle(qtbot)
    assert "checking" in said and asked == [AS_OF + dt.timedelta(days=3)]
    assert page.tile_widgets[0].status != "checking"
