"""The floor under ``check --json``: what any implementation of it must at least do, with nothing
of the app and no SQLAlchemy. Timed by ``bench/run.py`` as a whole process beside ``--version``.

    python -m bench.check_floor --capture DB STATEMENTS   # run the real check, keep its SELECTs
    python -m bench.check_floor DB STATEMENTS < password  # the floor itself

The floor starts Python, imports ``sqlcipher3``, ``argon2`` and the parts of ``cryptography`` a
sign-in uses, reads the key file, derives the person's key (Argon2id, the same slot), unwraps the
database key and opens their boxes (AES-GCM), opens the database, replays every SELECT the real
sign-in and check ran (``--capture``; their pages read for the first time in this process, as the
real check's are) and prints a line of JSON. It evaluates no rule and writes no sign-in entry (nor
signs one), so it is less than a real check does: a ``check --json`` that meets issue 28's target
(2.2 x ``--version`` plus the derivation) has to come this close to it.
"""

from __future__ import annotations

import base64
import json
import sys
import time


def capture(db: str, out: str, user: str, as_of: str) -> None:
    """Run ``check --json`` in this process as the command line runs it, keeping each SELECT (and
    its parameters, dates as the ISO text SQLite is given) it sends, in order."""
    import contextlib
    import datetime as dt
    import io

    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    from app.cli import main

    statements: list[tuple[str, list[object]]] = []

    def keep(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith(("SELECT", "WITH")):
            statements.append((statement, [p.isoformat() if isinstance(p, dt.date) else p
                                           for p in (parameters or ())]))

    event.listen(Engine, "before_cursor_execute", keep)
    with contextlib.redirect_stdout(io.StringIO()):
        main(["check", "--json", "--db", db, "--as-of", as_of, "--user", user, "--password-stdin"])
    with open(out, "w", encoding="utf-8") as handle:
        json.dump(statements, handle)


def floor(db: str, statements: str, user: str) -> None:
    start = time.perf_counter()
    import sqlcipher3.dbapi2 as sqlcipher
    from argon2.low_level import Type, hash_secret_raw
    from cryptography import x509  # noqa: F401  the person's certificate, as a sign-in checks it
    from cryptography.hazmat.primitives.asymmetric import ed25519  # noqa: F401  the sign-in entry's signature
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    imported = time.perf_counter()
    secret = sys.stdin.readline().rstrip("\n")
    with open(db + ".keys", encoding="utf-8") as handle:
        keys = json.load(handle)
    slot = keys["slots"][f"user:{user}"]
    kek = hash_secret_raw(secret.encode(), base64.b64decode(slot["salt"]), time_cost=int(slot["time_cost"]),
                          memory_cost=int(slot["memory_kib"]), parallelism=int(slot["parallelism"]), hash_len=32,
                          type=Type.ID)
    derived = time.perf_counter()
    aad = f"{keys['format']} v1|{keys['database_id']}|user:{user}".encode()
    key = AESGCM(kek).decrypt(base64.b64decode(slot["nonce"]), base64.b64decode(slot["key"]), aad)
    for name, box in (slot.get("boxes") or {}).items():
        AESGCM(kek).decrypt(base64.b64decode(box["nonce"]), base64.b64decode(box["data"]), aad + f"|box:{name}".encode())
    conn = sqlcipher.connect(db)
    conn.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
    with open(statements, encoding="utf-8") as handle:
        replay = json.load(handle)
    rows = sum(len(conn.execute(statement, parameters).fetchall()) for statement, parameters in replay)
    conn.close()
    done = time.perf_counter()
    print(json.dumps({"statements": len(replay), "rows": rows, "imports_ms": round((imported - start) * 1000, 1),
                      "derive_ms": round((derived - imported) * 1000, 1), "read_ms": round((done - derived) * 1000, 1)}))


if __name__ == "__main__":
    args = sys.argv[1:]
    if args[:1] == ["--capture"]:
        capture(args[1], args[2], args[3], args[4])
    else:
        floor(args[0], args[1], args[2])
