"""Codes turned into the coordinators' words, for every screen, export and message: finding
subjects, table and field names of the audit log, values, times in the facility's (or the
computer's) zone, "a"/"an".

Pure functions; the Findings page, the QIP tracker and the audit log all use these (never a
``_``-joined code on screen)."""

from __future__ import annotations

import datetime as dt
import functools
import re
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from app.domain.vocabulary import CODES, INELIGIBLE_PRIMARY_SITES, label

_STAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$")

#: A time zone: a ``ZoneInfo``, its IANA name (``America/Detroit``), or None for the computer's own.
Zone = ZoneInfo | str | None
#: Where MROQC's facilities are (Michigan's Lower Peninsula): the zone of a facility that chose none.
DEFAULT_TIME_ZONE = "America/Detroit"
#: The zones a Michigan facility is in, as the Settings screen offers them.
TIME_ZONES: dict[str, str] = {
    "America/Detroit": "Eastern time (most of Michigan)",
    "America/Menominee": "Central time (Gogebic, Iron, Dickinson and Menominee counties)",
}

#: What each table holds, in the coordinators' words.
TABLE_WORDS: dict[str, str] = {
    "facility": "facility details", "staff": "person", "role_assignments": "role", "cases": "case",
    "data_entries": "data-entry session", "dosimetry_submissions": "dosimetry submission", "meetings": "meeting",
    "attendance": "attendance", "correspondence": "letter", "absences": "leave or pause",
    "program_years": "program year", "qip_episodes": "QIP episode", "qip_steps": "QIP step", "users": "user",
    "finding_reviews": "finding review", "installed_policies": "installed policy file", "screening_profiles": "screening profile", "audit_log": "audit log", "exports": "export",
}

#: What a table holds, counted ("12 cases"): the plural of ``TABLE_WORDS`` where it is not just an "s".
TABLE_PLURALS: dict[str, str] = {
    "facility": "facility details", "attendance": "attendance records", "correspondence": "letters",
    "staff": "people", "role_assignments": "role assignments",
    "absences": "leaves and pauses", "audit_log": "audit log entries",
}


def counted(n: int, word: str, plural: str | None = None) -> str:
    """"1 minute", "15 minutes", "1 finding": a count with its noun agreeing, never "1 minutes"."""
    return f"{n} {word}" if n == 1 else f"{n} {plural or word + 's'}"


def zoned_time(at: dt.datetime, zone: Zone) -> str:
    """A time the window's clock gave (naive: the computer's own zone) in ``zone`` (the
    facility's), with the zone's name: "2025-06-30 08:30 EDT", never a bare or lower-case "utc"."""
    where = zone_info(zone)
    aware = at if at.tzinfo is not None else at.astimezone()  # naive: as the computer's clock read it
    return aware.astimezone(where).strftime("%Y-%m-%d %H:%M %Z")


def sentence(text: str) -> str:
    """``text`` as a sentence of its own: a capital first letter ("case B: …" → "Case B: …") and a
    full stop, so a message never starts with a lower-case word or case ID."""
    text = text.strip()
    if not text:
        return text
    return text[:1].upper() + text[1:] + ("" if text[-1] in ".!?" else ".")


def choice_words(value: str) -> str:
    """A value someone entered, for a message: a code whose words differ from it in words
    (``renal_cell`` → "Renal cell"), anything else quoted as it was typed ("'liver'", "'colon'")."""
    words = label(value) if value in CODES or value in INELIGIBLE_PRIMARY_SITES else value
    return words if words.casefold() != value.casefold() else f"'{value}'"


def records_words(table: str) -> str:
    """``cases`` → "cases", ``correspondence`` → "letters": what a count of the table's rows counts."""
    return TABLE_PLURALS.get(table) or f"{table_words(table)}s"


#: Field names whose words are not just the name with spaces.
FIELD_WORDS: dict[str, str] = {
    "staff_id": "staff ID", "case_id": "case ID", "meeting_id": "meeting ID", "letter_id": "letter reference",
    "mrn": "MRN", "cmd_id": "CMD ID", "arrt_id": "ARRT ID", "pgip_member_since": "PGIP member since",
    "reply_required": "reply needed", "due_on": "reply due", "replied_on": "replied on", "received_on": "received on",
    "eligible_on": "eligible on", "enrolled_on": "enrolled on", "not_enrolled_reason": "not-enrolled reason",
    "total_dose_gy": "total dose (Gy)", "ce_credit": "CE credit", "works_on_mroqc": "works on MROQC",
    "treats_mroqc_patients": "treats MROQC patients", "performance_targets_met": "performance targets met",
    "radiation_oncologists": "radiation oncologists", "active_projects": "active projects",
    "qip_steps": "QIP steps", "bone_mets": "bone metastases",
}


def article(word: str) -> str:
    """``a physicist``, ``an administrator``."""
    return ("an " if word[:1].lower() in "aeiou" else "a ") + word


def table_words(table: str | None) -> str:
    if not table:
        return ""
    return TABLE_WORDS.get(table, table.replace("_", " "))


def field_words(field: str) -> str:
    return FIELD_WORDS.get(field, field.replace("_", " "))


def value_words(value: Any, zone: Zone = None) -> str:
    """A stored value as people read it. A dictionary (a submission's metrics, a review's detail)
    reads as ``field value, …`` and a list as its items: never Python's ``{'onset': None}``."""
    if value is None or value == "" or value == {} or value == []:
        return "(blank)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dt.datetime):
        return local_time(value, zone)
    if isinstance(value, str) and _STAMP.match(value):  # a stored UTC time, as the audit log keeps it
        return local_time(dt.datetime.fromisoformat(value), zone)
    if isinstance(value, str):
        if value.startswith("-----BEGIN"):  # a certificate or public key: its fingerprint says who it is
            return "(a certificate)" if "CERTIFICATE" in value[:40] else "(a public key)"
        if value in CODES:
            return label(value)
        if "," in value and all(v in CODES for v in value.split(",")):
            return ", ".join(label(v) for v in value.split(","))
        return value
    if isinstance(value, dict):
        return "(" + ", ".join(f"{_key_words(str(k))} {value_words(v, zone)}" for k, v in value.items()) + ")"
    if isinstance(value, list | tuple | set | frozenset):
        return ", ".join(value_words(v, zone) for v in value)
    return str(value)


def _key_words(key: str) -> str:
    """A key inside a stored dictionary: a dose metric with its unit, else a field's words."""
    return metric_words(key) if key.endswith(("_gy", "_pct", "_cc")) else field_words(key)


def subject_words(subject: dict[str, Any] | None) -> str:
    """A finding's subject for people: ``Clinical champion, meeting M-2025-03``; ``Bone metastases``."""
    if not subject:
        return "the facility"
    parts = []
    for key, value in subject.items():
        if key in ("project", "role", "kind"):
            parts.append(value_words(value))
        else:
            parts.append(f"{field_words(key)} {value_words(value)}")
    text = ", ".join(parts)
    return text[:1].upper() + text[1:]


def change_words(action: str, before: dict[str, Any] | None, after: dict[str, Any] | None,
                 zone: Zone = None) -> str:
    """An audit entry's change in words: ``reply needed: no → yes``; ``added: subject Site visit, …``
    (stored times in ``zone``, the facility's)."""
    before, after = before or {}, after or {}
    hidden = ("id", "version")
    if action == "insert":
        return "added: " + ", ".join(f"{field_words(k)} {value_words(v, zone)}" for k, v in after.items()
                                     if v not in (None, "", {}, []) and k not in hidden)
    if action == "delete":
        return "deleted: " + ", ".join(f"{field_words(k)} {value_words(v, zone)}" for k, v in before.items()
                                       if v not in (None, "", {}, []) and k not in hidden)
    keys = [k for k in sorted(set(before) | set(after)) if k not in hidden]
    return "; ".join(f"{field_words(k)}: {value_words(before.get(k), zone)} → {value_words(after.get(k), zone)}"
                     for k in keys)


def zone_info(zone: Zone) -> ZoneInfo | None:
    """``zone`` as a ``ZoneInfo`` (None: the computer's own). An unknown name is a ``ValueError``
    saying so, never a silent fall back to UTC."""
    if zone is None or isinstance(zone, ZoneInfo):
        return zone
    try:
        return ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"“{zone}” is not a time zone this computer knows (such as {DEFAULT_TIME_ZONE})") from None


def to_local(at: dt.datetime, zone: Zone = None) -> dt.datetime:
    """A stored time (naive means UTC, as the database keeps it) in ``zone`` (the facility's), or
    the computer's own zone when none is given."""
    aware = at if at.tzinfo is not None else at.replace(tzinfo=dt.UTC)
    return aware.astimezone(zone_info(zone))


def local_time(at: dt.datetime | None, zone: Zone = None) -> str:
    """A stored UTC time in ``zone`` (the facility's; None: the computer's), with the zone's
    abbreviation: ``2025-06-30 14:05:09 EDT``."""
    if at is None:
        return ""
    return to_local(at, zone).strftime("%Y-%m-%d %H:%M:%S %Z")


def utc_range(first: dt.date | None, last: dt.date | None, zone: Zone) -> tuple[dt.datetime | None, dt.datetime | None]:
    """The stored (naive UTC) times from the start of day ``first`` to the end of day ``last`` in
    ``zone``: a filter by days means the facility's days, not UTC's."""
    where = zone_info(zone)

    def start(day: dt.date) -> dt.datetime:
        local = dt.datetime.combine(day, dt.time.min, tzinfo=where)
        if where is None:
            local = local.astimezone()  # the computer's own zone
        return local.astimezone(dt.UTC).replace(tzinfo=None)

    return (start(first) if first else None, start(last + dt.timedelta(days=1)) if last else None)


@functools.lru_cache(maxsize=1024)
def metric_words(name: str) -> str:
    """A dosimetry metric's name for people: ``mean_heart_dose_gy`` → ``Mean heart dose (Gy)``
    (remembered: a list of 5,000 submissions names the same few metrics over and over)."""
    unit = ""
    for suffix, shown in (("_gy", " (Gy)"), ("_pct", " (%)"), ("_cc", " (cc)")):
        if name.endswith(suffix):
            name, unit = name[: -len(suffix)], shown
            break
    words = re.sub(r"\b([vd])(\d+)\b", lambda m: m.group(1).upper() + m.group(2), name.replace("_", " "))
    return words[:1].upper() + words[1:] + unit


def metrics_words(metrics: dict[str, float] | None) -> str:
    """``Mean heart dose (Gy) 1.2; Lung V20 (%) 18``."""
    return "; ".join(f"{metric_words(k)} {v:g}" for k, v in (metrics or {}).items())
