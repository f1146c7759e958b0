"""A shared database's address built from the parts a coordinator types, with the TLS rule every
connection obeys shown as a choice: another computer only over TLS unless explicitly not."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import make_url

from app.storage.server_address import AddressProblem, Encryption, ServerAddress, check_address


def test_the_parts_make_the_address_with_the_encryption_chosen() -> None:
    assert ServerAddress("db.hospital.org").url() == \
        "postgresql+psycopg://db.hospital.org/mroqc?sslmode=verify-full"
    checked = make_url(ServerAddress("db.hospital.org", "lakeside", 5433, "mroqc_desk", Encryption.VERIFIED,
                                     "/etc/ssl/hospital-ca.pem").url())
    assert (checked.username, checked.host, checked.port, checked.database) == \
        ("mroqc_desk", "db.hospital.org", 5433, "lakeside")
    assert dict(checked.query) == {"sslmode": "verify-full", "sslrootcert": "/etc/ssl/hospital-ca.pem"}
    assert ServerAddress("10.0.4.12", encryption=Encryption.ENCRYPTED).url().endswith("?sslmode=require")
    # not encrypted is allowed, but only said explicitly in the address
    assert ServerAddress("db.hospital.org", encryption=Encryption.NONE).url().endswith("?sslmode=disable")
    assert ServerAddress("db.hospital.org", encryption=Encryption.NONE, ca_file="x.pem").url().endswith(
        "?sslmode=disable")  # a certificate file means nothing without checking


@pytest.mark.parametrize(("parts", "words"), [
    (ServerAddress(""), "server's name"),
    (ServerAddress("db hospital"), "without spaces"),
    (ServerAddress("postgresql://db/mroqc"), "whole address"),
    (ServerAddress("db.hospital.org", ""), "database's name"),
    (ServerAddress("db.hospital.org", account="dana smith"), "server account"),
    (ServerAddress("db.hospital.org", port=70000), "port"),
])
def test_what_is_wrong_with_the_parts_is_said_plainly(parts: ServerAddress, words: str) -> None:
    with pytest.raises(AddressProblem, match=words):
        parts.url()


def test_a_whole_address_is_checked_like_every_connection() -> None:
    good = "postgresql+psycopg://desk@db.hospital.org/mroqc?sslmode=verify-full"
    assert check_address(f"  {good} ") == good
    assert check_address("postgresql+psycopg://postgres@127.0.0.1:5432/mroqc")  # this computer: no TLS needed
    with pytest.raises(AddressProblem, match="encrypted connection"):
        check_address("postgresql+psycopg://desk@db.hospital.org/mroqc")
    with pytest.raises(AddressProblem, match="pgpass"):
        check_address("postgresql+psycopg://desk:s3cret@db.hospital.org/mroqc?sslmode=require")
    with pytest.raises(AddressProblem, match="no database"):
        check_address("postgresql+psycopg://desk@db.hospital.org?sslmode=require")
    with pytest.raises(AddressProblem, match="postgresql"):
        check_address("sqlite:///facility.sqlite3")
    with pytest.raises(AddressProblem, match="not a database address"):
        check_address("db.hospital.org")


def test_an_address_is_taken_apart_again_for_changing_it() -> None:
    url = "postgresql+psycopg://mroqc_desk@db.hospital.org:5433/lakeside?sslmode=verify-full&sslrootcert=/ca.pem"
    parts = ServerAddress.from_url(url)
    assert parts == ServerAddress("db.hospital.org", "lakeside", 5433, "mroqc_desk", Encryption.VERIFIED, "/ca.pem")
    assert ServerAddress.from_url(parts.url()) == parts
    assert ServerAddress.from_url("postgresql+psycopg://postgres@127.0.0.1/x").encryption is Encryption.NONE
    assert ServerAddress.from_url("postgresql+psycopg://u@db/x?application_name=y") is None  # more than the parts
    assert ServerAddress.from_url("postgresql+psycopg://u@/x?host=/run/postgresql") is None  # a socket
