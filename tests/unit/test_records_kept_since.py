"""A facility's "records kept here since" day (issue 25, day one): a new facility does not start in
red for what the app cannot know; a facility with its history evaluates exactly as before."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from app.rules import data_lag, engine, enrollment, meetings
from app.rules.snapshot import FacilityInfo
from app.services.dashboard import TileStatus, build_dashboard
from app.services.dashboard_words import dashboard_words
from app.services.facility import FacilityDetails, FacilityError, get_facility, save_facility
from app.services.findings import evaluate_at, to_json
from app.storage.models import AuditEntry
from tests.unit.rules_builders import AS_OF, JOINED, POLICY, full_attendance, meeting, snapshot

D = dt.date
ONE = dt.timedelta(days=1)
#: the rules whose window reaches back in time, and so may lack the history to fire
WINDOWED = {enrollment.RULE_ZERO, enrollment.RULE_DECLINE, enrollment.RULE_VOLUME, meetings.RULE_MISSED, data_lag.RULE}


def new_facility(kept: dt.date, **changes):  # type: ignore[no-untyped-def]
    """The issue's facility: joined 2020-01-15, nothing on record, starting to use the app on ``kept``."""
    facility = FacilityInfo("New RO", D(2020, 1, 15), 2020, 2, ("breast", "lung", "prostate", "bone_mets"),
                            records_kept_since=kept)
    return snapshot(facility=facility, last_enrollment={}, last_activity=None, **changes)


def test_a_new_facility_shows_no_windowed_trigger_on_day_one() -> None:
    day = D(2026, 12, 7)
    snap = new_facility(day)
    fired = {f.rule for f in engine.evaluate(snap, POLICY, day)}
    assert not fired & WINDOWED
    measures = engine.measure(snap, POLICY, day)
    for rule in WINDOWED:
        assert measures[rule] and all(m.history_since == day and not m.fires for m in measures[rule]), rule
        assert all(m.evidence["records_kept_since"] == day for m in measures[rule])
    # without the day, the same facility starts in red as the issue describes
    old = replace(snap, facility=replace(snap.facility, records_kept_since=None))
    assert {enrollment.RULE_ZERO, data_lag.RULE} <= {f.rule for f in engine.evaluate(old, POLICY, day)}


def test_counts_start_with_the_records_and_fire_once_they_alone_reach_the_limit() -> None:
    kept = D(2026, 3, 2)  # no enrollment period starts within the counts
    snap = new_facility(kept)
    for on, fires in ((kept + dt.timedelta(days=POLICY.zero_enrollment_days - 2), False),
                      (kept + dt.timedelta(days=POLICY.zero_enrollment_days - 1), True)):
        [zero] = [m for m in engine.measure(snap, POLICY, on)[enrollment.RULE_ZERO] if m.subject == {"project": "lung"}]
        assert zero.fires is fires and zero.value == (on - kept).days + 1
        assert (zero.history_since is None) is fires
    on = kept + dt.timedelta(days=POLICY.lag_days)
    [lag] = engine.measure(snap, POLICY, on)[data_lag.RULE]
    assert lag.fires and lag.value == POLICY.lag_days + 1
    [finding] = [f for f in engine.evaluate(snap, POLICY, on) if f.rule == data_lag.RULE]
    assert f"since records began here on {kept.isoformat()}" in finding.message


def test_a_year_of_records_is_needed_before_the_volume_and_decline_rules_judge() -> None:
    kept = D(2025, 3, 1)
    snap = new_facility(kept)
    first = kept + dt.timedelta(days=POLICY.participation_lookback_days - 1)
    [volume] = engine.measure(snap, POLICY, first - ONE)[enrollment.RULE_VOLUME]
    assert not volume.fires and volume.history_since == kept
    [volume] = engine.measure(snap, POLICY, first)[enrollment.RULE_VOLUME]
    assert volume.fires and volume.history_since is None
    [forecast] = [f for f in engine.forecast_all(snap, POLICY, first - dt.timedelta(days=10))
                  if f.rule == enrollment.RULE_VOLUME]
    assert forecast.fires_on == first
    [decline] = engine.measure(snap, POLICY, D(2026, 12, 31))[enrollment.RULE_DECLINE]
    assert decline.history_since == kept  # 2025's January is before the records
    [decline] = engine.measure(snap, POLICY, D(2027, 1, 31))[enrollment.RULE_DECLINE]
    assert decline.history_since is None


def test_meetings_before_the_records_do_not_count_as_missed() -> None:
    kept = D(2025, 6, 1)
    typed_in = tuple(meeting(f"M{i}", D(2025, m, 10)) for i, m in enumerate((1, 2, 3, 4)))  # no attendance known
    snap = new_facility(kept, meetings=typed_in)
    missed = engine.measure(snap, POLICY, AS_OF)[meetings.RULE_MISSED]
    assert all(m.value == 0 and not m.fires and m.history_since == kept for m in missed)
    later = typed_in + tuple(meeting(f"N{i}", D(2025, m, 10)) for i, m in enumerate((6, 7, 8, 9)))
    snap = new_facility(kept, meetings=later)
    missed = engine.measure(snap, POLICY, D(2025, 9, 30))[meetings.RULE_MISSED]
    assert all(m.value == 4 and m.fires and m.history_since is None for m in missed)


@settings(max_examples=60, deadline=None, database=None, derandomize=True)
@given(as_of=st.dates(D(2018, 1, 1), D(2027, 12, 31)), kept_before=st.integers(0, 4000),
       last_enrollment=st.dates(D(2017, 6, 1), D(2027, 12, 31)), attended=st.booleans())
def test_a_facility_with_its_history_evaluates_exactly_as_without_the_day(
        as_of: dt.date, kept_before: int, last_enrollment: dt.date, attended: bool) -> None:
    """Records kept since joining (or earlier): every finding, measure and forecast unchanged."""
    held = tuple(meeting(f"M{m}", D(as_of.year, m, 5)) for m in (1, 3, 5, 7, 9, 11))
    base = snapshot(meetings=held, attendance=tuple(a for m in held for a in full_attendance(m.meeting_id))
                    if attended else (), last_enrollment={"lung": min(last_enrollment, as_of)},
                    last_activity=min(last_enrollment, as_of), monthly_enrollments={(as_of.year - 1, 3): 10})
    kept = replace(base, facility=replace(base.facility, records_kept_since=JOINED - dt.timedelta(days=kept_before)))
    assert engine.evaluate(kept, POLICY, as_of) == engine.evaluate(base, POLICY, as_of)
    assert engine.measure(kept, POLICY, as_of) == engine.measure(base, POLICY, as_of)
    assert engine.forecast_all(kept, POLICY, as_of) == engine.forecast_all(base, POLICY, as_of)


@settings(max_examples=40, deadline=None, database=None, derandomize=True)
@given(kept=st.dates(D(2024, 1, 1), D(2026, 12, 31)), later=st.integers(0, 500))
def test_a_forecast_of_a_new_facility_fires_on_its_day(kept: dt.date, later: int) -> None:
    """The forecasts respect the records' start: a rule forecast to fire does fire that day, and
    not the day before (nothing is recorded after the as-of date)."""
    day = kept + dt.timedelta(days=later)
    snap = new_facility(kept)
    for f in engine.forecast_all(snap, POLICY, day):
        if f.fires_on is None or f.rule not in WINDOWED or f.fires_on == day:
            continue
        fired = [x for x in engine.measure(snap, POLICY, f.fires_on)[f.rule] if x.subject == f.subject]
        before = [x for x in engine.measure(snap, POLICY, f.fires_on - ONE)[f.rule] if x.subject == f.subject]
        assert fired[0].fires and (f.fires_on - ONE == day or not before[0].fires), (f, day)


# --- stored with the facility --------------------------------------------------------------------

def test_a_facility_set_up_with_its_history_keeps_records_since_joining(db) -> None:
    facility = get_facility(db)
    assert facility.records_kept_since == facility.joined_on == D(2019, 3, 1)


def test_the_first_run_keeps_records_from_today_and_an_administrator_moves_it_audited(empty_db) -> None:
    today = D(2026, 12, 7)
    save_facility(empty_db, FacilityDetails("New RO", joined_on=D(2020, 1, 15), records_kept_since=today), today=today)
    assert get_facility(empty_db).records_kept_since == today
    save_facility(empty_db, FacilityDetails("New RO", joined_on=D(2020, 1, 15)), today=today)  # not given: kept
    assert get_facility(empty_db).records_kept_since == today
    save_facility(empty_db, FacilityDetails("New RO", joined_on=D(2020, 1, 15), records_kept_since=D(2026, 1, 1)),
                  today=today)
    assert get_facility(empty_db).records_kept_since == D(2026, 1, 1)
    with empty_db.reader() as session:
        entries = [e for e in session.scalars(select(AuditEntry).where(AuditEntry.table_name == "facility"))]
    assert any(str((e.after or {}).get("records_kept_since", "")).startswith("2026-01-01") for e in entries), \
        [e.after for e in entries]
    with pytest.raises(FacilityError, match="after today"):
        save_facility(empty_db, FacilityDetails("New RO", records_kept_since=today + ONE), today=today)


def test_a_new_facility_in_the_database_shows_not_enough_history(empty_db) -> None:
    today = D(2026, 12, 7)
    save_facility(empty_db, FacilityDetails("New RO", joined_on=D(2020, 1, 15), records_kept_since=today), today=today)
    evaluation = evaluate_at(empty_db, today)
    assert not {f.rule for f in evaluation.findings} & WINDOWED
    data = to_json(evaluation)
    assert data["records_kept_since"] == "2026-12-07"
    assert {x["rule"] for x in data["not_enough_history"]} == WINDOWED
    json.dumps(data)
    words = dashboard_words(build_dashboard(empty_db, today, evaluation))
    tiles = {t.rule: t for t in words.tiles}
    assert tiles[data_lag.RULE].figure == "not enough history yet (records kept since 2026-12-07)"
    assert tiles[data_lag.RULE].status == TileStatus.HISTORY
    assert tiles[enrollment.RULE_ZERO].figure == "not enough history yet (records kept since 2026-12-07)"
    assert "data-entry session" in tiles[data_lag.RULE].counts  # what counts, and where it is entered
    assert all(t.counts for t in words.tiles)


def test_check_json_of_a_facility_with_its_history_has_no_new_keys(db) -> None:
    assert set(to_json(evaluate_at(db, D(2026, 6, 30)))) == {"as_of", "policy", "policy_in_force", "facility",
                                                             "findings", "forecast"}


def test_every_tile_says_what_it_counts_in_one_line() -> None:
    for tile in engine.TILES:
        assert tile.counts and "\n" not in tile.counts and tile.counts.endswith("."), tile.id
        assert "(" in tile.counts, f"{tile.id}: where it is entered"


def test_an_upgraded_database_keeps_records_since_its_earliest_record_or_joining(tmp_path: Path) -> None:
    import sqlite3

    from app.security.signin import upgrade_database
    from app.storage.database import sqlite_url
    from tests.support import ADMIN, PASSWORD

    fixture = Path(__file__).resolve().parents[1] / "data" / "schema-0003.sqlite3"
    path = tmp_path / "facility.sqlite3"
    shutil.copy(fixture, path)
    with sqlite3.connect(path) as conn:
        dates = [conn.execute(sql).fetchone()[0] for sql in (
            "SELECT joined_on FROM facility", "SELECT min(eligible_on) FROM cases", "SELECT min(enrolled_on) FROM cases",
            "SELECT min(date) FROM data_entries", "SELECT min(submitted_on) FROM dosimetry_submissions",
            "SELECT min(date) FROM meetings", "SELECT min(received_on) FROM correspondence")]
    expected = min(D.fromisoformat(str(d)[:10]) for d in dates if d)
    db, _key = upgrade_database(sqlite_url(path), ADMIN, PASSWORD)
    try:
        assert get_facility(db).records_kept_since == expected
    finally:
        db.dispose()


# --- imports move it back; the workbook may state it -------------------------------------------

FIRST_DAY = D(2026, 12, 7)


def _new_facility_db(empty_db, today: dt.date = FIRST_DAY):  # type: ignore[no-untyped-def]
    save_facility(empty_db, FacilityDetails("Harbor RO", joined_on=D(2019, 1, 15), records_kept_since=today), today=today)
    return empty_db


def test_a_workbook_with_older_records_moves_it_back_to_the_earliest(empty_db, tmp_path: Path) -> None:
    from app.workbook.importer import import_workbook
    from tests.unit.test_workbook import VALID, write_folder

    db = _new_facility_db(empty_db)
    result = import_workbook(db, write_folder(tmp_path / "wb", VALID))
    assert get_facility(db).records_kept_since == D(2025, 1, 2)  # C1's eligible date, the earliest record
    assert "Records are now kept here since 2025-01-02" in str(result)
    with db.reader() as session:
        moved = [e for e in session.scalars(select(AuditEntry).where(AuditEntry.table_name == "facility"))
                 if "records_kept_since" in (e.after or {})]
    assert moved  # audited


def test_the_workbook_states_it_and_the_export_writes_it_back(empty_db, tmp_path: Path) -> None:
    from app.workbook.exporter import export_workbook
    from app.workbook.importer import import_workbook
    from tests.unit.test_workbook import VALID, write_folder

    sheets = {k: [list(r) for r in v] for k, v in VALID.items()}
    sheets["facility"].append(["records_kept_since", "2025-02-15"])  # stated: wins over the records' dates
    db = _new_facility_db(empty_db)
    import_workbook(db, write_folder(tmp_path / "wb", sheets))
    assert get_facility(db).records_kept_since == D(2025, 2, 15)
    out = tmp_path / "export"
    export_workbook(db, out)
    import csv

    with (out / "facility.csv").open(encoding="utf-8") as handle:
        rows = dict(tuple(r) for r in csv.reader(handle) if len(r) == 2)
    assert rows["records_kept_since"] == "2025-02-15"


def test_a_workbook_making_the_facility_comes_with_its_history(empty_db, tmp_path: Path) -> None:
    from app.workbook.importer import import_workbook
    from tests.unit.test_workbook import VALID, write_folder

    import_workbook(empty_db, write_folder(tmp_path / "wb", VALID))
    facility = get_facility(empty_db)
    assert facility.records_kept_since == facility.joined_on == D(2019, 1, 15)


def test_an_eligible_patient_list_with_older_patients_moves_it_back(empty_db) -> None:
    from app.screening.service import import_list, read_list
    from app.storage.models import Case
    from tests.unit.test_screening_import import ARIA, ARIA_MAPPING

    db = _new_facility_db(empty_db)
    import_list(db, read_list(ARIA, ARIA_MAPPING))
    with db.reader() as session:
        earliest = min(session.scalars(select(Case.eligible_on)))
    assert get_facility(db).records_kept_since == earliest < D(2026, 12, 7)


def test_check_says_which_rules_wait_for_history(empty_db) -> None:
    """The human ``check`` lists them under their own heading; a facility with history has none."""
    from app.services.findings import not_enough_history_lines

    db = _new_facility_db(empty_db)
    lines = not_enough_history_lines(evaluate_at(db, FIRST_DAY))
    assert lines[0] == "Not enough history yet (records kept since 2026-12-07)"
    assert "  QIP-ENR-ZERO (project lung)" in lines and "  QIP-DATA-LAG" in lines


def test_check_of_a_facility_with_its_history_lists_none(db) -> None:
    from app.services.findings import not_enough_history_lines

    assert not_enough_history_lines(evaluate_at(db, D(2026, 6, 30))) == []


def test_a_tile_with_some_subjects_short_of_history_names_them(empty_db) -> None:
    """Lung enrolled since the records began: its days count; the other projects still wait."""
    from app.domain.records import CaseRecord
    from app.services.cases import save_case

    db = _new_facility_db(empty_db)
    save_case(db, CaseRecord("C-1", "lung", FIRST_DAY, status="enrolled", enrolled_on=FIRST_DAY + 3 * ONE))
    day = FIRST_DAY + 10 * ONE
    words = dashboard_words(build_dashboard(db, day))
    [zero] = [t for t in words.tiles if t.rule == enrollment.RULE_ZERO]
    assert "Lung: 7" in zero.figure and zero.status != TileStatus.HISTORY
    assert zero.detail.endswith("Breast, Prostate, Bone metastases: not enough history yet (records kept since "
                                "2026-12-07)")
