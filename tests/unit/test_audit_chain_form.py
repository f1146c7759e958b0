"""The audit chain's canonical form (``app.storage.audit_chain.canonical``) is, byte for byte,
what it has been since migration 0005 chained the first entries: sorted, compact JSON of the
hashed fields, written with ensure_ascii off, the time to the second. Every database's chain
depends on it; it is now written field by field for speed, and held here to the definition."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from app.storage.audit_chain import GENESIS, HASHED_FIELDS, canonical, link, stored_text


def _defined(entry: dict[str, Any]) -> bytes:
    values = {name: entry.get(name) for name in HASHED_FIELDS}
    at = values["at"]
    if isinstance(at, dt.datetime):
        values["at"] = at.replace(microsecond=0, tzinfo=None).isoformat(sep=" ")
    elif isinstance(at, dt.date):
        values["at"] = at.isoformat()
    return json.dumps(values, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str).encode()


TEXT = st.text(st.characters(codec="utf-8"), max_size=20)
VALUE = st.one_of(st.none(), TEXT, st.integers(), st.booleans(), st.floats(allow_nan=False))
RECORD = st.dictionaries(TEXT, st.one_of(VALUE, st.dates()), max_size=5)
ENTRY = st.fixed_dictionaries(
    {"id": st.integers(min_value=1, max_value=2**53), "user": TEXT, "action": st.sampled_from(["insert", "update"]),
     "table_name": TEXT, "record_key": TEXT, "change_set": st.one_of(st.none(), TEXT), "summary": st.one_of(st.none(), TEXT),
     "at": st.one_of(st.datetimes(timezones=st.sampled_from([None, dt.UTC])), st.dates(), st.none(), TEXT),
     "before": st.one_of(st.none(), RECORD.map(stored_text)), "after": st.one_of(st.none(), RECORD.map(stored_text))},
    optional={"hash": TEXT, "extra": VALUE})


@settings(max_examples=500, deadline=None)
@given(ENTRY)
def test_the_canonical_form_is_sorted_compact_json_of_the_hashed_fields(entry: dict[str, Any]) -> None:
    assert canonical(entry) == _defined(entry)


def test_a_known_entry_hashes_as_it_always_has() -> None:
    """A fixed entry's hash, as the chain's first implementation computed it."""
    entry = {"id": 1, "at": dt.datetime(2025, 1, 2, 3, 4, 5, 678), "user": "dana", "action": "insert",
             "table_name": "cases", "record_key": "C1", "before": None,
             "after": stored_text({"case_id": "C1", "eligible_on": "2025-01-01", "note": "café \"x\""}),
             "change_set": "abc", "summary": "case C1"}
    assert canonical(entry) == (
        b'{"action":"insert","after":"{\\"case_id\\":\\"C1\\",\\"eligible_on\\":\\"2025-01-01\\",\\"note\\":'
        b'\\"caf\xc3\xa9 \\\\\\"x\\\\\\"\\"}","at":"2025-01-02 03:04:05","before":null,"change_set":"abc","id":1,'
        b'"record_key":"C1","summary":"case C1","table_name":"cases","user":"dana"}')
    # computed by the field-by-field form's predecessor (a dict of the fields through the encoder)
    assert link(GENESIS, entry) == "91836e779a19ddf719941c0ae5c3dc4e985065b414e9dcd693b1c33b3b04300b"
