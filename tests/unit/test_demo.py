"""The demo facility: deterministic, referentially sound, realistic volumes."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest

from app.demo.generator import DemoOptions, generate_demo
from app.domain.vocabulary import BONE_METS_PRIMARY_SITES, REQUIRED_ROLES
from app.storage.database import open_database, sqlite_url

AS_OF = dt.date(2025, 6, 30)
TABLES = ("facility", "staff", "role_assignments", "cases", "data_entries", "dosimetry_submissions", "meetings",
          "attendance", "correspondence", "absences", "program_years")


def build(path: Path, **kw) -> sqlite3.Connection:
    db = open_database(sqlite_url(path), create=True)
    generate_demo(db, DemoOptions(as_of=AS_OF, **kw))
    db.dispose()
    return sqlite3.connect(path)


def dump(conn: sqlite3.Connection) -> dict[str, list]:
    return {t: conn.execute(f"SELECT * FROM {t} ORDER BY 1, 2").fetchall() for t in TABLES}


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> sqlite3.Connection:
    return build(tmp_path_factory.mktemp("demo") / "demo.sqlite3")


def test_same_seed_same_data_other_seed_other_data(tmp_path: Path, demo) -> None:
    again = build(tmp_path / "again.sqlite3")
    other = build(tmp_path / "other.sqlite3", seed=2)
    assert dump(again) == dump(demo)
    assert dump(other)["cases"] != dump(demo)["cases"]


def test_references_hold_and_dates_are_in_order(demo) -> None:
    assert demo.execute("PRAGMA foreign_key_check").fetchall() == []
    assert demo.execute("SELECT count(*) FROM cases WHERE enrolled_on < eligible_on").fetchone() == (0,)
    assert demo.execute("SELECT count(*) FROM cases WHERE status='enrolled' AND enrolled_on IS NULL").fetchone() == (0,)
    assert demo.execute("SELECT count(*) FROM cases WHERE status!='enrolled' AND enrolled_on IS NOT NULL").fetchone() == (0,)
    for table, column in (("cases", "eligible_on"), ("data_entries", "date"), ("dosimetry_submissions", "submitted_on")):
        assert demo.execute(f"SELECT max({column}) FROM {table}").fetchone()[0] <= AS_OF.isoformat()


def test_volumes_are_those_of_a_mid_size_facility(demo) -> None:
    per_year = dict(demo.execute("SELECT substr(eligible_on,1,4), count(*) FROM cases GROUP BY 1").fetchall())
    full_years = [n for year, n in per_year.items() if "2021" < year < "2025"]
    assert full_years and all(300 <= n <= 700 for n in full_years)
    projects = dict(demo.execute("SELECT project, count(*) FROM cases GROUP BY 1").fetchall())
    assert set(projects) == {"breast", "lung", "prostate", "bone_mets"}
    sites = {r[0] for r in demo.execute("SELECT DISTINCT primary_site FROM cases WHERE project='bone_mets'")}
    assert sites <= set(BONE_METS_PRIMARY_SITES) and len(sites) >= 4


def test_roles_meetings_and_the_rest(demo) -> None:
    for role in REQUIRED_ROLES:
        held = demo.execute("SELECT count(*) FROM role_assignments WHERE role=? AND start<=? AND (end IS NULL OR end>=?)",
                            (role, AS_OF.isoformat(), AS_OF.isoformat())).fetchone()[0]
        assert held >= 1, role
    per_year = [n for _, n in demo.execute("SELECT substr(date,1,4), count(*) FROM meetings WHERE date < '2025' GROUP BY 1")]
    assert all(3 <= n <= 4 for n in per_year)
    formats = {r[0] for r in demo.execute("SELECT DISTINCT format FROM meetings")}
    assert formats == {"in_person", "virtual"}
    assert demo.execute("SELECT count(*) FROM absences WHERE kind='enrollment_pause' AND approved=1").fetchone()[0] == 1
    assert demo.execute("SELECT count(*) FROM correspondence").fetchone()[0] > 10
    assert demo.execute("SELECT count(*) FROM audit_log").fetchone()[0] == 1


def test_no_patients_still_builds_a_facility(tmp_path: Path) -> None:
    conn = build(tmp_path / "empty.sqlite3", patients=0, years=2)
    assert conn.execute("SELECT count(*) FROM cases").fetchone() == (0,)
    assert conn.execute("SELECT count(*) FROM staff").fetchone()[0] > 10


def test_patient_count_is_exact(tmp_path: Path) -> None:
    conn = build(tmp_path / "n.sqlite3", patients=1234, years=3)
    assert conn.execute("SELECT count(*) FROM cases").fetchone() == (1234,)
