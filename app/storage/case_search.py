"""The register's trigram index of the case IDs (SQLite, migration 0016): checked and made again.

The index is derived from ``cases`` by triggers, not a record: no audit entry describes it, so
``verify`` holds it to the cases instead (someone with the database key and another program could
remove an entry to keep a case from being found by its ID), and ``mroqc-desk reindex`` makes it
again from them. The register's queries over it are ``app.services.register``'s.
"""

from __future__ import annotations

from typing import Any

#: the index's table (an FTS5 virtual table; ``app.services.register.CASE_ID_SEARCH`` queries it)
TABLE = "case_id_search"


def _runner(connection: Any) -> Any:
    """How plain SQL runs on ``connection``: a SQLAlchemy one's ``exec_driver_sql``, a DB-API one's
    ``execute`` (``verify`` reads the file through the driver, ``reindex`` through the session)."""
    return getattr(connection, "exec_driver_sql", None) or connection.execute


def held_by(connection: Any) -> bool:
    """Whether the database has the index (SQLite at migration 0016 or later)."""
    return _runner(connection)(f"SELECT count(*) FROM sqlite_master WHERE name = '{TABLE}'").fetchone()[0] == 1


def index_problems(connection: Any) -> list[str]:
    """How the index differs from the cases' IDs, in words (none: the same IDs, each once)."""
    run = _runner(connection)
    if not held_by(connection):
        return []
    missing = run(f"SELECT count(*) FROM (SELECT case_id FROM cases EXCEPT SELECT case_id FROM {TABLE})").fetchone()[0]
    extra = run(f"SELECT count(*) FROM (SELECT case_id FROM {TABLE} EXCEPT SELECT case_id FROM cases)").fetchone()[0]
    entries = run(f"SELECT count(*) FROM {TABLE}").fetchone()[0]
    cases = run("SELECT count(*) FROM cases").fetchone()[0]
    if not (missing or extra or entries != cases):
        return []
    parts = [f"{missing} case(s) missing from it" if missing else "",
             f"{extra} ID(s) of no case in it" if extra else "",
             "an ID in it more than once" if not (missing or extra) else ""]
    return ["search index: the register's index of the case IDs does not match the cases ("
            + ", ".join(p for p in parts if p) + "): searching by case ID may miss cases; "
            "`mroqc-desk reindex` makes it again from the cases"]


def rebuild(connection: Any) -> int:
    """The index made again from the cases (inside the caller's transaction); the IDs it holds."""
    run = _runner(connection)
    run(f"DELETE FROM {TABLE}")
    run(f"INSERT INTO {TABLE} (case_id) SELECT case_id FROM cases")
    return int(run(f"SELECT count(*) FROM {TABLE}").fetchone()[0])
