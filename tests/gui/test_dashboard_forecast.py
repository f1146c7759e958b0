"""The Dashboard shows the amber *close* tile with its forecast and the next dates that fire."""

from __future__ import annotations

import datetime as dt

from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QLabel

from tests.gui.conftest import settle
from ui.as_of import AsOf
from ui.dashboard import STATUS_COLOURS, DashboardPage, TileWidget, is_dark


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
