"""Issue 13's targets, through the real command line, for every file of the fuzz corpus.

Each input is imported into an existing database (a fresh copy each time; this file) and into a
new ``--db`` file (``test_fuzz_import_new.py``: the two run on two workers), by a child of the
fork server (``tests.fuzz.harness``), the first input of each family by a fresh interpreter in one
of the two. Every run must exit 0, 1 or 2 with a clear answer and no traceback, within
``MAX_RSS_MB`` of memory; a refused import must leave the existing database's data exactly as it
was and leave no file behind for the new one. Figures for the record are printed (``-s``) and,
with ``MROQC_FUZZ_REPORT=FILE``, written as JSON.
"""

from __future__ import annotations

import collections
import shutil
from pathlib import Path

import pytest

from app.security.keyfile import key_file_for
from app.workbook.importer import import_workbook
from tests.fuzz import harness
from tests.fuzz.corpus import build
from tests.fuzz.harness import clear_answer, run_cli
from tests.support import ADMIN, PASSWORD, create, reopen
from tests.unit.test_workbook import VALID, write_folder

pytestmark = pytest.mark.slow(45)  # seconds on a quiet two-core machine: its file runs first

MAX_RSS_MB = 500
NEW_ADMIN, NEW_PASSWORD = "fuzz-admin", "fuzz password 4567"
#: Bookkeeping every signed-in command writes (who signed in, when): not the workbook's data.
SIGN_IN_COLUMNS = {("users", "last_sign_in_at")}


def content(path: Path) -> dict[str, list[tuple]]:
    """Every table's rows, less the sign-in bookkeeping (the audit log's sign-in notes, its end)."""
    from sqlalchemy import text

    db = reopen(path)
    try:
        with db.reader() as session:
            # audit_signatures: each sign-in's own entry is signed, like every transaction (bookkeeping)
            tables = [r[0] for r in session.execute(text("SELECT name FROM sqlite_master WHERE type = 'table' AND name "
                                                         "NOT IN ('audit_head', 'alembic_version', 'audit_signatures')"))]
            dump = {}
            for table in sorted(tables):
                columns = [r[1] for r in session.execute(text(f"PRAGMA table_info({table})"))
                           if (table, r[1]) not in SIGN_IN_COLUMNS]
                where = " WHERE NOT (table_name = 'users' AND action = 'note')" if table == "audit_log" else ""
                rows = session.execute(text(f"SELECT {', '.join(columns)} FROM {table}{where}"))
                dump[table] = sorted((tuple(r) for r in rows), key=repr)
    finally:
        db.dispose()
    return dump


@pytest.fixture
def base(tmp_path: Path) -> Path:
    """A facility database holding the valid workbook, created with the test administrator."""
    path = tmp_path / "base" / "facility.sqlite3"
    path.parent.mkdir()
    db = create(path)
    import_workbook(db, write_folder(tmp_path / "valid", VALID))
    db.dispose()
    return path


def fresh_copy(base: Path, folder: Path) -> Path:
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir()
    for source in (base, key_file_for(base)):
        shutil.copy2(source, folder / source.name)
    return folder / base.name


def report(part: str, figures: dict) -> None:
    """The figures of ``part``, printed and (``MROQC_FUZZ_REPORT``) written."""
    harness.report("MROQC_FUZZ_REPORT", part, figures)


def fresh_interpreter_for_first_of_each_family(corpus: list, share: int) -> list[tuple[object, bool]]:
    """Each input with whether it runs in a fresh interpreter or as a child of the fork server.
    The families are shared between this suite's two tests (``share`` 0: an existing database,
    1: a new one, by the family's place in the corpus): the first input of each family runs in a
    fresh interpreter in one of them, the rest as children, so both ways of starting are exercised
    on every family without paying a fresh interpreter (and the real Argon2id cost) twice for it."""
    order = list(dict.fromkeys(item.family for item in corpus))
    seen: set[str] = set()
    chosen = []
    for item in corpus:
        chosen.append((item, item.family not in seen and order.index(item.family) % 2 == share))
        seen.add(item.family)
    return chosen


def test_every_corpus_file_gets_a_clear_answer_in_an_existing_database(base: Path, tmp_path: Path) -> None:
    corpus = build(tmp_path / "corpus", seed=13)
    before = content(base)
    failures: list[str] = []
    codes: collections.Counter[str] = collections.Counter()
    families: dict[str, collections.Counter[int]] = collections.defaultdict(collections.Counter)
    peak = 0.0
    bytes_changed = 0
    for item, real in fresh_interpreter_for_first_of_each_family(corpus, share=0):
        work = fresh_copy(base, tmp_path / "work")
        original = work.read_bytes()
        run = run_cli(["import", "--db", str(work), "--user", ADMIN, "--password-stdin", str(item.path)], PASSWORD + "\n",
                      real=real)
        codes[f"existing:{run.code}"] += 1
        families[item.family][run.code] += 1
        peak = max(peak, run.max_rss_mb)
        problem = clear_answer(run)
        if problem is None and item.valid and run.code != 0:
            problem = f"a valid workbook was refused: {run.stderr.strip()[:300]}"
        if problem is None and run.code != 0:
            bytes_changed += work.read_bytes() != original
            if content(work) != before:
                problem = "a refused import changed the database"
        if problem is None and run.max_rss_mb > MAX_RSS_MB:
            problem = f"used {run.max_rss_mb:.0f} MB"
        if problem:
            failures.append(f"{item.name} (existing database): {problem}")

    report("existing database", {
        "inputs": len(corpus), "runs": len(corpus), "exit_codes": dict(sorted(codes.items())),
        "by_family": {f: dict(c) for f, c in sorted(families.items())}, "max_rss_mb": round(peak, 1),
        "refused_imports_whose_file_bytes_changed": bytes_changed, "failures": failures})
    assert not failures, "\n".join(failures)
