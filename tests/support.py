"""What tests share to reach a database the way people do: signed in.

Every test database has the administrator ``ADMIN`` with ``PASSWORD``; ``as_role`` gives the same
open database under another role (what the service checks), ``sign_in_as`` a real sign-in.
The Argon2id cost is lowered for the test run (``conftest.cheap_kdf``): the parameters are
stored with each slot, so nothing else changes.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

from app.domain.permissions import Actor
from app.domain.security_policy import KdfCost, SecurityPolicy, security_policy
from app.security.signin import create_database, sign_in
from app.storage.database import Database, sqlite_url

ADMIN = "test-admin"
PASSWORD = "test password 123"
#: Argon2id at its lowest cost: the tests' own processes (``conftest.cheap_kdf``) and the fork
#: server's children (``tests.fuzz.forkserver``); each slot and hash records its parameters.
CHEAP_KDF = KdfCost(time_cost=1, memory_kib=8, parallelism=1)


def cheap_security_policy() -> SecurityPolicy:
    """The security policy with ``CHEAP_KDF``: what ``app.security.passwords`` reads in tests."""
    return dataclasses.replace(security_policy(), kdf=CHEAP_KDF)


def create(path: Path | str, build: Callable[[Database], None] | None = None) -> Database:
    """A new SQLite database (or server URL) signed in as ``ADMIN``. A new, empty SQLite file is a
    copy of one built by ``create_database`` once per test process (``tests.template``): the same
    file, key file and signed-in administrator, without paying for the build each time — so two
    of them share their key; ``create_with_key`` builds one of its own."""
    if build is None and "://" not in str(path):
        from tests.template import copy_of

        return copy_of(Path(path))
    url = str(path) if "://" in str(path) else sqlite_url(path)
    db, _recovery = create_database(url, ADMIN, PASSWORD, build=build)
    return db


def create_with_key(path: Path | str, build: Callable[[Database], None] | None = None) -> tuple[Database, str]:
    """A database built for this test alone (its own key and certificate authority) and its recovery key."""
    url = str(path) if "://" in str(path) else sqlite_url(path)
    return create_database(url, ADMIN, PASSWORD, build=build)


def reopen(path: Path | str, name: str = ADMIN, password: str = PASSWORD) -> Database:
    url = str(path) if "://" in str(path) else sqlite_url(path)
    return sign_in(url, name, password)


def as_role(db: Database, role: str, name: str | None = None) -> Database:
    """The same open database with a user of ``role`` signed in (the engine is shared: dispose once)."""
    return dataclasses.replace(db, actor=Actor(name or f"test-{role}", role))



def database_key(path: Path | str, name: str = ADMIN, password: str = PASSWORD) -> bytes:
    """The key of an encrypted test database, unwrapped from its key file as sign-in does."""
    from app.security.keyfile import KeyFile, key_file_for, user_slot

    key = KeyFile.load(key_file_for(Path(path))).unwrap(user_slot(name), password)
    assert key is not None, "wrong test password"
    return key


def raw_connection(path: Path | str):  # type: ignore[no-untyped-def]
    """A plain DB-API connection (sqlcipher3, keyed) to a test database: for tests that look at
    the stored rows directly, as ``sqlite3.connect`` did before the files were encrypted."""
    from app.storage.database import connect_sqlite

    return connect_sqlite(Path(path), database_key(path))


NO_DATABASE = {"mvc-score", "mips-estimate", "--version", "verify-pdf"}
CREATES = {"init", "demo"}


def cli(argv: list, lines: list[str] | None = None) -> int:
    """``mroqc-desk`` in-process, signed in as ``ADMIN`` through ``--password-stdin`` (``lines``
    are the lines of standard input, the test password by default). ``init`` and ``demo`` create
    the database with ``ADMIN`` as its administrator. Arguments already naming who signs in are
    left as they are."""
    import io
    import sys

    from ui.launch import main  # the console script's entry: the command line with the window

    args = [str(a) for a in argv]
    given = set(args)
    if args and args[0] in CREATES:
        if "--admin" not in given:
            args += ["--admin", ADMIN]
        if "--password-stdin" not in given:
            args.append("--password-stdin")
    elif args and args[0] not in NO_DATABASE and not given & {"--user", "--recovery-key-stdin", "--admin"}:
        args += ["--user", ADMIN, "--password-stdin"]
    elif "--admin" in given and "--password-stdin" not in given:
        args.append("--password-stdin")
    saved = sys.stdin
    sys.stdin = io.StringIO("".join(f"{line}\n" for line in (lines if lines is not None else [PASSWORD])))
    try:
        return main(args)
    finally:
        sys.stdin = saved


def tables_at(url: str) -> list[str]:
    """The tables a database holds, read directly (an empty target stays empty)."""
    import sqlalchemy as sa

    from app.storage.database import create_db_engine

    engine = create_db_engine(url)
    try:
        with engine.connect() as connection:
            return sa.inspect(connection).get_table_names()
    finally:
        engine.dispose()
