"""The record an audit entry is about, in people's words: "case MRQ-0042: dosimetry submitted
2025-06-02", "user pete", "Physics lead: S-07 Ann Lee" — never the internal row number alone.

An auditor looks a change up by what they know (a case ID, a user name, a staff ID or name), and
several tables are keyed by a row number that names nothing (a dosimetry submission, a data-entry
session, a user, a role). So every record change's words are worked out when the entry is
written, from the whole record as it is then (the staff name looked up), and kept in the entry's
``summary`` (which notes use for what they say): searched by the audit log's record filter,
hashed with the rest of the entry, and still there after the record is deleted. Entries written
before this (an earlier version's) get their words when read, from their own before/after and
the record as it is now (``entries_words``).

Patient identifiers never appear: a case is named by its case ID only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import String, cast, select
from sqlalchemy.orm import Session

from app.domain.qip_process import step_title
from app.domain.vocabulary import label
from app.domain.wording import subject_words, table_words
from app.storage.models import Base, Staff

#: The longest words kept (``audit_log.summary`` holds 300 characters).
WORDS_CHARS = 200
#: Tables whose rows name a person of the staff by ``staff_id``: their words carry the name too.
_NAMES_STAFF = frozenset({"role_assignments", "attendance", "absences"})
#: Tables whose key names the record already (and a case's row holds patient identifiers): never
#: read back to find words.
_KEY_SAYS_IT = frozenset({"cases", "meetings", "program_years"})

Values = Mapping[str, Any]


def _day(value: Any) -> str:
    return str(value)[:10] if value else "?"


def _person(values: Values, names: Mapping[str, str]) -> str:
    """``S-07 Ann Lee``: a staff member by ID and name (the ID alone when the name is unknown)."""
    staff_id = values.get("staff_id")
    if not staff_id:
        return ""
    name = names.get(str(staff_id))
    return f"{staff_id} {name}" if name else str(staff_id)


def _case(values: Values) -> str:
    return f"case {values['case_id']}" if values.get("case_id") else ""


def _joined(*parts: str) -> str:
    return ": ".join(p for p in parts if p)


_WORDS: dict[str, Callable[[str, Values, Mapping[str, str]], str]] = {
    "cases": lambda key, v, _n: f"case {v.get('case_id') or key}",
    "dosimetry_submissions": lambda key, v, n: _joined(
        _case(v), f"dosimetry submitted {_day(v.get('submitted_on'))}" if v.get("submitted_on") else ""),
    "data_entries": lambda key, v, n: _joined(
        _case(v), f"{label(v['kind'])} data entry on {_day(v.get('date'))}" if v.get("kind") else ""),
    "finding_reviews": lambda key, v, _n: (
        f"review of {v['rule']}, {subject_words(v.get('subject') or {})}" if v.get("rule") else ""),
    "staff": lambda key, v, _n: f"{v.get('staff_id') or key} {v.get('name') or ''}".strip(),
    "role_assignments": lambda key, v, n: _joined(label(v["role"]) if v.get("role") else "", _person(v, n)),
    "attendance": lambda key, v, n: _joined(
        f"meeting {v['meeting_id']}" if v.get("meeting_id") else "",
        f"{_person(v, n)} ({label(v['role'])})" if v.get("role") and v.get("staff_id") else _person(v, n)),
    "absences": lambda key, v, n: (
        _joined(_person(v, n), f"{label(v['kind'])} {_day(v.get('start'))} to {_day(v.get('end'))}" if v.get("kind") else "")
        if v.get("staff_id") else
        (f"enrollment pause ({label(v['project']) if v.get('project') else 'every project'}) "
         f"{_day(v.get('start'))} to {_day(v.get('end'))}" if v.get("start") else "")),
    "meetings": lambda key, v, _n: f"meeting {v.get('meeting_id') or key}",
    "correspondence": lambda key, v, _n: _joined(f"letter {v['letter_id']}" if v.get("letter_id") else "",
                                                 str(v.get("subject") or "")),
    "program_years": lambda key, v, _n: f"program year {v.get('year') or key}",
    "qip_episodes": lambda key, v, _n: (
        f"QIP episode {v.get('id') or key}: {v['rule']}, {subject_words(v.get('subject') or {})}"
        if v.get("rule") else ""),
    "qip_steps": lambda key, v, _n: (
        f"QIP episode {v['episode_id']}: {step_title(v['step'])}" if v.get("episode_id") and v.get("step") else ""),
    "users": lambda key, v, _n: f"user {v['name']}" if v.get("name") else "",
    "screening_profiles": lambda key, v, _n: f"screening profile {v['name']}" if v.get("name") else "",
    "facility": lambda key, v, _n: f"facility {v['name']}" if v.get("name") else "",
    "recovery_keys": lambda key, v, _n: "the recovery key",
    "signing_certificates": lambda key, v, _n: "the self-audit signing certificate",
    "user_certificates": lambda key, v, _n: (
        f"certificate of {v['user_name']}" if v.get("user_name") else f"certificate {key}"),
    "facility_certificates": lambda key, v, _n: "the facility certificate",
}


def words(table: str, key: str, values: Values, names: Mapping[str, str] | None = None) -> str | None:
    """The record ``(table, key)`` whose column values are ``values`` in people's words; None when
    they do not say (a table without words, an update that carries only what changed). ``names``:
    staff names by staff ID."""
    make = _WORDS.get(table)
    if make is None:
        return None
    text = make(key, values, names or {})
    return text[:WORDS_CHARS] if text else None


def staff_names(session: Session, staff_ids: Iterable[Any]) -> dict[str, str]:
    """Names of the staff ``staff_ids``, in one query (without flushing: it runs inside one)."""
    wanted = sorted({str(s) for s in staff_ids if s})
    names: dict[str, str] = {}
    with session.no_autoflush:
        for start in range(0, len(wanted), 500):
            chunk = wanted[start:start + 500]
            names.update((str(i), n) for i, n in session.execute(select(Staff.staff_id, Staff.name)
                                                                   .where(Staff.staff_id.in_(chunk))))
    return names


def records_words(session: Session, records: Sequence[tuple[str, str, Values]]) -> list[str | None]:
    """``words`` for many records ``(table, key, values)``, the staff names fetched once."""
    names = staff_names(session, (v.get("staff_id") for table, _key, v in records if table in _NAMES_STAFF))
    return [words(table, key, values, names) for table, key, values in records]


# ---- reading: entries written before their words were kept --------------------------------------


def _model(table: str) -> Any:
    return next((m.class_ for m in Base.registry.mappers if m.class_.__tablename__ == table), None)


def _live_values(session: Session, table: str, keys: set[str]) -> dict[str, dict[str, Any]]:
    """The records of ``table`` whose keys are ``keys``, as they are now (column values by key)."""
    model = _model(table)
    if table in _KEY_SAYS_IT or model is None or len(model.__mapper__.primary_key) != 1:
        return {}
    pk = model.__mapper__.primary_key[0]
    if pk.type.python_type is int:
        ids: list[Any] = [int(k) for k in keys if k.isdigit()]
    else:
        ids = list(keys)
    found: dict[str, dict[str, Any]] = {}
    for start in range(0, len(ids), 500):
        for obj in session.scalars(select(model).where(pk.in_(ids[start:start + 500]))):
            values = {attr.key: getattr(obj, attr.key) for attr in model.__mapper__.column_attrs}
            found[str(values[pk.key])] = values
    return found


def entry_words(entry: Mapping[str, Any]) -> str | None:
    """An entry's record in words as kept when it was written (None: written before they were kept).
    A note's ``summary`` is what it says, not a record's words: a note is named by its table and key."""
    if entry.get("action") == "note":
        key = str(entry.get("record_key") or "")
        return "" if key in ("", "-") else f"{table_words(entry.get('table_name'))} {key}"
    return entry.get("summary") or None


def entries_words(session: Session, entries: Sequence[Mapping[str, Any]]) -> list[str]:
    """Each entry's record in words: kept at writing, or else worked out from its own before/after
    and the record as it is now (an earlier version's entries); the key itself as a last resort."""
    result: list[str | None] = [entry_words(e) for e in entries]
    missing = [i for i, w in enumerate(result) if w is None]
    live: dict[str, dict[str, dict[str, Any]]] = {}
    for table in {entries[i]["table_name"] for i in missing}:
        live[table] = _live_values(session, table, {str(entries[i]["record_key"]) for i in missing
                                                    if entries[i]["table_name"] == table})
    records = []
    for i in missing:
        e = entries[i]
        key = str(e["record_key"])
        records.append((e["table_name"], key, {**live[e["table_name"]].get(key, {}), **(e.get("before") or {}),
                                               **(e.get("after") or {})}))
    for i, text in zip(missing, records_words(session, records), strict=True):
        result[i] = text
    return [text if text is not None else str(e["record_key"]) for text, e in zip(result, entries, strict=True)]


def keys_about(table: str, text: str) -> Any:
    """A subquery of the keys (as text) of ``table``'s records whose case ID or user name contains
    ``text``: the record filter finds an earlier version's entries, which carry no words, by them."""
    model = _model(table)
    column = {"dosimetry_submissions": "case_id", "data_entries": "case_id", "users": "name"}.get(table)
    if model is None or column is None:
        return None
    return select(cast(model.id, String)).where(getattr(model, column).contains(text, autoescape=True))


#: The tables ``keys_about`` can search.
SEARCHABLE_BY_KEY = ("dosimetry_submissions", "data_entries", "users")
