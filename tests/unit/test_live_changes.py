"""Live screens and server trouble: a change committed at one workstation reaches the other's
change signal (PostgreSQL NOTIFY, SQLite polling) and not its own twice; a connection the server
drops mid-save is reported as not saved, with nothing half-written, and the next save works."""

from __future__ import annotations

import dataclasses
import datetime as dt
import queue
import threading
import time

import psycopg
import pytest
from sqlalchemy import func, select, text

from app.domain.records import CaseRecord
from app.services import cases
from app.storage.changes import DataChanged, notice, read_notice
from app.storage.errors import ConnectionLost
from app.storage.models import AuditEntry, Case
from app.storage.watch import ChangeWatcher
from tests.support import as_role, create, reopen

D = dt.date(2025, 3, 1)


@pytest.fixture(params=["sqlite", "postgresql"])
def two_workstations(request, db):  # type: ignore[no-untyped-def]
    if request.param == "sqlite":
        first, second = db, reopen(db.path)
    else:
        url = request.getfixturevalue("pg_url")
        first = create(url)
        second = reopen(url)
    yield as_role(first, "coordinator", "cda1"), as_role(second, "coordinator", "cda2")
    second.dispose()
    if request.param == "postgresql":
        first.dispose()


def _heard(db, **options) -> tuple[ChangeWatcher, queue.Queue[DataChanged], queue.Queue[bool]]:  # type: ignore[no-untyped-def]
    changes: queue.Queue[DataChanged] = queue.Queue()
    states: queue.Queue[bool] = queue.Queue()
    db.subscribe(changes.put)
    watcher = ChangeWatcher(db, states.put, poll_seconds=0.1, **options).start()
    assert watcher.listening.wait(5)  # listening before the other workstation writes
    return watcher, changes, states


def _next_elsewhere(changes: queue.Queue[DataChanged], within: float = 2.0) -> DataChanged:
    deadline = time.monotonic() + within
    while (left := deadline - time.monotonic()) > 0:
        change = changes.get(timeout=left)
        if change.elsewhere and change.facility_data:
            return change
    raise queue.Empty


def test_a_change_at_one_workstation_reaches_the_other_within_two_seconds(two_workstations) -> None:
    first, second = two_workstations
    watcher, changes, _ = _heard(second)
    try:
        started = time.monotonic()
        cases.save_case(first, CaseRecord(case_id="K1", project="breast", eligible_on=D, status="pending"))
        change = _next_elsewhere(changes)
        assert time.monotonic() - started < 2.0
        assert "cases" in change.tables
    finally:
        watcher.stop()


def test_a_change_committed_while_the_watcher_connects_is_caught_up(two_workstations) -> None:
    """The watcher's connection takes a moment (seconds on a busy machine or a slow network) while
    the screens read: a change another workstation commits meanwhile is announced once it
    listens, from the audit log, rather than never."""
    first, second = two_workstations
    connecting = threading.Event()

    class Slow(ChangeWatcher):
        def _watch_sqlite(self) -> None:
            connecting.wait(10)
            super()._watch_sqlite()

        def _watch_server(self) -> None:
            connecting.wait(10)
            super()._watch_server()

    changes: queue.Queue[DataChanged] = queue.Queue()
    second.subscribe(changes.put)
    watcher = Slow(second, poll_seconds=0.1).start()
    try:
        cases.save_case(first, CaseRecord(case_id="K7", project="breast", eligible_on=D, status="pending"))
        assert not watcher.listening.is_set()
        connecting.set()
        assert watcher.listening.wait(5)
        assert "cases" in _next_elsewhere(changes).tables
        cases.save_case(second, CaseRecord(case_id="K8", project="lung", eligible_on=D, status="pending"))
        with pytest.raises(queue.Empty):  # its own change: announced as it committed, never as elsewhere
            _next_elsewhere(changes, within=1.0)
    finally:
        watcher.stop()


def test_a_workstation_does_not_hear_its_own_change_twice(two_workstations) -> None:
    first, _ = two_workstations
    watcher, changes, _ = _heard(first)
    try:
        cases.save_case(first, CaseRecord(case_id="K1", project="breast", eligible_on=D, status="pending"))
        assert not changes.get(timeout=1).elsewhere  # announced once, as it committed
        with pytest.raises(queue.Empty):
            _next_elsewhere(changes, within=1.0)
    finally:
        watcher.stop()


def test_notify_reaches_a_second_plain_connection(pg_url) -> None:
    db = create(pg_url)
    try:
        with psycopg.connect(pg_url.replace("+psycopg", ""), autocommit=True) as listener:
            listener.execute("LISTEN mroqc_desk_changes")
            cases.save_case(as_role(db, "coordinator"), CaseRecord(case_id="K9", project="breast", eligible_on=D,
                                                                    status="pending"))
            heard = [read_notice(n.payload) for n in listener.notifies(timeout=2, stop_after=1)]
        assert heard and "cases" in heard[0][1]
    finally:
        db.dispose()


def test_a_payload_too_long_for_notify_says_everything() -> None:
    assert read_notice(notice("abc", [f"table_{i}" for i in range(2000)])) == ("abc", None)
    assert read_notice("not json") == (None, None)


def _terminate_others(pg_url: str, mine: int) -> None:
    with psycopg.connect(pg_url.replace("+psycopg", ""), autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                      "WHERE datname = current_database() AND pid <> pg_backend_pid() AND pid <> %s", (mine,))


def test_a_save_whose_connection_is_killed_is_not_saved_and_the_next_one_is(pg_url) -> None:
    db = as_role(create(pg_url), "coordinator")
    try:
        cases.save_case(db, CaseRecord(case_id="K1", project="breast", eligible_on=D, status="pending"))
        before = cases.get_case(db, "K1")
        with pytest.raises(ConnectionLost, match="not saved"), db.transaction(None) as session:
            session.get(Case, "K1").note = "half-way"
            session.flush()
            _terminate_others(pg_url, mine=-1)  # the server drops this workstation's connection mid-save
            session.execute(text("SELECT 1"))
        assert cases.get_case(db, "K1").note is None  # nothing of it committed
        saved = cases.save_case(db, dataclasses.replace(before, note="second try"), original_id="K1")
        assert saved is not None and cases.get_case(db, "K1").note == "second try"
        with db.reader() as session:
            assert session.scalar(select(func.count()).select_from(Case)) == 1  # no duplicate
            assert session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.table_name == "cases"
                                                                                      )) == 2
    finally:
        db.dispose()


def test_a_dropped_commit_that_did_commit_is_reported_as_saved(pg_url, monkeypatch) -> None:
    """The server committed, then the connection dropped before saying so: saved once, no error."""
    db = as_role(create(pg_url), "coordinator")
    try:
        dialect = type(db.engine.dialect)
        real_commit = dialect.do_commit

        def commit_then_drop(self, dbapi_connection):  # type: ignore[no-untyped-def]
            real_commit(self, dbapi_connection)
            dbapi_connection.pgconn.finish()  # the socket is gone before the answer to COMMIT arrives
            raise psycopg.OperationalError("server closed the connection unexpectedly")

        monkeypatch.setattr(dialect, "do_commit", commit_then_drop)
        cases.save_case(db, CaseRecord(case_id="K2", project="breast", eligible_on=D, status="pending"))
        monkeypatch.setattr(dialect, "do_commit", real_commit)
        assert cases.get_case(db, "K2").case_id == "K2"
        with db.reader() as session:
            assert session.scalar(select(func.count()).select_from(Case)) == 1
    finally:
        db.dispose()


def test_the_watcher_says_the_server_is_gone_and_back(pg_url) -> None:
    first = as_role(create(pg_url), "coordinator", "cda1")
    second = reopen(pg_url)
    watcher, changes, states = _heard(second, retry_seconds=0.2, ping_seconds=0.2)
    try:
        _terminate_others(pg_url, mine=-1)
        assert states.get(timeout=5) is False
        assert states.get(timeout=5) is True
        assert _next_elsewhere(changes, within=2).tables is None  # back: everything re-read once
        cases.save_case(first, CaseRecord(case_id="K3", project="breast", eligible_on=D, status="pending"))
        assert "cases" in _next_elsewhere(changes).tables
    finally:
        watcher.stop()
        second.dispose()
        first.dispose()


def test_watchers_stop_promptly(db) -> None:
    watcher = ChangeWatcher(db).start()
    stopper = threading.Thread(target=watcher.stop)
    stopper.start()
    stopper.join(3)
    assert not stopper.is_alive()
