"""Scratch PostgreSQL databases on this machine's own server (127.0.0.1 only), for the benchmark
and the tests: made with a fresh name, dropped with every server role the app made for them.

Never another host: a load test or a benchmark aims at this machine's server alone.
"""

from __future__ import annotations

import uuid

#: The local server's maintenance connection (trust authentication on 127.0.0.1).
LOCAL_SERVER = "host=127.0.0.1 port=5432 user=postgres dbname=test"


def url_of(name: str) -> str:
    """The database's address, as its owner (the server's superuser here)."""
    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"


def conninfo_of(name: str) -> str:
    """The database's connection string for psycopg itself (a bare baseline, no SQLAlchemy)."""
    return LOCAL_SERVER.replace("dbname=test", f"dbname={name}")


def new_database(prefix: str = "mroqc_test") -> str:
    """A new, empty database on the local server; its name."""
    import psycopg

    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(LOCAL_SERVER, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return name


def drop_database(name: str, extra_roles: tuple[str, ...] = ()) -> None:
    """Drop a scratch database and the roles the app made for it (roles are the cluster's: the
    groups, the door, the recovery key's login and every person's ``PREFIX.name`` login)."""
    import psycopg

    from app.storage.server_names import ServerNames

    names = ServerNames.of_database(name)
    with psycopg.connect(LOCAL_SERVER, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        roles = [r for (r,) in conn.execute("SELECT rolname FROM pg_roles") if names.is_ours(r) or r in extra_roles]
        for role in sorted(roles, key=lambda r: (r in names.own_roles(), r)):
            conn.execute(f'DROP ROLE IF EXISTS "{role}"')
