"""Issue 28 at a million cases: the register's sorts and flags read along indexes (migration 0013)
and give the same rows as before; the first dosimetry date the database keeps for the "no
dosimetry" flag (``cases.first_dosimetry_on``) stays right after every way a submission is written."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from alembic import command
from sqlalchemy import insert, select, text

from app.domain.permissions import Permission
from app.domain.records import DosimetryRecord
from app.services import dosimetry, register
from app.services.case_state import missing_dosimetry, pending_past_window
from app.services.editing import undo
from app.services.register import SORTABLE, FlagPolicy, RegisterQuery, count_cases, fetch_page
from app.storage.database import alembic_config
from app.storage.models import Case, DosimetrySubmission, Staff

D = dt.date
AS_OF = D(2025, 6, 30)
PROJECTS = ("breast", "lung", "prostate", "bone_mets")


@pytest.fixture
def scaled(db):  # type: ignore[no-untyped-def]
    return fill_scaled(db)


def fill_scaled(db):  # type: ignore[no-untyped-def]
    """400 cases with ties and blanks in every sortable column, and submissions before and after
    the dates judged."""
    rng = random.Random(28)
    cases, submissions = [], []
    for i in range(400):
        eligible = D(2024, 1, 1) + dt.timedelta(days=rng.randrange(500))
        status = rng.choice(("pending", "enrolled", "enrolled", "not_enrolled"))
        enrolled = eligible + dt.timedelta(days=rng.randrange(1, 60)) if status == "enrolled" else None
        cases.append({"case_id": f"S-{rng.randrange(10**6):06d}-{i}", "project": rng.choice(PROJECTS),
                      "eligible_on": eligible, "status": status, "enrolled_on": enrolled,
                      "primary_site": rng.choice((None, "breast", "lung", "melanoma")),
                      "not_enrolled_reason": rng.choice((None, "declined", "other")) if status == "not_enrolled" else None,
                      "payer": rng.choice((None, None, "bcbsm", "medicare"))})
        for k in range(rng.choice((0, 0, 1, 2))):
            submissions.append({"case_id": cases[-1]["case_id"], "staff_id": "PH", "technique": "vmat",
                                "submitted_on": (enrolled or eligible) + dt.timedelta(days=rng.randrange(90) + k),
                                "total_dose_gy": 50.0, "fractions": 25, "metrics": {}})
    with db.transaction(Permission.IMPORT) as session:
        session.add(Staff(staff_id="PH", name="P H", profession="physicist"))
        session.execute(insert(Case), cases)
        seen = set()
        for s in submissions:
            if (s["case_id"], s["submitted_on"]) not in seen:
                seen.add((s["case_id"], s["submitted_on"]))
                session.add(DosimetrySubmission(**s))
    return db


def kept_wrong(db) -> list[tuple]:  # type: ignore[no-untyped-def]
    """Cases whose kept first dosimetry date is not their earliest submission's (none, when right)."""
    differs = "IS NOT" if db.is_sqlite else "IS DISTINCT FROM"
    with db.engine.connect() as c:
        return c.execute(text(f"SELECT * FROM (SELECT case_id, first_dosimetry_on, (SELECT min(submitted_on) FROM "
                              "dosimetry_submissions d WHERE d.case_id = cases.case_id) AS first FROM cases) AS kept "
                              f"WHERE first_dosimetry_on {differs} first")).all()


def first_of(db, case_id: str) -> str | None:  # type: ignore[no-untyped-def]
    with db.engine.connect() as c:
        value = c.scalar(text("SELECT first_dosimetry_on FROM cases WHERE case_id = :c"), {"c": case_id})
    return None if value is None else str(value)  # (a date on PostgreSQL, its text on SQLite)


def plan(db, stmt) -> str:  # type: ignore[no-untyped-def]
    compiled = stmt.compile(db.engine, compile_kwargs={"literal_binds": True})
    with db.engine.connect() as c:
        return " | ".join(row[3] for row in c.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}"))


# --- the sorts ----------------------------------------------------------------------------------

def reference_order(rows: list[tuple], index: int, descending: bool) -> list[tuple]:
    """The register's order in Python: blanks last either way, then the column, ties by case ID."""
    filled = sorted((r for r in rows if r[index] is not None), key=lambda r: (r[index], r[0]), reverse=descending)
    blanks = sorted((r for r in rows if r[index] is None), key=lambda r: r[0], reverse=descending)
    return filled + blanks


@pytest.mark.parametrize("column", list(SORTABLE))
@pytest.mark.parametrize("descending", [False, True])
def test_every_sort_is_the_old_order_and_read_along_an_index(scaled, column: str, descending: bool) -> None:
    query = RegisterQuery(sort_column=column, descending=descending)
    rows = fetch_page(scaled, query, 0, 1000)
    index = list(SORTABLE).index(column)
    assert rows == reference_order(rows, index, descending) and len(rows) == 400
    # the last pages read from the far end (reversed) agree
    assert [r for offset in range(0, 400, 90) for r in fetch_page(scaled, query, offset, 90, total=400)] == rows
    # no sort of the whole register: the page is the first entries of the column's index (a column
    # that may be blank, blanks last both ways, has one per direction: migration 0015), from either end
    for reverse in (False, True):
        stmt = register._filtered(query, select(*SORTABLE.values()), "sqlite").order_by(
            *register.order_by(column, descending != reverse, reverse=reverse))  # as fetch_page reads it
        assert "TEMP B-TREE" not in plan(scaled, stmt.limit(500)), (column, reverse)


# --- the flags ----------------------------------------------------------------------------------

def reference_flags(db, as_of: dt.date, days: int) -> dict[str, set[str]]:  # type: ignore[no-untyped-def]
    """Each flag's cases by the Python predicates (``app.services.case_state``), read from the rows."""
    with db.reader() as s:
        submitted: dict[str, list[dt.date]] = {}
        for case_id, on in s.execute(select(DosimetrySubmission.case_id, DosimetrySubmission.submitted_on)):
            submitted.setdefault(case_id, []).append(on)
        cases = s.execute(select(Case.case_id, Case.project, Case.status, Case.enrolled_on, Case.eligible_on)).all()
    return {
        "missing_dosimetry": {c for c, p, _, e, _ in cases if missing_dosimetry(p, e, submitted.get(c, []), as_of)},
        "pending_past_window": {c for c, _, st, e, el in cases if pending_past_window(st, e, el, as_of, days)},
    }


@pytest.mark.parametrize("as_of", [D(2024, 3, 1), D(2024, 9, 1), AS_OF, dt.date.max])
@pytest.mark.parametrize("walk_after", [0, 10**9])
def test_the_flags_find_the_old_cases_whichever_way_the_page_is_read(scaled, monkeypatch, as_of, walk_after) -> None:
    """Both plans of a flagged page (the flag's index, or the sort's index walked with the flag
    tested per row) give the same rows as the Python predicates, at dates before, between and
    after the submissions, and at the last date there is."""
    monkeypatch.setattr(register, "WALK_AFTER", walk_after)
    policy = FlagPolicy(as_of, 30, ("declined",))
    expected = reference_flags(scaled, as_of, 30)
    for flag, cases in expected.items():
        query = RegisterQuery(flag_policy=policy, flags=(flag,), sort_column="payer", descending=False)
        assert count_cases(scaled, query) == len(cases), flag
        rows = fetch_page(scaled, query, 0, 1000)
        assert {r[0] for r in rows} == cases and {r[-1] for r in rows} <= {flag}, flag
        assert rows == reference_order(rows, list(SORTABLE).index("payer"), False)
    both = RegisterQuery(flag_policy=policy, flags=tuple(expected))
    assert {r[0] for r in fetch_page(scaled, both, 0, 1000)} == set().union(*expected.values())


def test_the_flag_counts_read_their_own_index(scaled) -> None:
    from sqlalchemy import func

    policy = FlagPolicy(AS_OF, 30, ())
    for flag, index in (("missing_dosimetry", "ix_cases_dosimetry_due"), ("pending_past_window", "ix_cases_pending")):
        query = RegisterQuery(flag_policy=policy, flags=(flag,))
        stmt = register._filtered(query, select(func.count()).select_from(Case), "sqlite")
        assert index in plan(scaled, stmt), flag


# --- the kept first dosimetry date --------------------------------------------------------------

def test_the_migration_fills_the_kept_date_from_the_submissions_held(scaled) -> None:
    with scaled.engine.begin() as connection:
        command.downgrade(alembic_config(connection), "0012")
    with scaled.engine.begin() as connection:
        command.upgrade(alembic_config(connection), "head")
    assert kept_wrong(scaled) == []
    with scaled.engine.connect() as c:
        assert c.scalar(text("SELECT count(*) FROM cases WHERE first_dosimetry_on IS NOT NULL")) > 50


def test_every_save_change_delete_and_undo_keeps_the_date(scaled) -> None:
    case_id = "K-1"
    with scaled.transaction(Permission.IMPORT) as s:
        s.add(Case(case_id=case_id, project="breast", eligible_on=D(2025, 1, 2), status="enrolled",
                   enrolled_on=D(2025, 1, 5)))
        s.add(Case(case_id="K-2", project="lung", eligible_on=D(2025, 1, 2), status="enrolled",
                   enrolled_on=D(2025, 1, 5)))
    assert first_of(scaled, case_id) is None
    later = dosimetry.save_submission(scaled, DosimetryRecord(case_id, D(2025, 3, 1), "PH", "VMAT", 50.0, 25))
    assert first_of(scaled, case_id) == "2025-03-01"
    earlier = dosimetry.save_submission(scaled, DosimetryRecord(case_id, D(2025, 2, 1), "PH", "VMAT", 50.0, 25))
    assert first_of(scaled, case_id) == "2025-02-01"
    # the earlier one moved after the other: the earliest is the other's
    with scaled.reader() as s:
        row = s.get(DosimetrySubmission, earlier.key[0])
        record = DosimetryRecord(case_id, D(2025, 4, 1), "PH", "VMAT", 50.0, 25, version=row.version)
    moved = dosimetry.save_submission(scaled, record, submission_id=earlier.key[0])
    assert first_of(scaled, case_id) == "2025-03-01"
    undo(scaled, moved)
    assert first_of(scaled, case_id) == "2025-02-01"
    deleted = dosimetry.delete_submission(scaled, later.key[0])
    dosimetry.delete_submission(scaled, earlier.key[0])
    assert first_of(scaled, case_id) is None
    undo(scaled, deleted)  # the deleted one back
    assert first_of(scaled, case_id) == "2025-03-01"
    # moved to another case (a raw statement too: the database keeps it, not the app)
    with scaled.engine.begin() as c:
        c.execute(text("UPDATE dosimetry_submissions SET case_id = 'K-2' WHERE case_id = :c"), {"c": case_id})
    assert first_of(scaled, case_id) is None and first_of(scaled, "K-2") == "2025-03-01"
    # a case changed by the app (its object loaded before the date changed) never writes it back
    with scaled.transaction(Permission.IMPORT) as s:
        case = s.get(Case, "K-2")
        s.add(DosimetrySubmission(case_id="K-2", submitted_on=D(2025, 1, 20), staff_id="PH", technique="vmat",
                                  total_dose_gy=50.0, fractions=25, metrics={}))
        s.flush()
        case.payer = "bcbsm"
    assert first_of(scaled, "K-2") == "2025-01-20"
    assert kept_wrong(scaled) == []


def test_the_workbook_import_keeps_the_date(tmp_path) -> None:
    from app.demo.generator import DemoOptions, generate_demo
    from app.workbook.exporter import export_workbook
    from app.workbook.importer import import_workbook
    from tests.support import create

    source = create(tmp_path / "demo.sqlite3", lambda db: generate_demo(db, DemoOptions(years=1, seed=3, as_of=AS_OF)))
    out = tmp_path / "book.zip"
    export_workbook(source, out, identified=True)
    source.dispose()
    fresh = create(tmp_path / "fresh.sqlite3")
    try:
        import_workbook(fresh, out, as_of=AS_OF)
        assert kept_wrong(fresh) == []
        with fresh.engine.connect() as c:
            assert c.scalar(text("SELECT count(*) FROM cases WHERE first_dosimetry_on IS NOT NULL")) > 50
    finally:
        fresh.dispose()


def test_the_re_keyed_and_restored_database_keeps_its_triggers(scaled) -> None:
    from app.security.rekey import rekey_database
    from tests.support import reopen

    path = scaled.engine.url.database
    rekey_database(scaled, "test")
    scaled.dispose()
    scaled = reopen(path)
    with scaled.transaction(Permission.IMPORT) as s:
        s.add(Case(case_id="R-1", project="breast", eligible_on=D(2025, 1, 2), status="enrolled",
                   enrolled_on=D(2025, 1, 5)))
    dosimetry.save_submission(scaled, DosimetryRecord("R-1", D(2025, 2, 1), "PH", "VMAT", 50.0, 25))
    assert first_of(scaled, "R-1") == "2025-02-01" and kept_wrong(scaled) == []


def test_the_kept_date_is_never_an_audit_entry_nor_unexplained(scaled) -> None:
    from app.services.maintenance import verify_database

    with scaled.transaction(Permission.IMPORT) as s:  # a case the log records, compared by the replay
        s.add(Case(case_id="A-1", project="lung", eligible_on=D(2025, 1, 2), status="enrolled",
                   enrolled_on=D(2025, 1, 5)))
    dosimetry.save_submission(scaled, DosimetryRecord("A-1", D(2025, 2, 1), "PH", "VMAT", 50.0, 25))
    assert first_of(scaled, "A-1") == "2025-02-01"
    with scaled.engine.connect() as c:
        assert c.scalar(text("SELECT count(*) FROM audit_log WHERE after LIKE '%first_dosimetry_on%'")) == 0
    problems = verify_database(scaled).problems
    assert problems and not [p for p in problems if "A-1" in p]  # (the fixture's bulk rows are reported)
