"""Opening a facility database: validate the file, migrate it, hand out audited sessions.

A database is opened only through ``open_database``. It refuses anything that is not an MROQC
Facility Desk database (never overwriting it), refuses a schema from a newer app version, copies
a SQLite file before migrating it, and runs Alembic to head with each step in its own
transaction.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

# the light helpers live in app.paths (the window needs them before SQLAlchemy loads); re-exported here
from app.paths import resolve_url, sqlite_url  # noqa: F401
from app.storage import audit
from app.storage.errors import DatabaseError
from app.storage.schema_version import HEAD_REVISION

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
SQLITE_HEADER = b"SQLite format 3\x00"
OUR_TABLES = {"facility", "cases", "staff"}


def sqlite_path(url: str) -> Path | None:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    return Path(parsed.database)


def alembic_config(connection=None) -> Config:  # type: ignore[no-untyped-def]
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def _check_sqlite_file(path: Path, must_exist: bool) -> None:
    if not path.exists():
        if must_exist:
            raise DatabaseError(
                f"No database at {path}. Create one with 'mroqc-desk init --db {path} --facility NAME'."
            )
        if not path.parent.exists():
            raise DatabaseError(f"The folder {path.parent} does not exist.")
        return
    if path.is_dir():
        raise DatabaseError(f"{path} is a folder, not a database file.")
    if path.stat().st_size == 0:
        return
    with path.open("rb") as handle:
        header = handle.read(len(SQLITE_HEADER))
    if header != SQLITE_HEADER:
        raise DatabaseError(f"{path} is not an MROQC Facility Desk database (not a SQLite file); it was left untouched.")
    try:  # reads the schema page only; 'mroqc-desk verify' checks every page
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as probe:
            probe.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.DatabaseError as exc:
        raise DatabaseError(f"{path} is damaged and cannot be read ({exc}); restore a backup.") from None


def _sqlite_pragmas(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.close()


def create_db_engine(url: str) -> Engine:
    if make_url(url).get_backend_name() == "sqlite":
        engine = create_engine(url, connect_args={"check_same_thread": False}, hide_parameters=True)
        _sqlite_pragmas(engine)
        return engine
    return create_engine(url, pool_pre_ping=True, hide_parameters=True)


def copy_sqlite(source: Path, target: Path) -> None:
    """A consistent copy through SQLite's online backup (safe while others read)."""
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)


def _recorded_revision(engine: Engine) -> str | None:
    """The revision stamped in the database, read with plain SQL (no Alembic import)."""
    try:
        with engine.connect() as connection:
            return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except SQLAlchemyError:
        return None


def _current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def _migrate(engine: Engine, path: Path | None) -> None:
    if _recorded_revision(engine) == HEAD_REVISION:
        return  # the everyday case: up to date, and Alembic stays unimported
    from alembic import command
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config())
    head = script.get_current_head()
    current = _current_revision(engine)
    tables = set(inspect(engine).get_table_names())
    if current is None and tables - {"alembic_version"}:
        if not OUR_TABLES & tables:
            raise DatabaseError("This database belongs to another program; it was left untouched.")
        raise DatabaseError("This database has no schema version; it was left untouched.")
    if current is not None:
        try:
            script.get_revision(current)
        except Exception:
            raise DatabaseError(
                f"This database was written by a newer version of MROQC Facility Desk (schema {current}). "
                "Install the newer version to open it."
            ) from None
    if current == head:
        return
    if current is not None and path is not None and path.exists():
        copy_sqlite(path, path.with_name(f"{path.stem}.before-{head}{path.suffix}"))
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), "head")


@dataclass
class Database:
    """An open, migrated facility database."""

    url: str
    engine: Engine
    path: Path | None
    _sessions: sessionmaker[Session]

    @contextmanager
    def transaction(self, user: str | None = None, at=None) -> Iterator[Session]:
        """One audited unit of work: everything in it commits together or not at all."""
        with self._sessions() as session:
            session.info.update(
                audited=True,
                user=user or audit.current_user(),
                change_set=audit.new_change_set(),
                at=at,
            )
            with session.begin():
                yield session

    @contextmanager
    def reader(self) -> Iterator[Session]:
        """A read-only session (no audit, nothing committed)."""
        with self._sessions() as session:
            yield session  # closing detaches loaded objects without expiring them

    def dispose(self) -> None:
        self.engine.dispose()

    @property
    def display_name(self) -> str:
        return str(self.path) if self.path else make_url(self.url).render_as_string(hide_password=True)


def open_database(url: str, *, create: bool = False, migrate: bool = True) -> Database:
    """Open (and if needed create and migrate) the database at ``url``.

    ``create=False`` refuses a SQLite path that does not exist, so a typo never silently
    starts an empty facility.
    """
    path = sqlite_path(url)
    if path is not None:
        _check_sqlite_file(path, must_exist=not create)
    try:
        engine = create_db_engine(url)
        if migrate:
            _migrate(engine, path)
    except DatabaseError:
        raise
    except SQLAlchemyError as exc:
        reason = str(exc.orig if hasattr(exc, "orig") and exc.orig else exc).splitlines()[0]
        raise DatabaseError(f"Cannot open the database: {reason}") from None
    return Database(url=url, engine=engine, path=path, _sessions=sessionmaker(engine, expire_on_commit=False))
