"""The audit log's hash chain: each entry's hash covers the entry and the previous entry's hash.

Changing, removing or inserting an entry anywhere breaks every later link, so ``verify`` (and
the Audit log screen) can point at the first entry that no longer matches. The end of the chain
is also kept in ``audit_head`` (last ID, last hash, count), so cutting entries off the end shows
too. The canonical form below is part of the file format: migration 0005 chained the entries
that existed before, and every database written since depends on it. Never change it.

The ``before`` and ``after`` columns are hashed as the JSON text stored in them (``stored_text``
writes it; ``audit_columns`` reads it back as text), not as re-encoded values: what is checked
is exactly what is on disk, and no JSON round trip can make an honest entry look changed.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from json.encoder import encode_basestring  # type: ignore[attr-defined]
from typing import Any

import sqlalchemy as sa

#: The fields an entry's hash covers, in this order (the entry's ID included: no reordering).
HASHED_FIELDS = ("id", "at", "user", "action", "table_name", "record_key", "before", "after", "change_set", "summary")
GENESIS = "0" * 64


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return _second(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


@functools.lru_cache(maxsize=256)
def _second(value: dt.datetime) -> str:
    """A time as hashed, to the second; entries written together share it (an import's thousands)."""
    return value.replace(microsecond=0, tzinfo=None).isoformat(sep=" ")


#: Sorted, compact JSON; one encoder reused (an import hashes hundreds of thousands of entries)
_encode = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str).encode


def stored_text(value: Any) -> str | None:
    """The JSON text an entry's ``before``/``after`` is stored as (None stays SQL NULL)."""
    if value is None:
        return None
    return _encode(value)


class ServerJsonText(sa.types.TypeDecorator):
    """JSON text sent as it is and cast to ``json`` by the server (a json column refuses text)."""

    impl = sa.Text
    cache_ok = True

    def bind_expression(self, bindvalue):  # type: ignore[no-untyped-def]
        return sa.cast(bindvalue, sa.JSON)


def audit_columns(server: bool = False) -> sa.TableClause:
    """``audit_log`` as a plain table whose JSON columns read and write as text (fresh columns per
    call: a column object belongs to one table). ``server``: PostgreSQL, where the text is cast
    to ``json`` on the way in."""
    json_text = ServerJsonText() if server else sa.Text()
    return sa.table(
        "audit_log", sa.column("id", sa.Integer), sa.column("at", sa.DateTime), sa.column("user", sa.String),
        sa.column("action", sa.String), sa.column("table_name", sa.String), sa.column("record_key", sa.String),
        sa.column("before", json_text), sa.column("after", json_text), sa.column("change_set", sa.String),
        sa.column("summary", sa.String), sa.column("hash", sa.String),
    )


#: The canonical form's keys in sorted order, each with its place for the value's JSON
_SORTED_FIELDS = tuple(sorted(HASHED_FIELDS))
_CANONICAL = "{" + ",".join(f'"{name}":%s' for name in _SORTED_FIELDS) + "}"


def _json(value: Any) -> str:
    """``_encode(value)``, without its dispatch for the two kinds nearly every field holds."""
    if value is None:
        return "null"
    if value.__class__ is str:
        return encode_basestring(value)  # what the encoder writes for a text (ensure_ascii=False)
    return _encode(value)


def canonical(entry: Mapping[str, Any]) -> bytes:
    """The bytes hashed for one entry: its fields (``before``/``after`` as their stored JSON text)
    as sorted, compact JSON (``_encode`` of a dict of them; written field by field, as that
    writes them, since an import hashes hundreds of thousands: a test holds the two equal)."""
    get = entry.get
    return (_CANONICAL % (  # the fields in _SORTED_FIELDS' order (checked below)
        _json(get("action")), _json(get("after")), _json(_plain(get("at"))), _json(get("before")),
        _json(get("change_set")), _json(get("id")), _json(get("record_key")), _json(get("summary")),
        _json(get("table_name")), _json(get("user")))).encode()


assert _SORTED_FIELDS == ("action", "after", "at", "before", "change_set", "id", "record_key", "summary",
                          "table_name", "user"), "canonical() writes the hashed fields in this order"


def link(previous: str, entry: Mapping[str, Any]) -> str:
    return hashlib.sha256(previous.encode("ascii") + b"\n" + canonical(entry)).hexdigest()


@dataclass(frozen=True)
class ChainReport:
    """What walking the chain found. ``broken_at``: the ID of the first entry that does not match
    (None when intact); ``problem``: what is wrong there, in words."""

    entries: int
    broken_at: int | None
    problem: str | None
    last_hash: str

    @property
    def intact(self) -> bool:
        return self.problem is None


def walk(entries: Iterable[Mapping[str, Any]], head: Mapping[str, Any] | None) -> ChainReport:
    """Check ``entries`` (in ID order) link by link, then against the recorded head."""
    previous = GENESIS
    count = 0
    last_id = 0
    for entry in entries:
        count += 1
        expected = link(previous, entry)
        if entry.get("hash") != expected:
            what = "has no hash" if not entry.get("hash") else "was changed, or an entry before it was removed or added"
            return ChainReport(count, int(entry["id"]), f"audit entry {entry['id']} {what}", previous)
        previous = expected
        last_id = int(entry["id"])
    if head is None:
        if count:
            return ChainReport(count, None, "the audit log's recorded end is missing", previous)
        return ChainReport(0, None, None, previous)
    if int(head["entries"]) != count or int(head["last_id"]) != last_id or head["last_hash"] != previous:
        return ChainReport(count, last_id or None,
                           f"the audit log ends at entry {last_id} ({count} entries) but its recorded end is entry "
                           f"{head['last_id']} ({head['entries']} entries): entries were removed from its end",
                           previous)
    return ChainReport(count, None, None, previous)
