"""Issue 28 at a million cases: the register's text filter finds its cases from a trigram index of
the case IDs (migration 0016), gives the same cases as ``LIKE`` did, and the index stays in step
with the cases however they are written (a save, a delete, an undo, the import, raw SQL, VACUUM)."""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter

import pytest
from alembic import command
from sqlalchemy import func, insert, select, text

from app.domain.permissions import Permission
from app.domain.records import CaseRecord
from app.services import register
from app.services.cases import delete_case, save_case
from app.services.editing import undo
from app.services.register import (
    RegisterQuery,
    count_cases,
    fetch_page,
    find_cases,
    trigram_candidates,
)
from app.storage.database import alembic_config
from app.storage.models import Case

D = dt.date
#: IDs with what a pattern or a phrase could take for its own: %, _, the escape, quotes, short IDs,
#: letters in both cases and beyond ASCII
ODD_IDS = ("A_B%12", "AXB%12", "a/b-77", 'Q"1x', "mrq-x", "MRQ-X9", "Ünï-é", "ünï-2", "AB", "z", "12", "x y z",
           "  ", "MRQ-00012", "mrq-00123")


def ascii_lower(s: str) -> str:
    """What SQLite's LIKE compares: ASCII letters folded, nothing else."""
    return "".join(c.lower() if c.isascii() else c for c in s)


def reference(ids, search: str) -> set[str]:  # type: ignore[no-untyped-def]
    """The register's text filter as it always was: the text anywhere in the ID, ASCII case aside."""
    wanted = ascii_lower(search.strip())
    return {i for i in ids if wanted in ascii_lower(i)}


@pytest.fixture
def ids(db):  # type: ignore[no-untyped-def]
    rng = random.Random(16)
    made = [f"MRQ-{n:05d}" for n in rng.sample(range(100_000), 600)] + list(ODD_IDS)
    with db.transaction(Permission.IMPORT) as session:
        session.execute(insert(Case), [{"case_id": i, "project": "breast", "eligible_on": D(2024, 1, 1)
                                        + dt.timedelta(days=rng.randrange(400)), "status": "pending"} for i in made])
    return made


def indexed(db) -> Counter:  # type: ignore[no-untyped-def]
    with db.engine.connect() as c:
        return Counter(r[0] for r in c.execute(text("SELECT case_id FROM case_id_search")))


def held(db) -> Counter:  # type: ignore[no-untyped-def]
    with db.engine.connect() as c:
        return Counter(r[0] for r in c.execute(text("SELECT case_id FROM cases")))


def found(db, search: str) -> tuple[int, set[str]]:  # type: ignore[no-untyped-def]
    query = RegisterQuery(search=search)
    return count_cases(db, query), {r[0] for r in fetch_page(db, query, 0, 5000)}


SEARCHES = ("123", "mrq", "MRQ-0", "0001", "A_B", "_B%", "B%1", "%", "_", "/b", 'q"1', '"', "ünï", "ÜNÏ", "Ünï",
            "x y", "  x", "12", "z", "no such case", "MRQ-00012", "rq-00123 ", "é")


@pytest.mark.parametrize("search", SEARCHES)
def test_the_index_finds_what_like_found(db, ids, search: str) -> None:
    expected = reference(ids, search)
    assert found(db, search) == (len(expected), expected)


@pytest.mark.parametrize("up_to", [0, 5, 10_000])
def test_either_way_of_reading_gives_the_same_cases(db, ids, up_to: int, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The count and the page choose the index or every case ID by the candidates it offers: each
    way, whatever the threshold, the same cases."""
    monkeypatch.setattr(register, "COUNT_FROM_INDEX_UP_TO", up_to)
    monkeypatch.setattr(register, "PAGE_FROM_INDEX_UP_TO", up_to)
    for search in SEARCHES:
        expected = reference(ids, search)
        assert found(db, search) == (len(expected), expected), search
        hits = {h.case_id for h in find_cases(db, search, limit=5000)}
        assert hits == expected, search


def plan(db, stmt) -> str:  # type: ignore[no-untyped-def]
    compiled = stmt.compile(db.engine, compile_kwargs={"literal_binds": True})
    with db.engine.connect() as c:
        return " | ".join(row[3] for row in c.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}"))


def test_a_selective_text_is_counted_from_the_index_a_common_one_by_every_id(db, ids, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    def count_plan(search: str) -> str:
        query = RegisterQuery(search=search)
        up_to = register.COUNT_FROM_INDEX_UP_TO
        stmt = register._filtered(query, select(func.count()).select_from(Case), "sqlite",
                                  from_index=register.index_answers(db, query.search, up_to))
        return plan(db, stmt)

    assert "VIRTUAL TABLE" in count_plan("00012") and "SCAN cases" not in count_plan("00012")
    assert "VIRTUAL TABLE" not in count_plan("12")  # two characters: no trigram
    monkeypatch.setattr(register, "COUNT_FROM_INDEX_UP_TO", 100)
    assert trigram_candidates(db, "MRQ", 100) == 101  # counted no further than needed
    assert "VIRTUAL TABLE" not in count_plan("MRQ")


def test_the_index_follows_every_way_a_case_is_written(db, ids) -> None:
    assert indexed(db) == held(db)
    save_case(db, CaseRecord("NEW-4242", "lung", D(2025, 1, 1)))
    assert found(db, "4242") == (1, {"NEW-4242"})
    gone = delete_case(db, "MRQ-X9")
    short = delete_case(db, "AB")
    assert found(db, "rq-x9") == (0, set()) and indexed(db) == held(db)
    undo(db, gone)
    undo(db, short)
    assert found(db, "rq-x9") == (1, {"MRQ-X9"}) and indexed(db) == held(db)
    with db.engine.begin() as c:  # raw statements: the database keeps it, not the app
        c.execute(text("UPDATE cases SET case_id = 'RENAMED-1' WHERE case_id = 'mrq-x'"))
        c.execute(text("UPDATE cases SET case_id = 'ZZ' WHERE case_id = 'z'"))
        c.execute(text("UPDATE cases SET case_id = 'long-again' WHERE case_id = 'AB'"))
        c.execute(text("UPDATE cases SET note = 'only the note' WHERE case_id = 'A_B%12'"))
        c.execute(text("DELETE FROM cases WHERE case_id = 'Q\"1x' OR case_id = '12'"))
    assert indexed(db) == held(db)
    assert found(db, "renamed") == (1, {"RENAMED-1"}) and found(db, "mrq-x") == (1, {"MRQ-X9"})
    assert found(db, 'q"1') == (0, set())


def test_vacuum_and_a_duplicate_text_elsewhere_do_not_unsettle_it(db, ids) -> None:
    """The index keeps its own copy of each ID: a VACUUM may renumber the cases' rows, and a later
    delete still removes that ID's entry, not another's."""
    with db.engine.connect() as c:
        c.execute(text("DELETE FROM cases WHERE case_id IN (SELECT case_id FROM cases ORDER BY case_id LIMIT 200)"))
        c.commit()
        c.exec_driver_sql("VACUUM")
    for case_id in ("MRQ-X9", "mrq-x", "ünï-2"):
        delete_case(db, case_id)
    assert indexed(db) == held(db)
    remaining = list(held(db))
    for search in SEARCHES:
        expected = reference(remaining, search)
        assert found(db, search) == (len(expected), expected), search


def test_the_migration_indexes_the_cases_held(db, ids) -> None:
    with db.engine.begin() as connection:
        command.downgrade(alembic_config(connection), "0015")
    with db.engine.connect() as c:
        assert c.scalar(text("SELECT count(*) FROM sqlite_master WHERE name LIKE 'case_id_search%'")) == 0
    with db.engine.begin() as connection:
        command.upgrade(alembic_config(connection), "head")
    assert indexed(db) == held(db) and len(held(db)) == len(ids)
    expected = reference(ids, "0001")
    assert found(db, "0001") == (len(expected), expected)


def test_a_re_keyed_database_keeps_the_index_and_its_triggers(db, ids) -> None:
    """A re-key writes the file again (SQLCipher's export, as VACUUM copies): the index comes along
    and its triggers still keep it."""
    from app.security.rekey import rekey_database
    from tests.support import reopen

    path = db.engine.url.database
    rekey_database(db, "test")
    db.dispose()
    again = reopen(path)
    try:
        assert indexed(again) == held(again)
        save_case(again, CaseRecord("AFTER-REKEY-1", "lung", D(2025, 1, 1)))
        delete_case(again, "MRQ-X9")
        assert indexed(again) == held(again)
        assert found(again, "after-rekey") == (1, {"AFTER-REKEY-1"})
    finally:
        again.dispose()


def test_a_page_of_a_known_large_match_does_not_ask_the_index_again(db, ids, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A page read with its ``total`` known: more matches than a page reads from the index means
    more candidates too, so the index is not asked (each page of a scroll would ask it)."""
    asked: list[str] = []
    real = register.trigram_candidates
    monkeypatch.setattr(register, "trigram_candidates", lambda db, text, up_to: (asked.append(text), real(db, text, up_to))[1])
    monkeypatch.setattr(register, "PAGE_FROM_INDEX_UP_TO", 10)
    query = RegisterQuery(search="MRQ")
    total = count_cases(db, query)
    asked.clear()
    page = fetch_page(db, query, 0, 50, total=total)
    assert asked == [] and len(page) == 50 and total > 10
    fetch_page(db, RegisterQuery(search="00012"), 0, 50, total=2)
    assert asked == ["00012"]
