"""Moving a facility to a shared PostgreSQL database (``mroqc-desk copy``, Settings → Data).

Everything is copied, users and the audit log included, in one transaction at the target: a copy
that fails half-way leaves the target as empty as it was. Before it commits, every table is read
back and compared with the source by row count and a checksum, so a copy that commits is a
verified one. The source is only read (its signing-in is the one thing written there, as for
every command).

The checksum of a table is order-independent (the sum of each row's SHA-256 modulo 2^256): the
two databases sort text differently, so rows are not compared in any order. JSON columns are
compared, and copied, as their stored text, which keeps the audit log's hash chain intact.

Passwords come along: the administrator's as a normal hash, every other user's as a verifier made
from their key slot in the file (``app.security.keyfile.Slot.password_verifier``), so nobody needs a
new password handed over in person and nobody is told to change a password they chose themselves.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import ArgumentError

from app.security.keyfile import KeyFile, Slot, key_file_for, user_slot
from app.security.passwords import hash_password, new_recovery_key, normal_recovery_key
from app.security.roles import NotAllowed, Permission
from app.security.signin import RECOVERY_NAME, WRONG, SignInFailed, now_utc, password_is_right
from app.storage import audit
from app.storage.audit_chain import ServerJsonText
from app.storage.database import Database, create_db_engine, open_database
from app.storage.errors import DatabaseError
from app.storage.models import Base, RecoveryKey, User
from app.storage.server_trouble import is_connection_failure, server_trouble

BATCH = 5000
#: Tables the schema owns rather than the facility (the target's own migration writes them).
NOT_COPIED = frozenset({"alembic_version"})

Progress = Callable[[str, int, int], None]  # (table, rows done, rows in all)


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


@dataclass
class CopyReport:
    target: str
    tables: list[TableCheck] = field(default_factory=list)
    #: the shared database's own recovery key (a file's is a key slot, which a server has no use for)
    recovery_key: str = field(default="", repr=False)
    #: users whose password from the file keeps working there (replaced by a server hash at their first sign-in)
    carried_over: list[str] = field(default_factory=list)
    #: users who need a first password there from an administrator (their file had no key slot for them)
    without_password: list[str] = field(default_factory=list)

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


def _writing(table: sa.Table, server: bool) -> sa.TableClause:
    """The table for inserts, JSON columns taking that text as it is."""
    columns = [sa.column(c.name, (ServerJsonText() if server else sa.Text()) if _is_json(c) else c.type)
               for c in table.columns]
    return sa.table(table.name, *columns)


def _row_digest(row: Iterable[object]) -> int:
    values = [audit.plain(v) for v in row]
    return int.from_bytes(hashlib.sha256(json.dumps(values, default=str, separators=(",", ":")).encode()).digest())


def table_checksum(connection: Connection, table: sa.Table) -> tuple[int, str]:
    """(rows, checksum) of one table, independent of row order."""
    total, rows = 0, 0
    result = connection.execution_options(yield_per=BATCH).execute(_reading(table))
    for row in result:
        total = (total + _row_digest(row)) % (1 << 256)
        rows += 1
    return rows, f"{total:064x}"


def _reset_sequences(connection: Connection, table: sa.Table) -> None:
    """Rows came with their IDs: the next ID the server hands out must come after them."""
    for column in table.primary_key.columns:
        if column.autoincrement is True or (column.autoincrement == "auto" and isinstance(column.type, sa.Integer)
                                            and len(table.primary_key.columns) == 1):
            connection.execute(sa.text(
                f"SELECT setval(pg_get_serial_sequence(:t, :c), COALESCE((SELECT MAX({column.name}) FROM "
                f"{table.name}), 0) + 1, false) WHERE pg_get_serial_sequence(:t, :c) IS NOT NULL"),
                {"t": table.name, "c": column.name})


def copy_database(source: Database, target_url: str, password: str, progress: Progress | None = None) -> CopyReport:
    """Copy the signed-in ``source`` (an administrator's) into the empty PostgreSQL database at
    ``target_url``; raises ``TargetNotEmpty`` before writing anything if it holds any table.

    ``password`` is the administrator's own (checked again here) and is stored there as a normal
    Argon2id hash. Every other user's password keeps working too: a file has it only as the key
    that unwraps their key slot, so the server gets a verifier made from that slot (without the
    file's database key; ``Slot.password_verifier``), replaced by a normal hash at their first
    sign-in there. Whether they must change it is carried over as it was."""
    source.require(Permission.COPY)
    actor = source.actor
    if actor is None or actor.name == RECOVERY_NAME:
        raise NotAllowed("not allowed: copy as an administrator signed in with their password (not the recovery key)")
    if not password_is_right(source, actor.name, password):
        raise SignInFailed(WRONG)
    check_target(target_url)
    _refuse_if_not_empty(target_url)
    try:
        target = open_database(target_url, create=True)  # the schema, at this version's head
    except DatabaseError:
        _drop_schema_at(target_url)
        raise
    shown = make_url(target_url).render_as_string(hide_password=True)
    report = CopyReport(target=shown)
    try:
        tables = _tables()
        with source.engine.connect() as reading:
            if source.is_sqlite:  # one snapshot of the source for the copy and its checks (others may save meanwhile)
                reading.exec_driver_sql("BEGIN")
            counts = {t.name: reading.execute(sa.select(sa.func.count()).select_from(t)).scalar_one() for t in tables}
            everything = sum(counts.values())
            done = 0
            with target.engine.begin() as writing:
                for table in reversed(tables):
                    writing.execute(table.delete())  # what the target's migration seeded (the audit head)
                for table in tables:
                    into = _writing(table, server=True)
                    batch: list[dict] = []
                    result = reading.execution_options(yield_per=BATCH).execute(_reading(table))
                    for row in result.mappings():
                        batch.append(dict(row))
                        if len(batch) >= BATCH:
                            writing.execute(sa.insert(into), batch)
                            done += len(batch)
                            batch.clear()
                            if progress:
                                progress(table.name, done, everything)
                    if batch:
                        writing.execute(sa.insert(into), batch)
                        done += len(batch)
                    if progress:
                        progress(table.name, done, everything)
                    _reset_sequences(writing, table)
                for table in tables:  # read back before committing: only a verified copy commits
                    rows, checksum = table_checksum(reading, table)
                    target_rows, target_checksum = table_checksum(writing, table)
                    report.tables.append(TableCheck(table.name, rows, checksum, target_rows, target_checksum))
                if not report.ok:
                    bad = ", ".join(t.table for t in report.tables if not t.ok)
                    raise CopyMismatch(f"The copy differs from the source in {bad}; nothing was kept at the target.")
        target.actor = source.actor
        report.recovery_key = new_recovery_key()
        with target.transaction(Permission.COPY) as session:  # the copy's own entry, after what it verified
            audit.note(session, f"facility copied here from {source.path.name if source.path else 'another database'}: "
                                f"{report.rows} rows in {len(report.tables)} tables, verified", table="-")
            slots = _key_slots(source)
            for user in session.scalars(sa.select(User).order_by(User.name)):
                if user.name == actor.name:
                    user.password_hash = hash_password(password)
                elif user.password_hash is not None or user.disabled:
                    continue  # a server's own hash came along as it was; a disabled user has none
                elif user_slot(user.name) in slots:  # their password keeps working (see passwords)
                    assert source.key is not None
                    user.password_hash = slots[user_slot(user.name)].password_verifier(source.key)
                    report.carried_over.append(user.name)
                else:
                    user.must_change_password = True
                    report.without_password.append(user.name)
            session.add(RecoveryKey(key_hash=hash_password(normal_recovery_key(report.recovery_key)),
                                    created_at=now_utc()))
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
    except (sa.exc.SQLAlchemyError, DatabaseError):
        pass
    finally:
        if own and engine is not None:
            engine.dispose()
