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
import operator
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
        return _second(value, value.tzinfo)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


@functools.lru_cache(maxsize=256)
def _second(value: dt.datetime, zone: dt.tzinfo | None) -> str:
    """A time as hashed, to the second; entries written together share it (an import's thousands).
    ``zone``: a key of the cache, as equal times in two zones are hashed as two wall-clock times."""
    return value.replace(microsecond=0, tzinfo=None).isoformat(sep=" ")


#: Sorted, compact JSON; one encoder reused (an import hashes hundreds of thousands of entries)
_encode = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str).encode


def stored_text(value: Any) -> str | None:
    """The JSON text an entry's ``before``/``after`` is stored as (None stays SQL NULL)."""
    if value is None:
        return None
    return _encode(value)


def _value(value: Any) -> str:
    """One value of a stored record as ``_encode`` writes it in a dict, dates as their ISO text."""
    if value is None:
        return "null"
    kind = value.__class__
    if kind is str:
        return encode_basestring(value)
    if kind is int:
        return int.__repr__(value)
    if isinstance(value, dt.date):  # a datetime too: the audit log keeps dates as ISO text
        return encode_basestring(value.isoformat())
    return _encode(value)


@functools.lru_cache(maxsize=128)
def _record_form(keys: tuple[str, ...], masks: tuple[tuple[str, str], ...]
                 ) -> tuple[str, Any, tuple[tuple[int, str], ...]]:
    """The JSON form of a record with these keys, sorted, a place (``%s``) for each value; what
    reads its values in that order; the places of the masked keys, each with its mask."""
    if not all(key.__class__ is str for key in keys):
        raise TypeError("a record's keys are column names")
    order = tuple(sorted(keys))
    form = "{" + ",".join(encode_basestring(key).replace("%", "%%") + ":%s" for key in order) + "}"
    reader = operator.itemgetter(*order) if len(order) > 1 else (lambda values: tuple(values[k] for k in order))
    return form, reader, tuple((at, mask) for at, key in enumerate(order) for name, mask in masks if name == key)


def stored_record(values: Mapping[str, Any], masks: Mapping[str, str]) -> str:
    """``stored_text`` of a record as the audit log keeps it: a value in ``masks`` (when there is
    one) replaced by its mask, dates and times as their ISO text. Written through a form made once
    per set of keys: an import stores hundreds of thousands (a test holds it to ``stored_text``).
    Raises TypeError for keys that are not all text."""
    form, reader, masked = _record_form(tuple(values), tuple(masks.items()))
    if not masked:
        return form % tuple(map(_value, reader(values)))
    found = list(reader(values))
    for at, mask in masked:
        if found[at] is not None:
            found[at] = mask
    return form % tuple(map(_value, found))


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
    """``_encode(value)``, without its dispatch for the kinds nearly every field holds."""
    if value is None:
        return "null"
    kind = value.__class__
    if kind is str:
        return encode_basestring(value)  # what the encoder writes for a text (ensure_ascii=False)
    if kind is int:
        return int.__repr__(value)  # what the encoder writes for an int (a bool is not one here)
    return _encode(value)


#: The fields entries written together share (an import's thousands, a save's few): written into
#: their entries' form once (``_form``), the five others into its places entry by entry.
_SHARED = ("action", "at", "change_set", "table_name", "user")


@functools.lru_cache(maxsize=256, typed=True)  # typed: 1 and True are one key, but not one JSON
def _form(action: Any, at: Any, change_set: Any, table_name: Any, user: Any) -> str:
    """The canonical form of entries sharing these fields (``at`` as ``_plain`` gives it), with a
    place (``%s``) for each of the others, in ``_SORTED_FIELDS``' order: after, before, id,
    record_key, summary."""
    shared = {name: _json(value).replace("%", "%%") for name, value in
              zip(_SHARED, (action, at, change_set, table_name, user), strict=True)}
    return _CANONICAL % tuple(shared.get(name, "%s") for name in _SORTED_FIELDS)


def _shared(entry: Mapping[str, Any]) -> tuple[Any, ...]:
    """The entry's ``_SHARED`` fields, as they are."""
    get = entry.get
    return get("action"), get("at"), get("change_set"), get("table_name"), get("user")


def _form_of(shared: tuple[Any, ...]) -> str:
    """``_form`` of these shared fields; TypeError when one is no key of a cache."""
    action, at, *rest = shared
    return _form(action, _plain(at), *rest)


def _filled(form: str, entry: Mapping[str, Any]) -> str:
    """``form`` with the entry's own fields in its places."""
    get = entry.get
    return form % (_json(get("after")), _json(get("before")), _json(get("id")), _json(get("record_key")),
                   _json(get("summary")))


def canonical(entry: Mapping[str, Any]) -> bytes:
    """The bytes hashed for one entry: its fields (``before``/``after`` as their stored JSON text)
    as sorted, compact JSON (``_encode`` of a dict of them; written field by field, as that
    writes them, since an import hashes hundreds of thousands: a test holds the two equal)."""
    try:
        form = _form_of(_shared(entry))
    except TypeError:  # a shared field that is no key of a cache (never one the app writes)
        get = entry.get
        return (_CANONICAL % tuple(_json(_plain(get(name)) if name == "at" else get(name))
                                   for name in _SORTED_FIELDS)).encode()
    return _filled(form, entry).encode()


assert _SORTED_FIELDS == ("action", "after", "at", "before", "change_set", "id", "record_key", "summary",
                          "table_name", "user"), "canonical() writes the hashed fields in this order"


def link(previous: str, entry: Mapping[str, Any]) -> str:
    return hashlib.sha256(previous.encode("ascii") + b"\n" + canonical(entry)).hexdigest()


def link_all(previous: str, entries: Iterable[dict[str, Any]]) -> str:
    """Each entry's ``hash``, linking it to the one before (``link``, the first to ``previous``);
    returns the last. Written as a loop of its own: an import links hundreds of thousands."""
    sha256 = hashlib.sha256
    last: tuple[Any, ...] | None = None
    form = ""
    for entry in entries:
        shared = _shared(entry)
        # entries written together (the very same values): their form once
        if last is None or any(mine is not theirs for mine, theirs in zip(shared, last, strict=True)):
            try:
                form = _form_of(shared)
            except TypeError:  # never a field the app writes: each entry its own way
                entry["hash"] = previous = link(previous, entry)
                last = None
                continue
            last = shared
        entry["hash"] = previous = sha256(previous.encode("ascii") + b"\n" + _filled(form, entry).encode()).hexdigest()
    return previous


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
