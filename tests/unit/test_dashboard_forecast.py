"""The Dashboard's tiles: the amber *close* state at the policy's distance, the attendance and
participation tiles, a facility not yet a member, and the next five dates that fire."""

from __future__ import annotations

import datetime as dt

import pytest

from app.services.dashboard import ATTENDANCE_TILE, build_dashboard
from app.services.dashboard_words import dashboard_words
from app.services.facility import FacilityDetails, save_facility
from tests.unit.test_findings_service import seed

D = dt.date


def tiles(db, as_of):
    data = dashboard_words(build_dashboard(db, as_of))
    return data, {t.rule: t for t in data.tiles}


@pytest.mark.parametrize(("as_of", "status"), [
    (D(2025, 1, 23), "clear"),      # day 22 of 30: fires in 8 days
    (D(2025, 1, 24), "close"),      # day 23: fires in 7 days, the policy's close distance
    (D(2025, 1, 30), "close"),      # day 29: tomorrow
    (D(2025, 1, 31), "triggered"),  # day 30
])
def test_zero_enrollment_tile_turns_amber_a_week_ahead(db, as_of, status) -> None:
    seed(db)  # no enrollment in 2025 before April: every project counts from January 1
    data, by_rule = tiles(db, as_of)
    zero = by_rule["QIP-ENR-ZERO"]
    assert zero.status == status
    if status == "close":
        assert zero.forecast == f"Breast: day {(as_of - D(2025, 1, 1)).days} of 30 — fires on 2025-01-31 " \
                                "without an enrollment."
    if status != "triggered":
        first = data.upcoming[0]
        assert first.fires_on == D(2025, 1, 31) and first.rules == ("QIP-ENR-ZERO",) * 4
    assert len(data.upcoming) <= 5 and [u.fires_on for u in data.upcoming] == sorted({u.fires_on for u in data.upcoming})


def test_attendance_and_participation_have_tiles(db) -> None:
    seed(db)
    _, by_rule = tiles(db, D(2025, 6, 30))
    assert by_rule[ATTENDANCE_TILE].status == "clear" and by_rule[ATTENDANCE_TILE].figure == "0"
    volume = by_rule["PART-VOLUME"]
    assert volume.status == "warning" and volume.figure == "2 of 150"  # two lung cases in the year


def test_a_facility_not_yet_a_member_says_so(empty_db) -> None:
    save_facility(empty_db, FacilityDetails(name="New RO", radiation_oncologists=2, joined_on=D(2025, 3, 1),
                                            baseline_year=2025), today=D(2025, 3, 1))
    _, by_rule = tiles(empty_db, D(2025, 2, 1))
    zero = by_rule["QIP-ENR-ZERO"]
    assert zero.status == "clear" and zero.figure == "not a member yet (joins 2025-03-01)"
    _, by_rule = tiles(empty_db, D(2025, 3, 20))  # a new member with no enrollment yet: counted from joining
    assert by_rule["QIP-ENR-ZERO"].status == "clear" and "Breast: 19" in by_rule["QIP-ENR-ZERO"].figure
    assert by_rule["QIP-ENR-ZERO"].forecast.endswith("fires on 2025-03-31 without an enrollment.")


def test_a_past_as_of_date_is_forecast_from_what_was_on_record_then(db) -> None:
    """June 20: data entry last on June 1 (19 days). The database also holds a July 15 enrollment
    and an August 1 entry, unknown on June 20: the forecast still says July 2, the 31st day."""
    from app.services.findings import run_check, to_json

    seed(db)
    data = to_json(run_check(db, D(2025, 6, 20)))
    lag = next(f for f in data["forecast"] if f["rule"] == "QIP-DATA-LAG")
    assert lag == {"rule": "QIP-DATA-LAG", "subject": {}, "distance": 12, "fires_on": "2025-07-02"}
    # evaluated later with everything recorded by then (the next activity is July 15): it fires
    # on July 2 as forecast, not on July 1
    assert any(f["rule"] == "QIP-DATA-LAG" for f in to_json(run_check(db, D(2025, 7, 2)))["findings"])
    assert not any(f["rule"] == "QIP-DATA-LAG" for f in to_json(run_check(db, D(2025, 7, 1)))["findings"])
