"""One evaluation per (as-of date, data version): the window's change hub keeps it, the
Dashboard, Findings and Programs read it, and a committed change makes the next read evaluate
again."""

from __future__ import annotations

import datetime as dt

import pytest

from app.services import findings, letters
from app.storage.database import Database
from tests.gui.conftest import AS_OF, open_window, settle


@pytest.fixture
def loads(monkeypatch: pytest.MonkeyPatch) -> list[dt.date]:
    """The as-of date of every full snapshot loaded (cases and all), in order."""
    seen: list[dt.date] = []
    real = findings.load_snapshot_in_force

    def counting(db, as_of, fte_year=None, *, cases=True):  # type: ignore[no-untyped-def]
        if cases:
            seen.append(as_of)
        return real(db, as_of, fte_year, cases=cases)

    monkeypatch.setattr(findings, "load_snapshot_in_force", counting)
    return seen


def show(qtbot, window, area: str):  # type: ignore[no-untyped-def]
    window.show_area(area)
    settle(qtbot)
    return window.page(area)


def test_switching_screens_at_one_date_loads_the_snapshot_once(qtbot, demo_db: Database, loads) -> None:
    window = open_window(qtbot, demo_db)
    dashboard = show(qtbot, window, "Dashboard")
    found = show(qtbot, window, "Findings")
    programs = show(qtbot, window, "Programs")
    show(qtbot, window, "Dashboard")
    show(qtbot, window, "Findings")
    assert loads.count(AS_OF) == 1
    assert dashboard.data is not None and dashboard.data.as_of == AS_OF
    assert found.result is window.hub.evaluation()  # the very evaluation the hub keeps
    assert programs.view is not None and programs.view.as_of == AS_OF

    version = window.hub.evaluations.data_version
    letters.save_letter(demo_db, AS_OF - dt.timedelta(days=40), "Evaluated again after this", True)
    settle(qtbot)
    assert window.hub.evaluations.data_version > version
    assert loads.count(AS_OF) == 2  # the Findings screen, visible, read the changed data at once
    assert any(f.rule == "QIP-CORR-NORESPONSE" for f in found.result.findings)
    show(qtbot, window, "Programs")
    show(qtbot, window, "Dashboard")
    assert loads.count(AS_OF) == 2  # the stale screens reloaded from the same new evaluation


def test_refresh_and_a_new_date_evaluate_again(qtbot, demo_db: Database, loads) -> None:
    window = open_window(qtbot, demo_db)
    show(qtbot, window, "Findings")
    assert loads.count(AS_OF) == 1
    window.hub.refresh_everything()  # View → Refresh (F5): read everything again
    settle(qtbot)
    assert loads.count(AS_OF) == 2
    earlier = AS_OF - dt.timedelta(days=31)
    window.as_of.set(earlier)
    settle(qtbot)
    show(qtbot, window, "Programs")
    assert loads.count(earlier) == 1


def test_sign_in_bookkeeping_does_not_evaluate_again(qtbot, demo_db: Database, loads) -> None:
    from app.storage.changes import DataChanged

    window = open_window(qtbot, demo_db)
    show(qtbot, window, "Findings")
    version = window.hub.evaluations.data_version
    demo_db.announce(DataChanged(frozenset({"users", "exports"})))
    settle(qtbot)
    assert window.hub.evaluations.data_version == version
    assert loads.count(AS_OF) == 1


def test_a_closed_window_shares_no_evaluation(qtbot, demo_db: Database) -> None:
    """After the window closes nothing hears of other workstations' changes: ``evaluate_at`` on its
    database evaluates afresh again, as for ``check``."""
    window = open_window(qtbot, demo_db)
    assert findings.shared_evaluations(demo_db) is window.hub.evaluations
    window.close()
    assert findings.shared_evaluations(demo_db) is None
    assert findings.evaluate_at(demo_db, AS_OF) is not findings.evaluate_at(demo_db, AS_OF)
