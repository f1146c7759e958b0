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

from app.security.roles import Actor
from app.security.signin import create_database, sign_in
from app.storage.database import Database, sqlite_url

ADMIN = "test-admin"
PASSWORD = "test password 123"


def create(path: Path | str, build: Callable[[Database], None] | None = None) -> Database:
    """A new SQLite database (or server URL) signed in as ``ADMIN``."""
    url = str(path) if "://" in str(path) else sqlite_url(path)
    db, _recovery = create_database(url, ADMIN, PASSWORD, build=build)
    return db


def create_with_key(path: Path | str, build: Callable[[Database], None] | None = None) -> tuple[Database, str]:
    url = str(path) if "://" in str(path) else sqlite_url(path)
    return create_database(url, ADMIN, PASSWORD, build=build)


def reopen(path: Path | str, name: str = ADMIN, password: str = PASSWORD) -> Database:
    url = str(path) if "://" in str(path) else sqlite_url(path)
    return sign_in(url, name, password)


def as_role(db: Database, role: str, name: str | None = None) -> Database:
    """The same open database with a user of ``role`` signed in (the engine is shared: dispose once)."""
    return dataclasses.replace(db, actor=Actor(name or f"test-{role}", role))


def admin_stdin() -> str:
    return PASSWORD + "\n"


def cli_sign_in(db_path: Path | str) -> list[str]:
    """The arguments that sign a command in as ``ADMIN`` (with ``admin_stdin()`` on standard input)."""
    return ["--user", ADMIN, "--password-stdin"]
