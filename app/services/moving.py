"""Moving a facility to a shared PostgreSQL database (``mroqc-desk copy``, Settings → Data).

Everything is copied, users and the audit log included, in one transaction at the target: a copy
that fails half-way leaves the target as empty as it was. Before it commits, every table is read
back and compared with the source by row count and a checksum, so a copy that commits is a
verified one. The source is only read (its signing-in is the one thing written there, as for
every command). The target's address is its **owner's** (the role that creates the schema): the
copy makes the server's side too (``app.storage.server_roles``: groups, grants, the audit trigger),
and the rows come with their own audit log, so the trigger is held off while they are copied.

The checksum of a table is order-independent (the sum of each row's SHA-256 modulo 2^256): the
two databases sort text differently, so rows are not compared in any order. JSON columns are
compared, and copied, as their stored text, which keeps the audit log's hash chain intact.

**Each person gets a server login of their own** (the server checks their password there, and a
file keeps no password a server could use): the administrator who copies keeps theirs (and their
keys and the facility CA's, unwrapped from their key slot and wrapped again under the same
password); everyone else either gets a **first password**, made here and shown once for the
administrator to hand over (changed at the first sign-in, new keys certified at once), or signs in
with the **hospital directory's** login (Kerberos, LDAP in ``pg_hba.conf``: no password of the app's).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import ArgumentError

from app.domain.permissions import NotAllowed, Permission
from app.progress import Progress
from app.security.keyfile import KeyFile, Slot, key_file_for, user_slot
from app.security.passwords import new_first_password, new_recovery_key, normal_recovery_key
from app.security.people import AUTHORITY, active_authority
from app.security.pki import load_signing_key
from app.security.server_signin import scram_verifier
from app.security.signin import (
    RECOVERY_NAME,
    WRONG,
    NewServerUser,
    SignInFailed,
    add_facility_users,
    now_utc,
    password_is_right,
)
from app.storage import audit
from app.storage.database import Database, create_db_engine, open_database
from app.storage.errors import DatabaseError
from app.storage.held_indexes import indexes_and_keys_held
from app.storage.models import Base, User
from app.storage.server_names import ServerNames
from app.storage.server_roles import is_owner
from app.storage.server_trouble import is_connection_failure, server_trouble

BATCH = 5000
#: Tables the schema owns rather than the facility (the target's own migration writes them).
NOT_COPIED = frozenset({"alembic_version"})

class TargetNotEmpty(DatabaseError):
    """The target database already holds tables: nothing is copied over anything (exit 2)."""


class NotASharedDatabase(DatabaseError):
    """The target address is not a PostgreSQL database's (or no address at all): nothing is done."""


class CopyMismatch(DatabaseError):
    """A table read back from the target differs from the source: the copy was rolled back."""


@dataclass(frozen=True)
class TableCheck:
    table: str
    rows: int
    checksum: str
    target_rows: int
    target_checksum: str

    @property
    def ok(self) -> bool:
        return self.rows == self.target_rows and self.checksum == self.target_checksum


#: How the people other than the copying administrator get into the shared database.
FIRST_PASSWORDS = "first-passwords"
DIRECTORY = "directory"
HAND_OVER = (FIRST_PASSWORDS, DIRECTORY)


@dataclass
class CopyReport:
    target: str
    tables: list[TableCheck] = field(default_factory=list)
    #: the shared database's own recovery key (a file's is a key slot, which a server has no use for)
    recovery_key: str = field(default="", repr=False)
    #: each person's first password there (to hand over; changed at their first sign-in), shown once
    first_passwords: dict[str, str] = field(default_factory=dict, repr=False)
    #: people who sign in there with the directory's login (name → server login)
    directory: dict[str, str] = field(default_factory=dict)
    #: the administrator who copied, who keeps their password (and keys)
    administrator: str = ""

    @property
    def ok(self) -> bool:
        return all(t.ok for t in self.tables)

    @property
    def rows(self) -> int:
        return sum(t.rows for t in self.tables)

    def lines(self) -> list[str]:
        """The verification report, one line per table (what the CLI prints and the window shows)."""
        return [f"{t.table}: {t.rows} rows, checksum {t.checksum[:12]} "
                f"{'matches' if t.ok else f'DIFFERS (target {t.target_rows} rows, {t.target_checksum[:12]})'}"
                for t in self.tables]


def _tables() -> list[sa.Table]:
    return [t for t in Base.metadata.sorted_tables if t.name not in NOT_COPIED]  # parents before children


def _is_json(column: sa.Column) -> bool:
    return isinstance(column.type, sa.JSON)


def _reading(table: sa.Table) -> sa.Select:
    """Every column, JSON as its stored text."""
    return sa.select(*[sa.cast(c, sa.Text).label(c.name) if _is_json(c) else c for c in table.columns])


_MODULUS = 1 << 256


def _row_hash(row: Sequence[object]) -> int:
    return int.from_bytes(hashlib.sha256(repr(tuple(row)).encode()).digest())


class TableDigest:
    """The checksum of one table's rows, independent of their order: the sum of each row's SHA-256
    modulo 2^256. A row is hashed as the ``repr`` of its typed values (a date is a date, a flag a
    bool, JSON its stored text), so a value that came back as another type differs as surely as
    one that came back changed; both sides are read by SQLAlchemy into the same Python types."""

    def __init__(self) -> None:
        self._total = 0
        self.rows = 0

    def add(self, rows: Sequence[Sequence[object]]) -> None:
        self._total = (self._total + sum(map(_row_hash, rows))) % _MODULUS
        self.rows += len(rows)

    @property
    def checksum(self) -> str:
        return f"{self._total:064x}"


def table_checksum(connection: Connection, table: sa.Table) -> tuple[int, str]:
    """(rows, checksum) of one table as ``connection`` reads it (``TableDigest``)."""
    digest = TableDigest()
    for rows in connection.execution_options(yield_per=BATCH).execute(_reading(table)).partitions():
        digest.add(rows)
    return digest.rows, digest.checksum


def _copy_rows(reading: Connection, writing: Connection, table: sa.Table, done: int, everything: int,
               progress: Progress | None) -> tuple[int, TableDigest]:
    """One table's rows into the server by PostgreSQL's ``COPY`` (a third of the time of batched
    inserts): the values as SQLAlchemy read them, JSON as its stored text, each sent as psycopg
    sends a parameter. Returns the rows done in all and the digest of the rows read and sent (made
    while the server takes in each batch: the source is read once); the target is read back and
    compared with it before anything commits."""
    names = ", ".join(f'"{c.name}"' for c in table.columns)
    result = reading.execution_options(yield_per=BATCH).execute(_reading(table))
    sent = TableDigest()
    reported = False
    with (writing.connection.driver_connection.cursor() as cursor,  # type: ignore[union-attr]
          cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy):
        for rows in result.partitions():
            for row in rows:
                copy.write_row(row)
            sent.add(rows)
            done += len(rows)
            if progress:
                progress(table.name, done, everything)
                reported = True
    if progress and not reported:  # an empty table is still said as it is passed
        progress(table.name, done, everything)
    return done, sent


def _reset_sequences(connection: Connection, table: sa.Table) -> None:
    """Rows came with their IDs: the next ID the server hands out must come after them."""
    for column in table.primary_key.columns:
        if column.autoincrement is True or (column.autoincrement == "auto" and isinstance(column.type, sa.Integer)
                                            and len(table.primary_key.columns) == 1):
            connection.execute(sa.text(
                f"SELECT setval(pg_get_serial_sequence(:t, :c), COALESCE((SELECT MAX({column.name}) FROM "
                f"{table.name}), 0) + 1, false) WHERE pg_get_serial_sequence(:t, :c) IS NOT NULL"),
                {"t": table.name, "c": column.name})


def copy_database(source: Database, target_url: str, password: str, progress: Progress | None = None, *,
                  hand_over: str = FIRST_PASSWORDS, directory_logins: dict[str, str] | None = None) -> CopyReport:
    """Copy the signed-in ``source`` (an administrator's) into the empty PostgreSQL database at
    ``target_url`` (its owner's address); raises ``TargetNotEmpty`` before writing anything if it
    holds any table.

    ``password`` is the administrator's own (checked again here): it becomes their server login's,
    and their keys come along wrapped under it. Every other enabled person gets a login by
    ``hand_over``: ``first-passwords`` (made here, in ``CopyReport.first_passwords``, to hand over
    and change at the first sign-in) or ``directory`` (the directory's login named as their user
    name, or as ``directory_logins`` says)."""
    source.require(Permission.COPY)
    actor = source.actor
    if actor is None or actor.name == RECOVERY_NAME:
        raise NotAllowed("not allowed: copy as an administrator signed in with their password (not the recovery key)")
    if hand_over not in HAND_OVER:
        raise ValueError(f"hand_over is one of {', '.join(HAND_OVER)}")
    boxes = _proved(source, actor.name, password)
    check_target(target_url)
    _refuse_if_not_empty(target_url)
    try:
        target = open_database(target_url, create=True)  # the schema, at this version's head, and the server's side
    except DatabaseError:
        _drop_schema_at(target_url)
        raise
    shown = make_url(target_url).render_as_string(hide_password=True)
    report = CopyReport(target=shown, administrator=actor.name)
    try:
        _require_owner(target)
        tables = _tables()
        with source.engine.connect() as reading:
            if source.is_sqlite:  # one snapshot of the source for the copy and its checks (others may save meanwhile)
                reading.exec_driver_sql("BEGIN")
            counts = {t.name: reading.execute(sa.select(sa.func.count()).select_from(t)).scalar_one() for t in tables}
            everything = sum(counts.values())
            done = 0
            with target.engine.begin() as writing:
                for table in tables:  # the rows come with their own audit log: the trigger is held off
                    writing.exec_driver_sql(f'ALTER TABLE "{table.name}" DISABLE TRIGGER USER')
                for table in reversed(tables):
                    writing.execute(table.delete())  # what the target's migration seeded (the audit head)
                sent: dict[str, TableDigest] = {}
                with indexes_and_keys_held(writing, [t.name for t in tables]):  # built once, checked once
                    for table in tables:
                        done, sent[table.name] = _copy_rows(reading, writing, table, done, everything, progress)
                        _reset_sequences(writing, table)
                for table in tables:
                    writing.exec_driver_sql(f'ALTER TABLE "{table.name}" ENABLE TRIGGER USER')
                for table in tables:  # read back before committing: only a verified copy commits
                    read = sent[table.name]
                    report.tables.append(TableCheck(table.name, read.rows, read.checksum,
                                                    *table_checksum(writing, table)))
                if not report.ok:
                    bad = ", ".join(t.table for t in report.tables if not t.ok)
                    raise CopyMismatch(f"The copy differs from the source in {bad}; nothing was kept at the target.")
        target.actor = source.actor
        report.recovery_key = new_recovery_key()
        _give_logins(source, target, password, boxes, report, hand_over, directory_logins or {})
    except sa.exc.SQLAlchemyError as exc:
        _drop_schema(target)
        if is_connection_failure(exc):  # the server went away during the copy: said plainly
            raise server_trouble(exc, target_url) from None
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        raise DatabaseError(f"The copy failed and nothing was kept at the target: {reason}") from None
    except BaseException:
        _drop_schema(target)
        raise
    finally:
        target.dispose()
    return report


def _require_owner(target: Database) -> None:
    with target.engine.connect() as connection:
        if not is_owner(connection):
            raise DatabaseError("The copy needs the shared database's owner address (the role that owns it and makes "
                                "its people's logins, docs/shared-database.md): this address's login is not its owner.")


def _proved(source: Database, name: str, password: str) -> dict[str, bytes]:
    """The administrator's password checked again (the copy carries it to the server) and, on an
    encrypted file, their keys (and the facility CA's) from their slot: one Argon2id derivation
    for both. Raises ``SignInFailed`` for a wrong password."""
    if user_slot(name) in _key_slots(source):
        unlocked = KeyFile.load(key_file_for(source.path)).unlock(user_slot(name), password)  # type: ignore[arg-type]
        if unlocked is None or unlocked.database_key != source.key:
            raise SignInFailed(WRONG)
        return dict(unlocked.boxes)
    if not password_is_right(source, name, password):
        raise SignInFailed(WRONG)
    return {}


def _give_logins(source: Database, target: Database, password: str, boxes: dict[str, bytes], report: CopyReport,
                 hand_over: str, directory_logins: dict[str, str]) -> None:
    """Every enabled person's server login, the recovery key's, and the copy's own entry;
    ``boxes``: the administrator's own keys, wrapped again under ``password`` at the target."""
    actor = source.actor
    assert actor is not None
    with target.reader() as session:
        people = list(session.scalars(sa.select(User).where(User.disabled.is_(False)).order_by(User.name)))
        authority = active_authority(session)
    given = server_logins_for(people, actor.name, password, hand_over, directory_logins,
                              first_passwords=report.first_passwords, directory=report.directory)
    authority_key = load_signing_key(boxes[AUTHORITY]) if AUTHORITY in boxes else None
    add_facility_users(target, given, now_utc(), authority=authority[1] if authority else None,
                       authority_key=authority_key, admin_boxes=boxes)
    names = ServerNames.of_url(target.url)
    with target.transaction(Permission.COPY) as session:  # the copy's own entry, after what it verified
        session.execute(sa.select(sa.func.mroqc_set_recovery_key(
            scram_verifier(session, names.recovery, normal_recovery_key(report.recovery_key)))))
        audit.note(session, f"facility copied here from {source.path.name if source.path else 'another database'}: "
                            f"{report.rows} rows in {len(report.tables)} tables, verified; every person has a server "
                            "login of their own", table="-")


def server_logins_for(people: Iterable[User], admin: str, password: str, hand_over: str,
                      directory_logins: dict[str, str], *, first_passwords: dict[str, str],
                      directory: dict[str, str]) -> list[NewServerUser]:
    """The server login each person gets when a facility moves onto (or settles on) a shared
    database: the administrator doing it keeps ``password``; the others sign in through the
    directory (``hand_over`` DIRECTORY, their login noted in ``directory``) or with a first
    password made here (noted in ``first_passwords``, to hand over) that they must change."""
    given = []
    for user in people:
        if user.name == admin:
            given.append(NewServerUser(user.name, user.role, password=password, must_change=False, existing=True))
        elif hand_over == DIRECTORY:
            login = directory_logins.get(user.name, user.name)
            directory[user.name] = login
            given.append(NewServerUser(user.name, user.role, directory=login, existing=True))
        else:
            first_passwords[user.name] = new_first_password()
            given.append(NewServerUser(user.name, user.role, password=first_passwords[user.name],
                                       must_change=True, existing=True))
    return given


def _key_slots(source: Database) -> dict[str, Slot]:
    """The source file's key slots (none for a server database: its users' hashes are rows)."""
    if not source.encrypted or source.path is None:
        return {}
    return KeyFile.load(key_file_for(source.path)).slots


def check_target(url: str) -> None:
    """Raise ``NotASharedDatabase`` unless ``url`` is a PostgreSQL database's address (checked
    before anything is read or signed in, so the window can say it at once)."""
    try:
        backend = make_url(url).get_backend_name()
    except ArgumentError:
        raise NotASharedDatabase("That is not a database address; a shared database's looks like "
                                 "postgresql+psycopg://user@server/database.") from None
    if backend != "postgresql":
        raise NotASharedDatabase("copy moves a facility to a shared PostgreSQL database (postgresql+psycopg://…); "
                                 "for another file use backup and restore.")


def workstation_address(url: str) -> str:
    """The address the workstations open: no owner role and no password in it (each person signs in
    to the server as themselves)."""
    return make_url(url)._replace(password=None, username=None).render_as_string(hide_password=False)


def address_without_password(url: str) -> str:
    """The address to remember or show: a password typed into it is left out."""
    return make_url(url)._replace(password=None).render_as_string(hide_password=False)


def _refuse_if_not_empty(url: str) -> None:
    try:
        engine = create_db_engine(url)
        try:
            with engine.connect() as connection:
                existing = sa.inspect(connection).get_table_names()
        finally:
            engine.dispose()
    except sa.exc.SQLAlchemyError as exc:
        if is_connection_failure(exc):
            raise server_trouble(exc, url) from None
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        raise DatabaseError(f"Cannot reach the target database: {reason}") from None
    if existing:
        raise TargetNotEmpty(f"The target database is not empty ({len(existing)} tables, e.g. {sorted(existing)[0]}); "
                             "copy only into a new, empty database.")


def _drop_schema(target: Database) -> None:
    """A failed copy leaves the target as empty as it was found (the schema it created goes too)."""
    _drop_schema_at(target.url, target.engine)


def _drop_schema_at(url: str, engine: sa.Engine | None = None) -> None:
    own = engine is None
    try:
        engine = engine or create_db_engine(url)
        with engine.begin() as connection:
            Base.metadata.drop_all(connection)
            connection.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
            connection.execute(sa.text("DROP TABLE IF EXISTS audit_pending"))  # (the server's own, app.storage.server_roles)
    except (sa.exc.SQLAlchemyError, DatabaseError):
        pass
    finally:
        if own and engine is not None:
            engine.dispose()
