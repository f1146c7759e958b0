"""Passwords the server itself checks (``scram-sha-256``), on a throwaway cluster of the test's own.

The shared test server trusts every login from 127.0.0.1, so there the app's own check (a person's
keys open only with their password) is what refuses a wrong one. Here a cluster made for the test
(``initdb``, a free port, ``pg_hba.conf`` asking scram-sha-256 of every TCP login) shows the server
refusing: a wrong password, a locked name (even to a right password, even outside the app), a
disabled person, the recovery key's wrong key, the old password after a change. Skipped, saying
why, where PostgreSQL's server programs are not installed."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

from app.domain.security_policy import security_policy
from app.security.signin import (
    AccountLocked,
    SignInFailed,
    create_database,
    sign_in,
    sign_in_with_recovery_key,
)
from app.services import users
from app.storage.server_names import DOOR_PASSWORD, ServerNames

pytestmark = pytest.mark.pg
ADMIN, PASSWORD = "dana", "dana's own password"


def _binaries() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), reverse=True)
    if found:
        return found[0].parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _free_port() -> int:
    for port in range(55433, 55999):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port")


@dataclass
class Cluster:
    port: int
    sockets: Path

    def owner_url(self, database: str) -> str:  # IT's: the superuser over the cluster's own socket
        return f"postgresql+psycopg://postgres@/{database}?host={self.sockets}&port={self.port}"

    def url(self, database: str) -> str:  # a workstation's: TCP, every login's password checked
        return f"postgresql+psycopg://127.0.0.1:{self.port}/{database}"

    def connect(self, database: str, user: str, password: str | None) -> psycopg.Connection:
        return psycopg.connect(host="127.0.0.1", port=self.port, dbname=database, user=user, password=password or "",
                               autocommit=True, connect_timeout=5)


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    binaries = _binaries()
    if binaries is None:
        pytest.skip("PostgreSQL's server programs (initdb, pg_ctl) are not installed: the scram-sha-256 tests need "
                    "a cluster of their own")
    as_root = hasattr(os, "geteuid") and os.geteuid() == 0
    if as_root and not shutil.which("runuser"):
        pytest.skip("running as root without runuser: initdb cannot run as root")
    home = Path(tempfile.mkdtemp(prefix="mroqc-scram-"))
    data, sockets = home / "data", home / "sock"
    sockets.mkdir()
    prefix = ["runuser", "-u", "postgres", "--"] if as_root else []
    if as_root:
        shutil.chown(home, "postgres")
        shutil.chown(sockets, "postgres")
    port = _free_port()

    def run(*args: str) -> None:
        subprocess.run([*prefix, *args], check=True, capture_output=True, timeout=120)

    try:
        run(str(binaries / "initdb"), "-D", str(data), "-U", "postgres", "--auth-local=trust",
            "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8")
        run(str(binaries / "pg_ctl"), "-D", str(data), "-l", str(home / "log"), "-w", "-t", "60", "-o",
            f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1 -c password_encryption=scram-sha-256", "start")
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as exc:
        shutil.rmtree(home, ignore_errors=True)
        pytest.skip(f"a throwaway PostgreSQL cluster could not be started ({type(exc).__name__})")
    try:
        yield Cluster(port, sockets)
    finally:
        subprocess.run([*prefix, str(binaries / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"],
                       capture_output=True, timeout=120)
        shutil.rmtree(home, ignore_errors=True)


@pytest.fixture
def facility(cluster) -> Iterator[tuple[str, str]]:
    database = f"mroqc_scram_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(host=str(cluster.sockets), port=cluster.port, user="postgres", dbname="postgres",
                         autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{database}"')
    db, recovery_key = create_database(cluster.owner_url(database), ADMIN, PASSWORD, facility="Scram RO")
    try:
        users.add_user(db, "cy", "coordinator", "cy's first password")
    finally:
        db.dispose()
    yield database, recovery_key  # (the whole cluster goes with the module)


def test_the_server_refuses_a_wrong_password_itself(cluster, facility) -> None:
    database, _key = facility
    names = ServerNames.of_database(database)
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        cluster.connect(database, names.login("cy"), "not cy's password")  # as psql would: the server says no
    cluster.connect(database, names.login("cy"), "cy's first password").close()
    with pytest.raises(SignInFailed):
        sign_in(cluster.url(database), "cy", "not cy's password")
    db = sign_in(cluster.url(database), "cy", "cy's first password")
    try:
        assert db.actor.name == "cy" and db.actor.must_change_password
        users.change_own_password(db, "cy's first password", "cy's own password now")
    finally:
        db.dispose()
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        cluster.connect(database, names.login("cy"), "cy's first password")  # the old one, refused by the server
    sign_in(cluster.url(database), "cy", "cy's own password now").dispose()
    with psycopg.connect(host=str(cluster.sockets), port=cluster.port, user="postgres", dbname=database) as conn:
        stored = conn.execute("SELECT rolpassword FROM pg_authid WHERE rolname = %s", (names.login("cy"),)).fetchone()
    assert stored[0].startswith("SCRAM-SHA-256$") and "cy's own password now" not in stored[0]


def test_a_locked_name_is_locked_at_the_server_until_an_administrator_unlocks_it(cluster, facility) -> None:
    database, _key = facility
    names = ServerNames.of_database(database)
    for _ in range(security_policy().failed_attempts):
        with pytest.raises(SignInFailed):
            sign_in(cluster.url(database), "cy", "a wrong guess at it")
    with pytest.raises(AccountLocked):
        sign_in(cluster.url(database), "cy", "cy's first password")
    with pytest.raises(psycopg.OperationalError):  # outside the app too: the login's password is invalid meanwhile
        cluster.connect(database, names.login("cy"), "cy's first password")
    door = cluster.connect(database, names.signin, DOOR_PASSWORD)  # the door's password is public ...
    with door, pytest.raises(psycopg.errors.InsufficientPrivilege):
        door.execute("SELECT mroqc_unlock('cy')")  # ... and unlocks nothing
    admin = sign_in(cluster.url(database), ADMIN, PASSWORD)
    try:
        users.unlock_user(admin, "cy")
    finally:
        admin.dispose()
    cluster.connect(database, names.login("cy"), "cy's first password").close()
    sign_in(cluster.url(database), "cy", "cy's first password").dispose()


def test_a_disabled_person_is_refused_by_the_server(cluster, facility) -> None:
    database, _key = facility
    names = ServerNames.of_database(database)
    admin = sign_in(cluster.url(database), ADMIN, PASSWORD)
    try:
        users.disable_user(admin, "cy")
    finally:
        admin.dispose()
    with pytest.raises(psycopg.OperationalError):
        cluster.connect(database, names.login("cy"), "cy's first password")
    with pytest.raises(SignInFailed):
        sign_in(cluster.url(database), "cy", "cy's first password")


def test_the_recovery_key_is_the_recovery_login_password(cluster, facility) -> None:
    database, recovery_key = facility
    with pytest.raises(SignInFailed):
        sign_in_with_recovery_key(cluster.url(database), "AAAA-BBBB-CCCC-DDDD-EEEE-FFFF-GGGG-HHHH")
    rescued = sign_in_with_recovery_key(cluster.url(database), recovery_key)
    try:
        assert rescued.actor.role == "admin"
        assert users.enable_user(rescued, ADMIN) is False  # (an administrator's work; she was never disabled)
    finally:
        rescued.dispose()
