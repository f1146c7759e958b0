"""The audit chain's canonical form (``app.storage.audit_chain.canonical``) is, byte for byte,
what it has been since migration 0005 chained the first entries: sorted, compact JSON of the
hashed fields, written with ensure_ascii off, the time to the second. Every database's chain
depends on it; it is now written field by field for speed, and held here to the definition."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.storage.audit_chain import (
    GENESIS,
    HASHED_FIELDS,
    canonical,
    link,
    link_all,
    stored_record,
    stored_text,
)


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


@settings(max_examples=300, deadline=None)
@given(st.lists(ENTRY, min_size=1, max_size=6), st.lists(st.integers(min_value=0, max_value=5), max_size=12),
       st.sampled_from([GENESIS, "f" * 64]))
def test_linking_many_entries_at_once_gives_each_the_hash_linking_one_by_one_gives(
        entries: list[dict[str, Any]], copies: list[int], previous: str) -> None:
    """``link_all`` writes the fields entries share into their form once; entries made of the
    very same values (an import's thousands) and entries that differ in any shared field, whatever
    their order, hash as ``link`` hashes them one by one."""
    batch = [*entries, *({**entries[i % len(entries)], "id": n + 1, "record_key": f"k{n}"}
                        for n, i in enumerate(copies))]
    expected, last = [], previous
    for entry in batch:
        last = link(last, entry)
        expected.append(last)
    assert link_all(previous, batch) == last
    assert [entry["hash"] for entry in batch] == expected


def test_times_equal_in_two_zones_are_hashed_as_their_own_wall_clock_times() -> None:
    """Two aware times of one instant are equal (and one key of a plain cache), but the log hashes
    each one's wall-clock time: neither takes the other's form."""
    noon_utc = dt.datetime(2025, 3, 1, 12, 0, tzinfo=dt.UTC)
    one_in_paris = dt.datetime(2025, 3, 1, 13, 0, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    assert noon_utc == one_in_paris
    first = {"id": 1, "at": noon_utc, "user": "dana", "action": "insert", "table_name": "cases", "record_key": "C1"}
    second = {**first, "at": one_in_paris}
    assert canonical(first) == _defined(first) and canonical(second) == _defined(second)
    assert canonical(first) != canonical(second)
    assert link_all(GENESIS, [dict(first), dict(second)]) == link(link(GENESIS, first), second)


def test_one_and_true_in_a_shared_field_are_not_taken_for_each_other() -> None:
    """The shared fields' forms are kept by value: 1 and True are one key of a plain cache."""
    as_number = {"id": 1, "action": 1, "user": "dana"}
    as_flag = {"id": 1, "action": True, "user": "dana"}
    assert canonical(as_number) == _defined(as_number) and canonical(as_flag) == _defined(as_flag)


MASKS = st.dictionaries(TEXT, st.sampled_from(["[hidden PHI]", "[hidden]", "%s 100%"]), max_size=3)
STORED_VALUE = st.one_of(VALUE, st.dates(), st.datetimes(timezones=st.sampled_from([None, dt.UTC])),
                         st.dictionaries(TEXT, VALUE, max_size=3), st.lists(VALUE, max_size=3))


def _masked_then_stored(values: dict[str, Any], masks: dict[str, str]) -> str | None:
    """The definition: each masked value (if any) replaced, dates as ISO text, then ``stored_text``."""
    return stored_text({key: masks[key] if key in masks and value is not None
                        else value.isoformat() if isinstance(value, dt.date) else value
                        for key, value in values.items()})


@settings(max_examples=500, deadline=None)
@given(st.dictionaries(TEXT, STORED_VALUE, max_size=8), MASKS, st.data())
def test_a_record_is_stored_as_its_masked_values_through_the_encoder(values: dict[str, Any], masks: dict[str, str],
                                                                    data: st.DataObject) -> None:
    """``stored_record`` (a form per set of keys) is byte for byte ``stored_text`` of the masked
    values; masks also on keys the record has (some of them None: a blank stays blank)."""
    if values:
        masks = {**masks, **dict.fromkeys(data.draw(st.lists(st.sampled_from(sorted(values)), max_size=3)), "[hidden]")}
    assert stored_record(values, masks) == _masked_then_stored(values, masks)


def test_a_record_whose_keys_are_not_text_is_refused_for_the_dicts_own_way() -> None:
    with pytest.raises(TypeError):
        stored_record({1: "a"}, {})


@pytest.mark.parametrize("table", ["cases", "users", "recovery_keys", "signing_certificates", "staff"])
def test_an_import_stores_each_row_as_a_save_from_the_window_would(table: str) -> None:
    """``record_many``'s values (``app.storage.audit._stored``) are what the window's entries store
    (``_masked``, then ``stored_text``): patient identifiers and secrets hidden, blanks kept."""
    from app.storage import audit

    hidden = sorted(audit.PHI_COLUMNS.get(table, frozenset()) | audit.SECRET_COLUMNS.get(table, frozenset()))
    row = {"id": 7, "name": "Dana", "on": dt.date(2025, 1, 2), "at": dt.datetime(2025, 1, 2, 3, 4, 5),
           "done": True, "metrics": {"b": 1, "a": None}, **dict.fromkeys(hidden, "secret value")}
    if hidden:
        row[hidden[0]] = None
    stored = audit._stored(table, row)
    assert stored == stored_text(audit._masked(table, row))
    assert "secret value" not in stored
