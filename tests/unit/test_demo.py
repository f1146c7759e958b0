"""The demo facility: deterministic, referentially sound, realistic, and full of what the rules look for."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections import Counter
from pathlib import Path

import pytest

from app.demo.generator import DemoOptions, generate_demo
from app.domain.vocabulary import (
    BONE_METS_PRIMARY_SITES,
    NOT_ENROLLED_REASONS,
    PAYERS,
    PROFESSIONS,
    PROJECTS,
    REQUIRED_ROLES,
    SINGLE_HOLDER_ROLES,
)
from tests.support import create, raw_connection, reopen

AS_OF = dt.date(2025, 6, 30)
D = AS_OF.isoformat()
TABLES = ("facility", "staff", "role_assignments", "cases", "data_entries", "dosimetry_submissions", "meetings",
          "attendance", "correspondence", "absences", "program_years")
#: (table, date column) of every dated record: nothing may lie after the as-of date.
DATED = (("cases", "eligible_on"), ("cases", "enrolled_on"), ("data_entries", "date"),
         ("dosimetry_submissions", "submitted_on"), ("meetings", "date"), ("correspondence", "received_on"),
         ("correspondence", "replied_on"), ("absences", "end"), ("role_assignments", "start"))


def build(path: Path, **options) -> sqlite3.Connection:
    create(path, lambda db: generate_demo(db, DemoOptions(**{"as_of": AS_OF, **options}))).dispose()
    return raw_connection(path)


def dump(conn: sqlite3.Connection) -> dict[str, list]:
    return {t: conn.execute(f"SELECT * FROM {t} ORDER BY 1, 2").fetchall() for t in TABLES}


def one(conn: sqlite3.Connection, sql: str, *params):
    return conn.execute(sql, params).fetchone()[0]


def full_years(conn: sqlite3.Connection) -> range:
    joined = dt.date.fromisoformat(one(conn, "SELECT joined_on FROM facility"))
    return range(joined.year + 1, AS_OF.year)


@pytest.fixture(scope="module")
def demo_path(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "demo.sqlite3"
    build(path).close()
    return path


@pytest.fixture
def demo(demo_path: Path) -> sqlite3.Connection:
    conn = raw_connection(demo_path)
    yield conn
    conn.close()


def test_same_seed_same_data_other_seed_other_data(tmp_path: Path, demo) -> None:
    again = build(tmp_path / "again.sqlite3")
    other = build(tmp_path / "other.sqlite3", seed=2)
    assert dump(again) == dump(demo)  # every table, row for row (the audit log records when, so it differs)
    theirs, ours = dump(other), dump(demo)
    assert theirs["cases"] != ours["cases"] and theirs["staff"] != ours["staff"]
    assert theirs["attendance"] != ours["attendance"]


def test_references_hold_and_dates_are_consistent(demo) -> None:
    assert demo.execute("PRAGMA foreign_key_check").fetchall() == []
    assert one(demo, "SELECT count(*) FROM cases WHERE enrolled_on < eligible_on") == 0
    assert one(demo, "SELECT count(*) FROM cases WHERE status='enrolled' AND enrolled_on IS NULL") == 0
    assert one(demo, "SELECT count(*) FROM cases WHERE status!='enrolled' AND enrolled_on IS NOT NULL") == 0
    assert one(demo, "SELECT count(*) FROM cases WHERE status='not_enrolled' AND not_enrolled_reason IS NULL") == 0
    assert one(demo, "SELECT count(*) FROM cases WHERE status!='not_enrolled' AND not_enrolled_reason IS NOT NULL") == 0
    assert one(demo, "SELECT count(*) FROM cases WHERE not_enrolled_reason='other' AND coalesce(note,'')=''") == 0
    assert one(demo, "SELECT count(*) FROM cases WHERE birth_date >= eligible_on") == 0
    assert one(demo, "SELECT count(*) FROM absences WHERE \"end\" < start") == 0
    assert one(demo, "SELECT count(*) FROM role_assignments WHERE \"end\" < start") == 0
    joined = one(demo, "SELECT joined_on FROM facility")
    for table, column in DATED:
        assert one(demo, f'SELECT max("{column}") FROM {table}') <= D, (table, column)
        assert one(demo, f'SELECT min("{column}") FROM {table}') >= joined, (table, column)
    # registry work happens after the case it belongs to becomes eligible
    assert one(demo, "SELECT count(*) FROM data_entries e JOIN cases c USING (case_id) WHERE e.date < c.eligible_on") == 0
    assert one(demo, "SELECT count(*) FROM dosimetry_submissions d JOIN cases c USING (case_id) "
                     "WHERE c.status != 'enrolled' OR d.submitted_on < c.enrolled_on") == 0


def test_codes_are_from_the_vocabulary(demo) -> None:
    assert {r[0] for r in demo.execute("SELECT DISTINCT project FROM cases")} == set(PROJECTS)
    assert {r[0] for r in demo.execute("SELECT DISTINCT payer FROM cases")} == set(PAYERS)
    assert {r[0] for r in demo.execute("SELECT DISTINCT not_enrolled_reason FROM cases WHERE status='not_enrolled'")} \
        <= set(NOT_ENROLLED_REASONS)
    sites = {r[0] for r in demo.execute("SELECT DISTINCT primary_site FROM cases WHERE project='bone_mets'")}
    assert sites == set(BONE_METS_PRIMARY_SITES)
    assert {r[0] for r in demo.execute("SELECT DISTINCT profession FROM staff")} <= set(PROFESSIONS)


def test_volumes_are_those_of_a_mid_size_facility(demo) -> None:
    per_year = dict(demo.execute("SELECT CAST(substr(eligible_on,1,4) AS INT), count(*) FROM cases GROUP BY 1"))
    years = full_years(demo)
    assert len(years) >= 3 and all(300 <= per_year[y] <= 700 for y in years), per_year
    cases = one(demo, "SELECT count(*) FROM cases")
    assert 2.0 <= one(demo, "SELECT count(*) FROM data_entries") / cases <= 3.2
    kinds = {r[0] for r in demo.execute("SELECT DISTINCT kind FROM data_entries")}
    assert {"abstraction", "pro", "followup"} <= kinds
    breast_lung = one(demo, "SELECT count(*) FROM cases WHERE status='enrolled' AND project IN ('breast','lung')")
    assert 0.8 <= one(demo, "SELECT count(*) FROM dosimetry_submissions") / breast_lung <= 1.0
    assert one(demo, "SELECT count(DISTINCT case_id) FROM dosimetry_submissions") == \
        one(demo, "SELECT count(*) FROM dosimetry_submissions")


def test_cases_look_real(demo) -> None:
    by_month = dict(demo.execute("SELECT CAST(substr(eligible_on,6,2) AS INT), count(*) FROM cases "
                                 "WHERE eligible_on >= '2021-01-01' AND eligible_on < '2025-01-01' GROUP BY 1"))
    dips = (by_month[7] + by_month[12]) / 2
    assert dips < 0.9 * sum(by_month[m] for m in (1, 3, 4, 5, 9, 10, 11)) / 7  # summer and December dips
    assert one(demo, "SELECT count(*) FROM cases WHERE strftime('%w', eligible_on) IN ('0','6')") == 0
    enrolled = one(demo, "SELECT count(*) FROM cases WHERE status='enrolled'")
    assert enrolled / one(demo, "SELECT count(*) FROM cases") > 0.75
    quick = one(demo, "SELECT count(*) FROM cases WHERE status='enrolled' "
                      "AND julianday(enrolled_on) - julianday(eligible_on) <= 20")
    assert quick / enrolled > 0.9
    reasons = Counter(r[0] for r in demo.execute("SELECT not_enrolled_reason FROM cases WHERE status='not_enrolled'"))
    assert reasons["declined"] == max(reasons.values()) and reasons["other"] >= 1
    assert reasons["measure_criteria"] < reasons["other"] * 2 + 5
    assert one(demo, "SELECT count(*) FROM cases WHERE status='pending' AND eligible_on > ?",
               (AS_OF - dt.timedelta(days=30)).isoformat()) > 0  # recent cases are still being decided
    bcbsm = one(demo, "SELECT avg(payer IN ('bcbsm','bcn')) FROM cases")
    assert 0.12 <= bcbsm <= 0.20
    assert one(demo, "SELECT count(*) FROM cases WHERE mrn NOT LIKE 'DEMO-%'") == 0
    assert one(demo, "SELECT count(DISTINCT mrn) FROM cases") == one(demo, "SELECT count(*) FROM cases")
    ages = [r[0] for r in demo.execute("SELECT (julianday(eligible_on) - julianday(birth_date)) / 365.25 FROM cases")]
    assert min(ages) > 25 and max(ages) < 96 and 58 < sum(ages) / len(ages) < 72
    doses = {(r[0], r[1], r[2]) for r in demo.execute("SELECT technique, total_dose_gy, fractions FROM dosimetry_submissions")}
    assert {("3D-CRT", 40.05, 15), ("SBRT", 54.0, 3)} <= doses
    assert one(demo, "SELECT count(*) FROM dosimetry_submissions WHERE metrics NOT LIKE '%_gy%' "
                     "AND metrics NOT LIKE '%_pct%'") == 0


def test_staff_and_roles(demo) -> None:
    assert 15 <= one(demo, "SELECT count(*) FROM staff") <= 25
    professions = Counter(r[0] for r in demo.execute("SELECT profession FROM staff"))
    assert 3 <= professions["radiation_oncologist"] <= 6
    assert professions["radiation_oncologist"] == one(demo, "SELECT radiation_oncologists FROM facility")
    for needed in ("physician", "resident", "physicist", "dosimetrist", "cda", "administrator", "nurse"):
        assert professions[needed] >= 1, needed
    titles = {r[0] for r in demo.execute("SELECT physician_title FROM staff WHERE profession='physician'")}
    assert {"cmo", "chief_of_quality"} <= titles
    assert one(demo, "SELECT count(*) FROM staff WHERE profession='radiation_oncologist' "
                     "AND pgip_member_since IS NOT NULL") >= 3
    assert one(demo, "SELECT count(*) FROM staff WHERE profession='radiation_oncologist' AND treats_mroqc_patients") >= 2
    assert one(demo, "SELECT count(*) FROM staff WHERE profession='dosimetrist' AND cmd_id IS NOT NULL") >= 1
    held = "SELECT count(*) FROM role_assignments WHERE role=? AND start<=? AND (\"end\" IS NULL OR \"end\">=?)"
    for role in REQUIRED_ROLES + ("administrative_lead",):
        assert one(demo, held, role, D, D) >= 1, role
    for role in SINGLE_HOLDER_ROLES:  # handovers without overlap
        terms = demo.execute("SELECT start, \"end\" FROM role_assignments WHERE role=? ORDER BY start", (role,)).fetchall()
        assert len(terms) == 2 and terms[0][1] < terms[1][0]
    overlapping_cdas = one(demo, "SELECT count(*) FROM role_assignments a JOIN role_assignments b ON a.id < b.id "
                                 "WHERE a.role='cda' AND b.role='cda' AND a.start <= coalesce(b.\"end\", '9999-12-31') "
                                 "AND b.start <= coalesce(a.\"end\", '9999-12-31')")
    assert overlapping_cdas >= 1
    reps = demo.execute("SELECT start, \"end\" FROM role_assignments WHERE role='dosimetry_representative' "
                        "ORDER BY start").fetchall()
    assert len(reps) == 2 and dt.date.fromisoformat(reps[1][0]) - dt.date.fromisoformat(reps[0][1]) > dt.timedelta(days=30)


def test_meetings_and_attendance(demo) -> None:
    per_year = dict(demo.execute("SELECT CAST(substr(date,1,4) AS INT), count(*) FROM meetings GROUP BY 1"))
    assert all(3 <= per_year[y] <= 4 for y in full_years(demo)), per_year
    assert {r[0] for r in demo.execute("SELECT DISTINCT format FROM meetings")} == {"in_person", "virtual"}
    assert one(demo, "SELECT count(*) FROM meetings WHERE meeting_id NOT IN (SELECT meeting_id FROM attendance)") == 0
    roles = Counter(r[0] for r in demo.execute("SELECT role FROM attendance"))
    assert set(roles) == set(REQUIRED_ROLES) | {"attendee"}
    # a resident stood in for the champion at least once; some role went uncovered; someone covered two roles
    assert one(demo, "SELECT count(*) FROM attendance JOIN staff USING (staff_id) "
                     "WHERE role='clinical_champion' AND profession='resident'") >= 1
    meetings = one(demo, "SELECT count(*) FROM meetings")
    for role in REQUIRED_ROLES:
        assert one(demo, "SELECT count(DISTINCT meeting_id) FROM attendance WHERE role=?", role) <= meetings
    assert one(demo, "SELECT count(*) FROM meetings m WHERE NOT EXISTS (SELECT 1 FROM attendance a "
                     "WHERE a.meeting_id=m.meeting_id AND a.role='cda')") >= 1
    assert one(demo, "SELECT count(*) FROM (SELECT meeting_id, staff_id FROM attendance WHERE role != 'attendee' "
                     "GROUP BY 1, 2 HAVING count(DISTINCT role) >= 2)") >= 1
    credits = {r[0] for r in demo.execute("SELECT DISTINCT ce_credit FROM attendance WHERE ce_credit IS NOT NULL")}
    assert credits == {"mdcb", "arrt", "asrt"}
    assert one(demo, "SELECT count(*) FROM attendance JOIN meetings USING (meeting_id) "
                     "WHERE format='virtual' AND ce_credit IS NOT NULL") >= 1
    assert one(demo, "SELECT count(*) FROM attendance JOIN staff USING (staff_id) "
                     "WHERE ce_credit='mdcb' AND cmd_id IS NULL") >= 1


def test_letters_absences_and_program_years(demo) -> None:
    per_year = dict(demo.execute("SELECT CAST(substr(received_on,1,4) AS INT), count(*) FROM correspondence GROUP BY 1"))
    assert all(6 <= per_year[y] <= 12 for y in full_years(demo)), per_year
    letters = one(demo, "SELECT count(*) FROM correspondence")
    assert one(demo, "SELECT count(*) FROM correspondence WHERE reply_required") > letters / 2
    on_time = one(demo, "SELECT count(*) FROM correspondence WHERE reply_required AND replied_on <= "
                        "coalesce(due_on, date(received_on, '+14 days'))")
    assert on_time > 0.6 * one(demo, "SELECT count(*) FROM correspondence WHERE reply_required")
    assert one(demo, "SELECT count(*) FROM correspondence WHERE reply_required AND (replied_on IS NULL OR "
                     "replied_on > coalesce(due_on, date(received_on, '+14 days')))") >= 1
    pauses = demo.execute("SELECT staff_id, approved FROM absences WHERE kind='enrollment_pause'").fetchall()
    assert pauses == [(None, 1)]
    assert one(demo, "SELECT count(*) FROM absences a JOIN staff s USING (staff_id) "
                     "WHERE a.kind='leave' AND a.approved AND s.profession='cda'") == 1
    assert one(demo, "SELECT count(*) FROM absences WHERE kind='vacation' AND NOT approved") == 2
    assert one(demo, "SELECT count(*) FROM absences a JOIN staff s USING (staff_id) "
                     "WHERE a.kind='vacation' AND s.profession='cda'") >= 5
    targets = dict(demo.execute("SELECT year, performance_targets_met FROM program_years"))
    joined = dt.date.fromisoformat(one(demo, "SELECT joined_on FROM facility"))
    assert sorted(targets) == list(range(joined.year, AS_OF.year + 1))
    assert set(targets.values()) == {0, 1}


def test_facility_and_a_single_summary_audit_entry(demo) -> None:
    name, kind, joined, baseline, projects, policy_year = demo.execute(
        "SELECT name, kind, joined_on, baseline_year, active_projects, policy_year FROM facility").fetchone()
    assert name == "Lakeside Regional Cancer Center (demo)" and kind == "hospital"
    joined = dt.date.fromisoformat(joined)
    assert baseline == joined.year and 4.5 < (AS_OF - joined).days / 365.25 <= 5.1
    assert set(projects.split(",")) == set(PROJECTS)
    assert policy_year is None  # judged by the policy in force at each date, not pinned to a year
    rows = demo.execute("SELECT action, table_name, summary FROM audit_log WHERE table_name NOT IN "
                        "('users', 'facility_certificates', 'user_certificates')").fetchall()
    assert len(rows) == 1 and rows[0][0] == "note" and "Demo facility generated" in rows[0][2]  # not one per row


def test_the_rules_find_the_story(demo_path: Path) -> None:
    from app.services.findings import run_check

    db = reopen(demo_path)
    try:
        now = {(f.rule, tuple(sorted(f.to_json()["subject"].items()))) for f in run_check(db, AS_OF).findings}
        rules = {rule for rule, _ in now}
        assert ("QIP-ENR-ZERO", (("project", "lung"),)) in now  # the recent spell without lung referrals
        assert {"CE-VIRTUAL", "CE-MDCB-NO-ID"} <= rules
        assert "QIP-ROLE-VACANT" not in rules and "PART-VOLUME" not in rules
        with raw_connection(demo_path) as conn:
            dates = [dt.date.fromisoformat(r[0]) for r in conn.execute(
                "SELECT date FROM data_entries UNION SELECT enrolled_on FROM cases WHERE enrolled_on IS NOT NULL "
                "UNION SELECT submitted_on FROM dosimetry_submissions ORDER BY 1")]
        quiet_from, quiet_to = max(zip(dates, dates[1:], strict=False), key=lambda pair: pair[1] - pair[0])
        assert quiet_to - quiet_from > dt.timedelta(days=31)
        lagging = run_check(db, quiet_from + dt.timedelta(days=31)).findings
        assert any(f.rule == "QIP-DATA-LAG" for f in lagging)  # the weeks nobody did any registry work
    finally:
        db.dispose()


def test_the_demo_passes_workbook_validation(demo_path: Path, tmp_path: Path) -> None:
    from app.workbook.exporter import export_workbook
    from app.workbook.importer import import_workbook

    source = reopen(demo_path)
    try:
        export_workbook(source, tmp_path / "demo.zip", identified=True)
    finally:
        source.dispose()
    # raises WorkbookError listing any invalid row
    create(tmp_path / "copy.sqlite3", lambda target: import_workbook(target, tmp_path / "demo.zip")).dispose()
    copy, original = dump(raw_connection(tmp_path / "copy.sqlite3")), dump(raw_connection(demo_path))
    for table in ("cases", "staff", "meetings"):
        assert copy[table] == original[table], table


def test_no_patients_still_builds_a_facility(tmp_path: Path) -> None:
    conn = build(tmp_path / "empty.sqlite3", patients=0, years=2)
    for table in ("cases", "data_entries", "dosimetry_submissions"):
        assert one(conn, f"SELECT count(*) FROM {table}") == 0
    assert one(conn, "SELECT count(*) FROM staff") >= 15
    assert one(conn, "SELECT count(*) FROM meetings") >= 6
    assert one(conn, "SELECT count(*) FROM role_assignments") >= 5
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []


def test_patient_count_is_exact_and_a_short_history_works(tmp_path: Path) -> None:
    conn = build(tmp_path / "n.sqlite3", patients=1234, years=1, seed=7)
    assert one(conn, "SELECT count(*) FROM cases") == 1234
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    assert one(conn, "SELECT count(*) FROM absences WHERE kind='enrollment_pause'") == 1


@pytest.mark.slow
def test_a_large_demo_completes(tmp_path: Path) -> None:
    conn = build(tmp_path / "large.sqlite3", patients=20_000, years=8, seed=3)
    assert one(conn, "SELECT count(*) FROM cases") == 20_000
    assert 40_000 <= one(conn, "SELECT count(*) FROM data_entries") <= 64_000
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []


@pytest.mark.pg
def test_postgres_gets_the_same_demo(pg_url: str, tmp_path: Path) -> None:
    from sqlalchemy import func, select

    from app.storage.models import Attendance, Case, DataEntry, DosimetrySubmission

    options = {"patients": 800, "years": 2, "seed": 5}
    lite = build(tmp_path / "lite.sqlite3", **options)
    db = create(pg_url)
    try:
        generate_demo(db, DemoOptions(as_of=AS_OF, **options))
        with db.reader() as session:
            for model, table in ((Case, "cases"), (DataEntry, "data_entries"),
                                 (DosimetrySubmission, "dosimetry_submissions"), (Attendance, "attendance")):
                assert session.scalar(select(func.count()).select_from(model)) == one(lite, f"SELECT count(*) FROM {table}")
            first = session.get(Case, "MRQ-0000001")
            metrics = session.scalars(select(DosimetrySubmission.metrics).limit(1)).one()
        assert (first.eligible_on.isoformat(), first.status) == lite.execute(
            "SELECT eligible_on, status FROM cases WHERE case_id='MRQ-0000001'").fetchone()
        assert isinstance(metrics, dict) and metrics
    finally:
        db.dispose()
