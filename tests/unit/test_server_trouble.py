"""A shared database that cannot be opened is said in plain words, typed by kind, naming the
server and database from the address (never its password, never the driver's text); a password
carried over from a file's key slot is checked by a verifier that holds no key of the file."""

from __future__ import annotations

import os
from pathlib import Path

import psycopg
import pytest

from app.security.keyfile import KeyFile, user_slot
from app.security.passwords import KEYSLOT_PREFIX, hash_password, needs_new_hash, verify_password
from app.storage.database import open_database
from app.storage.errors import DatabaseError
from app.storage.server_probe import DatabaseState, probe
from app.storage.server_trouble import (
    ServerUnreachable,
    TroubleKind,
    classify,
    server_trouble,
    where,
)

#: What libpq and psycopg say, as they say it (PostgreSQL 15, psycopg 3), and what it means.
DRIVER_LINES = [
    ('connection failed: connection to server at "127.0.0.1", port 1 failed: Connection refused\n\tIs the server '
     "running on that host and accepting TCP/IP connections?", TroubleKind.NO_ANSWER),
    ('connection failed: connection to server at "10.1.2.3", port 5432 failed: timeout expired', TroubleKind.NO_ANSWER),
    ("failed to resolve host 'db.nowhere.invalid': [Errno -2] Name or service not known", TroubleKind.NO_ANSWER),
    ('could not translate host name "db.nowhere" to address: Temporary failure in name resolution',
     TroubleKind.NO_ANSWER),
    ('connection is bad: connection to server on socket "/tmp/.s.PGSQL.5432" failed: No such file or directory',
     TroubleKind.NO_ANSWER),
    ('connection failed: connection to server at "127.0.0.1", port 5432 failed: FATAL:  database "mroqc" does '
     "not exist", TroubleKind.NO_DATABASE),
    ('connection failed: connection to server at "db", port 5432 failed: FATAL:  password authentication failed '
     'for user "mroqc_desk"', TroubleKind.LOGIN_REFUSED),
    ('connection failed: connection to server at "db", port 5432 failed: FATAL:  role "desk" does not exist',
     TroubleKind.LOGIN_REFUSED),
    ('connection failed: connection to server at "db", port 5432 failed: FATAL:  no pg_hba.conf entry for host '
     '"10.0.0.9", user "desk", database "mroqc", no encryption', TroubleKind.LOGIN_REFUSED),
    ('connection failed: connection to server at "db", port 5432 failed: server does not support SSL, but SSL '
     "was required", TroubleKind.TLS),
    ('connection failed: connection to server at "db", port 5432 failed: SSL error: certificate verify failed',
     TroubleKind.TLS),
    ('connection failed: root certificate file "/etc/ssl/hospital-ca.pem" does not exist', TroubleKind.TLS),
    ('connection failed: connection to server at "db", port 5432 failed: FATAL:  the database system is starting '
     "up", TroubleKind.NOT_READY),
    ('connection failed: connection to server at "db", port 5432 failed: FATAL:  sorry, too many clients already',
     TroubleKind.NOT_READY),
    ("connection failed: something nobody has seen before", TroubleKind.OTHER),
]

URL = "postgresql+psycopg://mroqc_desk:s3cret@db.hospital.org/mroqc?sslmode=verify-full"


@pytest.mark.parametrize(("line", "kind"), DRIVER_LINES)
def test_each_driver_line_is_sorted_into_its_kind(line: str, kind: TroubleKind) -> None:
    assert classify(psycopg.OperationalError(line)) is kind


@pytest.mark.parametrize(("line", "kind"), DRIVER_LINES)
def test_what_is_shown_is_plain_words_without_the_driver_text_or_the_password(line: str, kind: TroubleKind) -> None:
    trouble = server_trouble(psycopg.OperationalError(line), URL)
    assert isinstance(trouble, DatabaseError) and trouble.kind is kind
    shown = f"{trouble} {trouble.reason} {trouble.advice}"
    assert "s3cret" not in shown
    for driver_word in ("FATAL", "connection failed", "psycopg", "Errno", "pg_hba", "port 5432 failed"):
        assert driver_word not in shown
    assert len(str(trouble).splitlines()) == 1  # the command line's one line
    assert "db.hospital.org" in trouble.reason


def test_the_reasons_name_the_server_and_the_database() -> None:
    assert ServerUnreachable(TroubleKind.NO_DATABASE, URL).reason == "the database mroqc does not exist on db.hospital.org"
    assert ServerUnreachable(TroubleKind.NO_ANSWER, URL).reason == "the server db.hospital.org did not answer"
    assert ServerUnreachable(TroubleKind.LOGIN_REFUSED, URL).reason == \
        "the server db.hospital.org refused the login of the server account mroqc_desk"
    assert "TLS" in ServerUnreachable(TroubleKind.TLS, URL).reason
    w = where("postgresql+psycopg://desk:pw@db.hospital.org:5433/mroqc")
    assert (w.server, w.database, w.account, w.address) == (
        "db.hospital.org:5433", "mroqc", "desk", "postgresql+psycopg://desk@db.hospital.org:5433/mroqc")


def test_a_closed_port_did_not_answer() -> None:
    """Nothing listens on port 1: the open fails at once, typed, in plain words."""
    url = "postgresql+psycopg://postgres@127.0.0.1:1/mroqc"
    with pytest.raises(ServerUnreachable) as caught:
        open_database(url)
    assert caught.value.kind is TroubleKind.NO_ANSWER
    assert str(caught.value).startswith("Cannot open the shared database: the server 127.0.0.1:1 did not answer.")
    with pytest.raises(ServerUnreachable):
        probe(url)


def test_an_unencrypted_address_to_another_computer_is_refused_as_its_own_kind() -> None:
    with pytest.raises(ServerUnreachable) as caught:
        open_database("postgresql+psycopg://desk@db.hospital.org/mroqc")
    assert caught.value.kind is TroubleKind.NOT_ENCRYPTED and "sslmode" in str(caught.value)


@pytest.mark.pg
def test_a_database_name_that_does_not_exist_is_its_own_reason(pg_url: str) -> None:
    missing = pg_url.rsplit("/", 1)[0] + "/no_such_facility_db"
    with pytest.raises(ServerUnreachable) as caught:
        open_database(missing)
    assert caught.value.kind is TroubleKind.NO_DATABASE
    assert caught.value.reason == "the database no_such_facility_db does not exist on 127.0.0.1:5432"
    assert probe(pg_url) is DatabaseState.EMPTY  # the server answers; nothing was moved there yet
    assert probe(pg_url) is DatabaseState.EMPTY  # and the probe created nothing


# ---- a password carried over from a file's key slot -------------------------------------------


def test_a_key_slot_verifier_accepts_exactly_the_slot_password(tmp_path: Path) -> None:
    keys = KeyFile.new(tmp_path / "f.sqlite3.keys")
    database_key = os.urandom(32)
    keys.wrap(user_slot("cy"), "cy's own passphrase", database_key)
    verifier = keys.slots[user_slot("cy")].password_verifier(database_key)
    assert verifier.startswith(KEYSLOT_PREFIX) and not verifier.startswith("$argon2")
    assert database_key.hex() not in verifier
    assert keys.unwrap(user_slot("cy"), "cy's own passphrase") == database_key
    assert verify_password(verifier, "cy's own passphrase")
    assert not verify_password(verifier, "cy's own passphrasE")
    assert not verify_password(verifier[:-4] + "AAAA", "cy's own passphrase")  # a changed verifier fails
    assert not verify_password(KEYSLOT_PREFIX + "damaged", "cy's own passphrase")
    assert needs_new_hash(verifier) and not needs_new_hash(hash_password("cy's own passphrase"))
    assert not needs_new_hash(None)
