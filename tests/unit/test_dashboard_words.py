"""The Dashboard as values (``build_dashboard``: dates, numbers, ``TileStatus``) and in words
(``dashboard_words``: every date as the facility chose, forecasts and the policy included); a tile
declared by a rule's spec reaches the Dashboard with no other change."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from app.domain.dates import dates_in
from app.domain.permissions import Permission
from app.rules.forecast import Forecast
from app.rules.spec import Count, JoinsOn, NoFigure, OutOf, PerSubject, TileSpec, Vacant, Versus
from app.services.dashboard import (
    NextMeeting,
    ReplyOverdue,
    TileStatus,
    Upcoming,
    build_dashboard,
    rule_tile,
)
from app.services.dashboard_words import dashboard_words, figure_words, tile_words
from app.services.findings import evaluate_at
from app.services.letters import save_letter
from app.services.meetings import save_meeting
from app.storage.models import Facility
from tests.unit.test_findings_service import seed

D = dt.date
ISO = re.compile(r"\b\d{4}-\d\d-\d\d\b")
US = re.compile(r"\b\d\d/\d\d/\d{4}\b")


@pytest.mark.parametrize(("figure", "iso", "us"), [
    (Count(3), "3", "3"),
    (OutOf(2, 150), "2 of 150", "2 of 150"),
    (Versus(12, 15), "12 vs 15", "12 vs 15"),
    (PerSubject((("breast", 0), ("bone_mets", 4))), "Breast: 0  Bone metastases: 4", "Breast: 0  Bone metastases: 4"),
    (PerSubject((("clinical_champion", 1), ("physics_lead", 0), ("cda", 2))), "Champion: 1  Physics: 0  CDA: 2",
     "Champion: 1  Physics: 0  CDA: 2"),
    (Vacant(()), "all held", "all held"),
    (Vacant(("physics_lead", "cda")), "vacant: Physics lead,  Clinical data abstractor",
     "vacant: Physics lead,  Clinical data abstractor"),
    (JoinsOn(D(2025, 3, 1)), "not a member yet (joins 2025-03-01)", "not a member yet (joins 03/01/2025)"),
    (NoFigure("no active project"), "no active project", "no active project"),
])
def test_each_figure_reads_as_the_tile_shows_it(figure, iso, us) -> None:  # type: ignore[no-untyped-def]
    assert figure_words(figure, "iso") == iso and figure_words(figure, "us") == us


def test_the_dashboard_is_values_not_words(db) -> None:  # type: ignore[no-untyped-def]
    seed(db)
    save_meeting(db, "M-NEXT", D(2025, 7, 14), "in_person", "Consortium meeting")
    save_letter(db, D(2025, 5, 1), "Data request", True)
    data = build_dashboard(db, D(2025, 6, 30))
    assert all(isinstance(t.status, TileStatus) for t in data.tiles)
    zero = next(t for t in data.tiles if t.rule == "QIP-ENR-ZERO")
    assert isinstance(zero.figure, PerSubject) and dict(zero.figure.values)["lung"] == 88  # since April 3
    assert data.next_meeting == NextMeeting(D(2025, 7, 14), "in_person", "Consortium meeting", (
        ("clinical_champion", ("Dr. C",)), ("physics_lead", ("P L",)), ("cda", ("C D",))))
    assert ReplyOverdue("Data request", D(2025, 5, 1)) in data.due
    assert data.upcoming and all(isinstance(u, Upcoming) and isinstance(u.fires_on, dt.date)
                                 and all(isinstance(f, Forecast) for f in u.forecasts) for u in data.upcoming)


def facility_format(db, style: str) -> None:  # type: ignore[no-untyped-def]
    with db.transaction(Permission.FACILITY) as session:
        session.scalars(select(Facility)).one().date_format = style


def test_a_facility_that_chose_us_dates_reads_no_iso_date_on_the_dashboard(db) -> None:  # type: ignore[no-untyped-def]
    """Forecasts and the policy statement come from the rules in ISO; the Dashboard words them as
    the facility chose, like the next meeting and what is due."""
    seed(db)
    save_meeting(db, "M-NEXT", D(2025, 2, 10), "in_person", "Consortium meeting")
    save_letter(db, D(2024, 12, 1), "Data request", True)
    as_of = D(2025, 1, 26)   # QIP-ENR-ZERO is close: its tile forecasts January 31
    iso = dashboard_words(build_dashboard(db, as_of))
    facility_format(db, "us")
    us = dashboard_words(build_dashboard(db, as_of))
    texts = [us.as_of_text, us.policy_statement, us.next_meeting, *us.due, *(u.text for u in us.upcoming),
             *(t.figure for t in us.tiles), *(t.forecast for t in us.tiles), *(t.detail for t in us.tiles)]
    assert not [t for t in texts if ISO.search(t)]
    zero = next(t for t in us.tiles if t.rule == "QIP-ENR-ZERO")
    assert zero.status == "close" and zero.forecast == "Breast: day 25 of 30 — fires on 01/31/2025 without an enrollment."
    assert us.upcoming[0].text.startswith("01/31/2025: Breast: day 25 of 30 — fires on 01/31/2025")
    assert US.search(us.policy_statement) and US.match(us.next_meeting) and US.search(us.due[-1])
    # the same words otherwise
    assert [dates_in(t.forecast, "us") for t in iso.tiles] == [t.forecast for t in us.tiles]
    assert [dates_in(u.text, "us") for u in iso.upcoming] == [u.text for u in us.upcoming]


def test_a_tile_declared_by_a_rule_spec_reaches_the_dashboard(db) -> None:  # type: ignore[no-untyped-def]
    """A new tile is one ``TileSpec`` in its rule's spec: its state comes from the rule's findings
    and forecasts, its figure and sentence from the spec."""
    seed(db)
    evaluation = evaluate_at(db, D(2025, 6, 30))
    spec = TileSpec("QIP-DATA-LAG", "Days of data entry to catch up",
                    lambda e: OutOf(e.measures["QIP-DATA-LAG"][0].value, e.policy.lag_days),
                    lambda e: f"the limit is {e.policy.lag_days} days")
    tile = rule_tile(evaluation, spec)
    assert tile is not None and tile.rule == "QIP-DATA-LAG" and tile.status == TileStatus.CLOSE  # fires in 2 days
    text = tile_words(tile, "iso")
    assert (text.title, text.figure, text.detail) == ("Days of data entry to catch up", "29 of 30", "the limit is 30 days")
    assert text.forecast == "Data entry: 29 of 30 days — fires on 2025-07-02 without data entry."
    assert rule_tile(evaluation, TileSpec("QIP-DATA-LAG", "None today", lambda e: None, lambda e: "")) is None


def test_a_due_step_names_its_rule_by_title_then_code() -> None:
    """Issue 25: rule codes first in messages; the plain title first, the code in brackets."""
    import datetime as dt

    from app.rules.engine import ENTRIES
    from app.services.dashboard import StepDue
    from app.services.dashboard_words import due_words

    text = due_words(StepDue("overdue", "Status notice", "QIP-DATA-LAG", dt.date(2025, 6, 1)), "iso")
    assert text == f"Overdue: Status notice for {ENTRIES['QIP-DATA-LAG'].title} [QIP-DATA-LAG] (due 2025-06-01)"
