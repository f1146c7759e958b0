"""Shared fixtures: a fresh database per test, a private data folder, offscreen Qt."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from app.services.facility import FacilityDetails, save_facility  # noqa: E402
from app.storage.database import Database  # noqa: E402
from bench.scratch_pg import LOCAL_SERVER, drop_database, new_database, url_of  # noqa: E402
from tests.support import cheap_security_policy, create  # noqa: E402

PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
TODAY = dt.date(2026, 11, 23)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The files holding a ``slow`` test first, longest first (``slow(seconds)``: about how long
    the file takes on a quiet two-core machine), then the others by their number of tests (most
    first): each file runs on one worker (``--dist loadfile``) in this order, so the longest ones
    start at once instead of last (``dev.py`` turns off xdist's own reorder, by count alone,
    which put the one-test fuzz file at the very end)."""
    files: dict[str, list[pytest.Item]] = {}
    for item in items:
        files.setdefault(item.nodeid.split("::", 1)[0], []).append(item)

    def expected_seconds(group: list[pytest.Item]) -> float:
        marks = [m for i in group for m in i.iter_markers("slow")]
        return max((float(m.args[0]) if m.args else 10.0 for m in marks), default=0.0)

    order = sorted(files.values(), key=lambda group: (-expected_seconds(group), -len(group)))
    items[:] = [item for group in order for item in group]


@pytest.fixture(autouse=True)
def _private_data_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing a test does touches the real user's data folder or default database."""
    monkeypatch.setenv("MROQC_DESK_DATA_DIR", str(tmp_path_factory.mktemp("data")))
    monkeypatch.delenv("MROQC_DESK_DB_URL", raising=False)


@pytest.fixture(autouse=True, scope="session")
def cheap_kdf() -> Iterator[None]:
    """Argon2id at its lowest cost for tests (each slot and hash records its own parameters).
    Session-wide, so the databases that module fixtures build (a demo per GUI module) are opened
    as cheaply as a test's own; so are the fork server's children (``tests.fuzz.forkserver``);
    a fresh interpreter a test starts keeps the real cost."""
    import app.security.passwords as passwords

    cheap = cheap_security_policy()
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

        with psycopg.connect(LOCAL_SERVER, connect_timeout=2):
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
    name = new_database()
    try:
        yield url_of(name)
    finally:
        drop_pg_database(name)


def drop_pg_database(name: str, extra_roles: tuple[str, ...] = ()) -> None:
    """Drop a test database and the roles the app made for it (``bench.scratch_pg``)."""
    drop_database(name, extra_roles)
