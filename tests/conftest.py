"""Shared fixtures: a fresh database per test, a private data folder, offscreen Qt."""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from app.security.policy import KdfCost, security_policy  # noqa: E402
from app.services.facility import FacilityDetails, save_facility  # noqa: E402
from app.storage.database import Database  # noqa: E402
from tests.support import create  # noqa: E402

PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
TODAY = dt.date(2026, 11, 23)


@pytest.fixture(autouse=True)
def _private_data_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing a test does touches the real user's data folder or default database."""
    monkeypatch.setenv("MROQC_DESK_DATA_DIR", str(tmp_path_factory.mktemp("data")))
    monkeypatch.delenv("MROQC_DESK_DB_URL", raising=False)


CHEAP_KDF = KdfCost(time_cost=1, memory_kib=8, parallelism=1)


@pytest.fixture(autouse=True, scope="session")
def cheap_kdf() -> Iterator[None]:
    """Argon2id at its lowest cost for tests (each slot and hash records its own parameters).
    Session-wide, so the databases that module fixtures build (a demo per GUI module) are opened
    as cheaply as a test's own; processes a test starts (the command line, the crash tests) keep
    the real cost."""
    import dataclasses

    import app.security.passwords as passwords

    cheap = dataclasses.replace(security_policy(), kdf=CHEAP_KDF)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(passwords, "security_policy", lambda: cheap)
        yield


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "facility.sqlite3"


@pytest.fixture
def empty_db(db_path: Path) -> Iterator[Database]:
    """A new database with its administrator signed in, and no facility yet."""
    db = create(db_path)
    yield db
    db.dispose()


@pytest.fixture
def db(empty_db: Database) -> Database:
    """A migrated database with a facility record."""
    save_facility(
        empty_db,
        FacilityDetails(
            name="Lakeside Cancer Center",
            radiation_oncologists=4,
            joined_on=dt.date(2019, 3, 1),
            baseline_year=2019,
        ),
        today=TODAY,
    )
    return empty_db


def _pg_available() -> str | None:
    try:
        import psycopg

        with psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=test", connect_timeout=2):
            return None
    except Exception as exc:  # any failure means: no usable server here
        return f"PostgreSQL at 127.0.0.1:5432 is not reachable ({type(exc).__name__})"


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A brand-new PostgreSQL database on the local server, dropped afterwards."""
    reason = _pg_available()
    if reason:
        if os.environ.get("MROQC_DESK_REQUIRE_PG"):
            pytest.fail(f"{reason}; CI requires the PostgreSQL tests to run")
        pytest.skip(reason)
    import psycopg

    name = f"mroqc_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=test", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        drop_pg_database(name)


def drop_pg_database(name: str, extra_roles: tuple[str, ...] = ()) -> None:
    """Drop a test database and the roles the app made for it (roles are the cluster's: the groups,
    the door, the recovery key's login and every person's ``PREFIX.name`` login)."""
    import psycopg

    from app.storage.server_names import ServerNames

    names = ServerNames.of_database(name)
    with psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=test", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        roles = [r for (r,) in conn.execute("SELECT rolname FROM pg_roles") if names.is_ours(r) or r in extra_roles]
        for role in sorted(roles, key=lambda r: (r in names.own_roles(), r)):
            conn.execute(f'DROP ROLE IF EXISTS "{role}"')
