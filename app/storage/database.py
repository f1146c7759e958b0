"""Opening a facility database: validate the file, migrate it, hand out audited sessions.

A database is opened through ``open_database`` (people reach it through ``app.security.signin``,
which finds the key and the signed-in user). It refuses anything that is not an MROQC Facility
Desk database (never writing to it), refuses a schema from a newer app version, keeps an
encrypted backup of a SQLite file before migrating it, and runs Alembic to head with each step in
its own transaction.

A SQLite database is encrypted with SQLCipher under a random 256-bit key given as a raw key (no
key derivation per connection: the passwords are stretched once, in the key slots). Its files
are private to the account (``app.storage.files``); temporary tables and sorts stay in memory.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, create_engine, event, func, inspect, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, ProgrammingError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from app.domain.permissions import Actor, Permission, authorize

# the light helpers live in app.paths (the window needs them before SQLAlchemy loads); re-exported here
from app.paths import resolve_url, sqlite_url  # noqa: F401
from app.storage import audit, server_roles
from app.storage.changes import CHANNEL, DataChanged, Listener, OwnChanges, notice
from app.storage.errors import (
    ConnectionLost,
    DamagedDatabase,
    DatabaseError,
    DatabaseReplaced,
    PlaintextDatabase,
)
from app.storage.files import make_private
from app.storage.key_slots import key_file_for
from app.storage.locks import OpenLock, hold_open, workstation_label
from app.storage.plain_file import OUR_TABLES, is_plain_sqlite
from app.storage.schema_version import HEAD_REVISION, KNOWN_REVISIONS
from app.storage.server_trouble import (
    CONNECT_TIMEOUT_SECONDS,
    ServerUnreachable,
    TroubleKind,
    is_connection_failure,
    is_local_host,
    server_trouble,
)

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
COMPANIONS = ("-wal", "-shm", "-journal")
#: Page cache per connection (KiB, as SQLite's negative cache_size): decrypted pages stay in
#: memory, so a re-sorted register does not decrypt the same pages again.
CACHE_KIB = 64 * 1024


def sqlite_path(url: str) -> Path | None:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    return Path(parsed.database)


def is_database_file(db_path: Path, path: Path) -> bool:
    """Whether writing ``path`` would write over the SQLite database ``db_path`` or one of its own
    files: the database, its key file, its ``-wal``/``-shm``/``-journal``, or any other name in its
    folder beginning with the database's name (SQLite and the key store own that family). A backup
    written as ``facility.sqlite3-wal`` would vanish when SQLite closes the database, and one over
    the key file would lock everyone out. Links to those files count as the files; names are
    compared without case, as Windows and macOS compare them."""
    db_path, path = Path(db_path).expanduser().resolve(), Path(path).expanduser().resolve()
    try:
        same_folder = os.path.samefile(db_path.parent, path.parent)
    except OSError:  # a folder that does not exist is no folder of the database's
        same_folder = db_path.parent == path.parent
    if same_folder and path.name.casefold().startswith(db_path.name.casefold()):
        return True

    family = [db_path, key_file_for(db_path), *(db_path.with_name(db_path.name + c) for c in COMPANIONS)]
    try:
        return any(os.path.samefile(path, own) for own in family if own.exists() and path.exists())
    except OSError:
        return False


#: Set on an upgrade's Alembic config when the caller makes the server's side of a shared database
#: (``app.storage.server_roles.install``) after the upgrade, as ``_migrate`` always does
SERVER_SIDE_AFTER = "server side made after the upgrade"


def alembic_config(connection=None) -> Config:  # type: ignore[no-untyped-def]
    # here, not at the top: Alembic takes ~0.3 s to load, and a current database opens without it
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


def _check_sqlite_file(path: Path, must_exist: bool, encrypted: bool) -> None:
    """Refuse, without writing to it, a path that cannot be this app's database."""
    if not path.exists():
        if must_exist:
            raise DatabaseError(
                f"No database at {path}. Create one with 'mroqc-desk init --db {path} --facility NAME --admin NAME'."
            )
        if not path.parent.exists():
            raise DatabaseError(f"The folder {path.parent} does not exist.")
        return
    if path.is_dir():
        raise DatabaseError(f"{path} is a folder, not a database file.")
    if path.stat().st_size == 0:
        raise DatabaseError(f"{path} is an empty file, not an MROQC Facility Desk database; it was left untouched.")
    if encrypted:
        return  # the key proves it: a wrong file fails to decrypt on the first read (see _first_read)
    if not is_plain_sqlite(path):
        raise DatabaseError(f"{path} is not an MROQC Facility Desk database (not a SQLite file); it was left untouched.")
    try:  # reads the schema page only; 'mroqc-desk verify' checks every page
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as probe:
            probe.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.DatabaseError as exc:
        raise DatabaseError(f"{path} is damaged and cannot be read ({exc}); restore a backup.") from None


def check_sqlite_file(path: Path, *, must_exist: bool = True, encrypted: bool = True) -> None:
    """Public name of the checks every SQLite path goes through before it is opened."""
    _check_sqlite_file(path, must_exist, encrypted)


def key_pragma(key: bytes) -> str:
    """SQLCipher's raw-key form: used as is, no per-connection key derivation."""
    return f"PRAGMA key = \"x'{key.hex()}'\""


def _sqlite_pragmas(engine: Engine, key: bytes | None) -> None:
    pragma = key_pragma(key) if key is not None else None

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        cursor = dbapi_connection.cursor()
        if pragma is not None:
            cursor.execute(pragma)  # before anything reads the file
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.execute("PRAGMA temp_store=MEMORY")  # no temporary file, encrypted or not, ever holds a row
        cursor.execute(f"PRAGMA cache_size=-{CACHE_KIB}")
        cursor.close()


_quiet_cipher = False


def load_ahead(url: str | None = None) -> None:
    """What the first opening of a database does before its first query, for a caller with time
    to spare (the window, while the person types their password): the models mapped to their
    tables (~0.02 s), SQLCipher's driver loaded and, given the database's ``url``, SQLAlchemy's
    dialect for it (SQLite's: ~0.025 s, which the engine made after the password otherwise
    imported then). Nothing is opened or read."""
    from sqlalchemy.orm import configure_mappers

    import app.storage.models  # noqa: F401 (the mappers to configure)

    configure_mappers()
    sqlcipher_module()
    if url is not None:
        make_url(url).get_dialect()


def sqlcipher_module():  # type: ignore[no-untyped-def]
    global _quiet_cipher
    try:
        import sqlcipher3.dbapi2 as module
    except ImportError:  # pragma: no cover - a dependency of the app
        raise DatabaseError("The encryption library (sqlcipher3) is not installed; reinstall MROQC Facility Desk.") from None
    if not _quiet_cipher:  # SQLCipher logs a wrong key's failed page check on stderr: the app says it in words
        _quiet_cipher = True
        probe = module.connect(":memory:")
        try:
            probe.execute("PRAGMA cipher_log_level = NONE")
        except module.DatabaseError:  # an older SQLCipher without the setting
            pass
        finally:
            probe.close()
    return module


def _check_server_url(url: str) -> None:
    """A server database away from this computer only over TLS, unless the URL says otherwise.

    libpq's default (``prefer``) silently falls back to an unencrypted connection, so a host other
    than this computer needs ``sslmode=require`` (or ``verify-ca``/``verify-full``), or an explicit
    ``sslmode=disable`` from whoever accepts the risk (a private network, an SSH tunnel). Refused as
    ``ServerUnreachable`` (``NOT_ENCRYPTED``), so the window offers to change the address."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        return
    host = parsed.host or str(parsed.query.get("host") or "")
    if is_local_host(host):
        return
    mode = str(parsed.query.get("sslmode") or "")
    if mode not in {"require", "verify-ca", "verify-full", "disable"}:
        raise ServerUnreachable(TroubleKind.NOT_ENCRYPTED, url)


def create_db_engine(url: str, key: bytes | None = None, *, password: str | None = None) -> Engine:
    """An engine for ``url``; a SQLite file keyed with ``key``. ``password``: the server login's
    password (a person's, typed at sign-in), given to the driver, never put into the address."""
    if make_url(url).get_backend_name() == "sqlite":
        options: dict = {"connect_args": {"check_same_thread": False}, "hide_parameters": True}
        if key is not None:
            options["module"] = sqlcipher_module()
        engine = create_engine(url, **options)
        _sqlite_pragmas(engine, key)
        return engine
    _check_server_url(url)

    # a server that does not answer is said so within seconds, not after the system's TCP timeout
    wait = {} if "connect_timeout" in make_url(url).query else {"connect_timeout": CONNECT_TIMEOUT_SECONDS}
    # the server's own list of sessions (pg_stat_activity) names each workstation: who has it open
    secret = {"password": password} if password is not None else {}
    return create_engine(url, pool_pre_ping=True, hide_parameters=True,
                         connect_args={**wait, **secret, "application_name": workstation_label()})


def connect_sqlite(path: Path, key: bytes | None, *, read_only: bool = False):  # type: ignore[no-untyped-def]
    """A plain DB-API connection to a SQLite file, keyed when encrypted (backups, verify, export)."""
    module = sqlcipher_module() if key is not None else sqlite3
    target = Path(path).resolve().as_uri() + ("?mode=ro" if read_only else "")
    conn = module.connect(target, uri=True, check_same_thread=False)
    if key is not None:
        conn.execute(key_pragma(key))
    conn.execute("PRAGMA temp_store=MEMORY")
    return conn


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


def _first_read(engine: Engine, path: Path | None, encrypted: bool) -> None:
    """Read the schema once, so a wrong key or a damaged file is refused before anything writes;
    then the quick integrity check (``quick_check_file``)."""
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT count(*) FROM sqlite_master")).scalar()
            page_size = int(connection.execute(text("PRAGMA page_size")).scalar() or 0)
            page_count = int(connection.execute(text("PRAGMA page_count")).scalar() or 0)
    except SQLAlchemyError:
        if encrypted:  # the key is the one its slot unwrapped (authenticated): the file is what is wrong
            raise DamagedDatabase(f"{path} cannot be decrypted with its key file: it is damaged, or not this "
                                  "key file's database; it was left untouched.") from None
        raise
    if path is not None:
        quick_check_file(path, page_size, page_count)


def quick_check_file(path: Path, page_size: int, page_count: int) -> None:
    """What can be checked of a whole file in no time (every open, whatever its size): SQLite
    writes whole pages, so a file cut short or padded is not a whole number of them; and with its
    WAL folded in, it holds exactly the pages its header counts. ``verify`` checks every page."""
    size = path.stat().st_size
    wal = path.with_name(path.name + "-wal")
    wal_empty = not wal.exists() or wal.stat().st_size == 0
    if page_size <= 0 or size % page_size or (wal_empty and size // page_size != page_count):
        raise DamagedDatabase(f"{path} is damaged (cut short or overwritten: {size:,} bytes is not the "
                            f"{page_count:,} pages it should hold); restore a backup. 'mroqc-desk verify' "
                            "tells more. It was left untouched.")


def _server_in_step(engine: Engine, *, schema_changed: bool = False) -> None:
    """A shared database opened by its owner: the server's grants, policies, trigger and functions
    made by this version (``app.storage.server_roles``), renewed when an earlier version made them,
    or when the schema has just changed (a column added to a table read column by column, such as
    ``cases``: the roles that may not read identifiers are granted its columns one by one)."""
    with engine.begin() as connection:
        if not server_roles.is_owner(connection):
            return
        if schema_changed or server_roles.installed_version(connection) != server_roles.SETUP_VERSION:
            server_roles.install(connection)


def _check_person_revision(engine: Engine) -> None:
    """A person's connection to a shared database cannot upgrade its schema (only the owner can):
    a database of another version is said plainly."""
    with engine.connect() as connection:  # a login refused or a server away is raised as such
        try:
            recorded = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
        except ProgrammingError:  # no schema version at all, or none this login may read
            recorded = None
    if recorded == HEAD_REVISION:
        return

    if recorded is None or recorded in KNOWN_REVISIONS:
        raise DatabaseError("This shared database needs an upgrade to this version of MROQC Facility Desk, which "
                            "only its owner role can make: ask whoever runs the server to open it once with the "
                            "owner's address (docs/shared-database.md, section 5).")
    raise DatabaseError(f"This database was written by a newer version of MROQC Facility Desk (schema {recorded}). "
                        "Install the newer version to open it.")


def _migrate(engine: Engine, path: Path | None, key: bytes | None, before_migration=None) -> None:  # type: ignore[no-untyped-def]
    if _recorded_revision(engine) == HEAD_REVISION:
        if engine.dialect.name == "postgresql":
            _server_in_step(engine)
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
    if current is not None and path is not None and path.exists() and before_migration is not None:
        before_migration(path, head)  # an encrypted backup of the file as it was (app.storage.backup)
    with engine.begin() as connection:
        config = alembic_config(connection)
        config.attributes[SERVER_SIDE_AFTER] = True  # made once, below, not also by migration 0011 on the way
        command.upgrade(config, "head")
    if engine.dialect.name == "postgresql":
        _server_in_step(engine, schema_changed=True)
    if current is not None:  # an upgrade is in the audit log too, as every change is
        with Session(engine) as session, session.begin():
            session.info["user"] = audit.SYSTEM_USER
            session.info["server"] = engine.dialect.name == "postgresql"
            audit.note(session, f"schema upgraded from {current} to {head}", table="alembic_version")


@dataclass
class Database:
    """An open, migrated facility database and who is signed in to it (``actor``)."""

    url: str
    engine: Engine
    path: Path | None
    _sessions: sessionmaker[Session]
    key: bytes | None = field(default=None, repr=False)  # never in a traceback or a log line
    actor: Actor | None = None
    listeners: list[Listener] = field(default_factory=list, repr=False)
    #: change sets committed from here: a workstation's watcher does not announce its own changes twice
    own: OwnChanges = field(default_factory=OwnChanges, repr=False)
    #: this process's hold on the SQLite file (``app.storage.locks``): nobody replaces it meanwhile
    lock: OpenLock | None = field(default=None, repr=False)
    #: the file's device and inode when opened: a file replaced or moved underneath is noticed
    identity: tuple[int, int] | None = field(default=None, repr=False)
    #: signs each transaction's audit entries before it commits (the signed-in person's key,
    #: ``app.security.people.Person.sign_transaction``); None: nobody with keys is signed in
    signer: Callable[[Session], None] | None = field(default=None, repr=False)
    #: the signed-in person (``app.security.people.Person``): keys in memory for the session
    person: object | None = field(default=None, repr=False)
    #: what the sign-in found wrong with the audit log or the users table (shown, and audited)
    alarms: list[str] = field(default_factory=list, repr=False)
    #: a shared database: the signed-in person's login password (the driver's, for reconnecting and
    #: the change watcher; never written anywhere); None with directory sign-in or on SQLite
    password: str | None = field(default=None, repr=False)

    def check_still_there(self) -> None:
        """Refuse (``DatabaseReplaced``) when the SQLite file this database was opened from is no
        longer at its name — renamed, deleted or replaced by another program — so nothing is ever
        written into a file that is not the facility's database any more."""
        if self.path is None or self.identity is None:
            return
        try:
            info = os.stat(self.path)
            now = (info.st_dev, info.st_ino)
        except OSError:
            now = None
        if now != self.identity:
            raise DatabaseReplaced(
                f"{self.path.name} was replaced, moved or deleted by another program after this window opened it, "
                "so nothing more is saved here (this was not saved). Open the database again (File → Open "
                "database); copy what you typed first.")

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener(DataChanged)`` after every committed change; returns the unsubscribe."""
        self.listeners.append(listener)
        return lambda: self.listeners.remove(listener) if listener in self.listeners else None

    def announce(self, change: DataChanged) -> None:
        """Tell every listener (a change committed here, or one learnt of from elsewhere)."""
        for listener in list(self.listeners):
            listener(change)

    @property
    def encrypted(self) -> bool:
        return self.key is not None

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @property
    def is_server(self) -> bool:
        """A shared PostgreSQL database: the server keeps the audit log and enforces the roles."""
        return self.engine.dialect.name == "postgresql"

    @contextmanager
    def transaction(self, permission: Permission | None, *, at=None, summary: str | None = None) -> Iterator[Session]:  # type: ignore[no-untyped-def]
        """One audited unit of work under the signed-in user: everything in it commits together or
        not at all. ``permission`` is what the work needs (checked before anything is read);
        None only for sign-in bookkeeping, which every user does."""
        if permission is not None:
            authorize(self.actor, permission)
        self.check_still_there()
        change_set = audit.new_change_set()
        self.own.add(change_set)
        server = self.is_server
        with self._sessions() as session:
            session.info.update(
                audited=True,
                user=self.actor.name if self.actor else audit.SYSTEM_USER,
                change_set=change_set,
                at=at,
                server=server,
            )
            try:
                with session.begin():
                    if server:  # the server's audit entries carry this change set (app.storage.server_roles)
                        session.execute(select(func.set_config("mroqc.change_set", change_set, True)))
                    yield session
                    if summary:
                        audit.note(session, summary)
                    if self.signer is not None:  # the author signs what this transaction wrote to the audit log
                        session.flush()  # every pending change's audit entries written first
                        if server:
                            audit.server_link(session)
                        self.signer(session)
                    written = session.info.get("changed_tables")
                    if written and not self.is_sqlite and not server:  # (the server's trigger announces its own)
                        session.execute(select(func.pg_notify(CHANNEL, notice(change_set, written))))
            except DBAPIError as exc:
                if self.is_sqlite or not exc.connection_invalidated:  # a refused statement, not a server gone
                    raise
                if not self._committed(change_set):
                    raise ConnectionLost("The connection to the database was lost, so this was not saved; what you "
                                         "typed is kept: save again when the status bar says it is back") from None
            written = session.info.pop("changed_tables", None)
        if self.person is not None:  # what the signed-in person just signed is what they saw last
            committed = getattr(self.person, "committed", None)
            if committed is not None:
                committed()
        if written:
            self.announce(DataChanged(frozenset(written)))

    def _committed(self, change_set: str) -> bool:
        """Whether a transaction whose connection dropped around its COMMIT did commit: its audit
        entries commit with it, so its change set is in the log exactly when it did (a save is
        then reported as saved, never repeated). Unknown (no connection yet) counts as not."""
        try:
            with self._sessions() as session:
                return session.scalar(select(audit.AuditEntry.id)
                                      .where(audit.AuditEntry.change_set == change_set).limit(1)) is not None
        except DBAPIError:
            return False

    def require(self, permission: Permission) -> None:
        """Refuse (``NotAllowed``) unless the signed-in user may; for work outside a transaction."""
        authorize(self.actor, permission)

    @contextmanager
    def reader(self) -> Iterator[Session]:
        """A read-only session (no audit, nothing committed)."""
        with self._sessions() as session:
            yield session  # closing detaches loaded objects without expiring them

    def dispose(self) -> None:
        self.engine.dispose()
        if self.lock is not None:
            self.lock.release()

    @property
    def display_name(self) -> str:
        return str(self.path) if self.path else make_url(self.url).render_as_string(hide_password=True)


def private_files(path: Path) -> None:
    """The database and its companions readable by this account only (an earlier version made them 0644)."""
    for name in (path.name, *(path.name + c for c in COMPANIONS)):
        make_private(path.with_name(name))


def open_database(url: str, *, create: bool = False, migrate: bool = True, key: bytes | None = None,
                  allow_plaintext: bool = False, before_migration=None, lock: OpenLock | None = None,  # type: ignore[no-untyped-def]
                  hold: bool = True, password: str | None = None, as_person: bool = False) -> Database:
    """Open (and if needed create and migrate) the database at ``url``.

    ``create=False`` refuses a SQLite path that does not exist, so a typo never silently
    starts an empty facility. A SQLite file is opened with ``key`` (SQLCipher); an unencrypted
    one (an earlier version's) only with ``allow_plaintext`` (the upgrade and the benchmark):
    otherwise ``PlaintextDatabase`` says it needs its administrator first.
    ``before_migration(path, head)`` keeps a copy before a schema upgrade.

    A SQLite file is held open (``app.storage.locks``) until ``Database.dispose``: ``lock`` when the
    sign-in took the hold already, else one is taken here (``hold=False``: a hidden temporary the
    app builds or checks, which nobody else opens).

    A shared database: ``password`` is the login's (the address carries none); ``as_person``, the
    connection is a person's login, which uses the schema as the owner left it and never migrates
    (a database of another version is refused with what to do).
    """
    path = sqlite_path(url)
    own_lock = False
    if path is not None:
        _check_sqlite_file(path, must_exist=not create, encrypted=key is not None)
        if key is None and path.exists() and not allow_plaintext:
            raise PlaintextDatabase(f"{path} was written by an earlier version of MROQC Facility Desk: it gets "
                                    "its administrator and is encrypted on first open.")
        if lock is None and hold and path.exists():
            lock, own_lock = hold_open(path), True
    try:
        engine = create_db_engine(url, key if path is not None else None, password=password)
        if path is not None and path.exists():
            _first_read(engine, path, key is not None)
        if as_person and path is None:
            _check_person_revision(engine)
        elif migrate:
            _migrate(engine, path, key, before_migration)
    except DatabaseError:
        if own_lock and lock is not None:
            lock.release()
        raise
    except SQLAlchemyError as exc:
        if own_lock and lock is not None:
            lock.release()
        if path is None and is_connection_failure(exc):  # the server away: said in plain words, typed
            raise server_trouble(exc, url) from None
        reason = str(exc.orig if hasattr(exc, "orig") and exc.orig else exc).splitlines()[0]
        raise DatabaseError(f"Cannot open the database: {reason}") from None
    identity = None
    if path is not None:
        private_files(path)
        info = os.stat(path)
        identity = (info.st_dev, info.st_ino)
    return Database(url=url, engine=engine, path=path, _sessions=sessionmaker(engine, expire_on_commit=False),
                    key=key if path is not None else None, lock=lock if path is not None else None,
                    identity=identity, password=password if path is None else None)
