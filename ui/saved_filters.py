"""Saved filters of the register ("my pending lung cases"): named, picked again, deleted.

Kept per signed-in user in the data folder's settings file (``ui.settings_file``), beside the
other per-workstation choices: user preferences have no table in the database, and a new one
would be a schema migration of its own. So that nothing in that plain file can identify a patient,
a saved filter holds only the register's choice lists and dates (project, status, flag, the
eligible range) and never the search text (a typed case ID or part of one); ``save`` drops it and
the caller says so.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from dataclasses import dataclass

from ui.settings_file import keep_private, settings

GROUP = "saved_filters"
#: Characters of a filter's name (a menu item, not a paragraph).
NAME_CHARS = 60


class FilterNameError(ValueError):
    """A name that cannot be saved (empty, too long); the message says which."""


@dataclass(frozen=True)
class SavedFilter:
    """The register's filters by name; None and empty mean "any"."""

    name: str
    project: str | None = None
    status: str | None = None
    flags: tuple[str, ...] = ()
    eligible_from: dt.date | None = None
    eligible_to: dt.date | None = None

    def to_json(self) -> str:
        values = dataclasses.asdict(self)
        for key in ("eligible_from", "eligible_to"):
            values[key] = values[key].isoformat() if values[key] else None
        values["flags"] = list(self.flags)
        return json.dumps(values, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> SavedFilter | None:
        """None for an entry this version cannot read (edited by hand, from a later version)."""
        try:
            values = json.loads(text)
            return cls(str(values["name"]), values.get("project"), values.get("status"),
                       tuple(values.get("flags") or ()),
                       *(dt.date.fromisoformat(values[k]) if values.get(k) else None
                         for k in ("eligible_from", "eligible_to")))
        except (ValueError, KeyError, TypeError):
            return None


def _group(user: str) -> str:
    return f"{GROUP}/{user.replace('/', '-') or 'anyone'}"


def saved_filters(user: str) -> list[SavedFilter]:
    """This user's saved filters, by name."""
    store = settings()
    store.beginGroup(_group(user))
    try:
        found = [SavedFilter.from_json(str(store.value(key))) for key in store.childKeys()]
    finally:
        store.endGroup()
    return sorted((f for f in found if f is not None), key=lambda f: f.name.casefold())


def _key(name: str) -> str:
    """A settings key for any name (QSettings gives "/" and "\\" meanings of their own)."""
    return name.casefold().encode("utf-8").hex()


def save_filter(user: str, saved: SavedFilter) -> SavedFilter:
    """Keep ``saved`` under its name for ``user`` (a filter of the same name is replaced)."""
    name = " ".join(saved.name.split())
    if not name:
        raise FilterNameError("Give the filter a name, such as \u201cmy pending lung cases\u201d.")
    if len(name) > NAME_CHARS:
        raise FilterNameError(f"A filter's name is at most {NAME_CHARS} characters.")
    saved = dataclasses.replace(saved, name=name)
    store = settings()
    store.setValue(f"{_group(user)}/{_key(name)}", saved.to_json())
    store.sync()
    keep_private()
    return saved


def delete_filter(user: str, name: str) -> None:
    store = settings()
    store.remove(f"{_group(user)}/{_key(name)}")
    store.sync()
