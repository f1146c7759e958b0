"""What the window reads of a database before its sign-in dialog shows, without SQLAlchemy
(``app.security.before_sign_in``), is what SQLAlchemy and the full checks would have read."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from app.paths import sqlite_url, written_sqlite_path
from app.security.before_sign_in import needs_administrator, sqlite_file
from app.storage.database import sqlite_path
from app.storage.errors import DatabaseError
from tests.support import create

FIXTURE = Path(__file__).resolve().parents[1] / "data" / "schema-0003.sqlite3"


@pytest.mark.parametrize("name", ["facility.sqlite3", "with space.sqlite3", "at@sign.db", "hash#x.db",
                                  "percent%20.db", "ünï cödé.db", "colon:x.db", "semi;colon.db", "ask?.db"])
def test_a_file_url_is_read_as_sqlalchemy_reads_it(tmp_path: Path, name: str) -> None:
    url = sqlite_url(tmp_path / name)
    assert sqlite_file(url) == sqlite_path(url)
    assert written_sqlite_path(url) == sqlite_path(url) == (tmp_path / name).resolve()  # the file named, exactly


@pytest.mark.parametrize("name", ["a%20b.sqlite3", "ask?mode=ro.sqlite3", "100%.sqlite3"])
def test_a_database_named_with_percent_or_question_mark_is_that_file(tmp_path: Path, name: str,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """``--db 'a%20b.sqlite3'`` opened ``a b.sqlite3`` (SQLAlchemy unquotes a URL's path) and a
    name with ``?`` a shorter one: another file than the one named. Each is its own file now,
    created, signed in to and checked by the command line as named, and nothing else written."""
    from tests.support import cli

    (tmp_path / "a b.sqlite3").write_bytes(b"someone else's file")
    assert cli(["init", "--db", tmp_path / name, "--facility", "Test"]) == 0
    capsys.readouterr()
    assert cli(["check", "--db", tmp_path / name, "--as-of", "2025-06-30"]) in (0, 1)  # 1: findings
    assert capsys.readouterr().out.startswith("Test: as of 2025-06-30")
    written = {p.name for p in tmp_path.iterdir()}
    assert name in written and f"{name}.keys" in written
    assert all(p.startswith(name) or p == "a b.sqlite3" for p in written), written
    assert (tmp_path / "a b.sqlite3").read_bytes() == b"someone else's file"


@pytest.mark.parametrize("url", ["sqlite:///relative.db", "sqlite://", "sqlite:///:memory:",
                                 "sqlite:////abs/file.db?mode=ro", "sqlite+pysqlite:////abs/file.db",
                                 "postgresql+psycopg://dana@db.example.org/mroqc"])
def test_any_other_url_is_left_to_sqlalchemy(url: str) -> None:
    assert written_sqlite_path(url) is None
    assert sqlite_file(url) == sqlite_path(url)


def test_an_encrypted_database_needs_no_administrator(tmp_path: Path) -> None:
    create(tmp_path / "facility.sqlite3").dispose()
    assert needs_administrator(sqlite_url(tmp_path / "facility.sqlite3")) is False


def test_an_earlier_versions_plain_file_needs_its_administrator(tmp_path: Path) -> None:
    shutil.copy(FIXTURE, tmp_path / "old.sqlite3")
    assert needs_administrator(sqlite_url(tmp_path / "old.sqlite3")) is True


def test_a_missing_or_empty_file_needs_none_and_another_programs_file_is_refused(tmp_path: Path) -> None:
    assert needs_administrator(sqlite_url(tmp_path / "missing.sqlite3")) is False
    (tmp_path / "empty.sqlite3").write_bytes(b"")
    assert needs_administrator(sqlite_url(tmp_path / "empty.sqlite3")) is False
    with sqlite3.connect(tmp_path / "notes.sqlite3") as conn:
        conn.execute("CREATE TABLE notes (text TEXT)")
    conn.close()
    with pytest.raises(DatabaseError, match="belongs to another program"):
        needs_administrator(sqlite_url(tmp_path / "notes.sqlite3"))
