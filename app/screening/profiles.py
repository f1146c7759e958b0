"""Saved column mappings ("ARIA weekly consults"): next week's list maps in one click.

A profile is stored with the digest of the headers it was made for (``columns.digest``); a file
whose headers give the same digest gets that profile chosen for it. Saving is an audited change
(``Permission.IMPORT``: whoever may import may keep a mapping for it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select

from app.domain.permissions import Permission
from app.screening.columns import digest
from app.screening.errors import MappingError
from app.screening.mapping import Mapping, from_dict
from app.storage.audit import now
from app.storage.database import Database
from app.storage.models import ScreeningProfile

MAX_NAME = 100


@dataclass(frozen=True)
class Profile:
    name: str
    headers: str
    mapping: Mapping


def _profile(row: ScreeningProfile) -> Profile:
    return Profile(row.name, row.headers, from_dict(row.mapping or {}, f"profile '{row.name}'"))


def save_profile(db: Database, name: str, headers: Sequence[str], mapping: Mapping) -> Profile:
    """Add the profile, or replace the one of that name."""
    name = " ".join(name.split())
    if not name or len(name) > MAX_NAME:
        raise MappingError(f"A profile needs a name of 1 to {MAX_NAME} characters.")
    fingerprint = digest(headers)
    with db.transaction(Permission.IMPORT) as session:
        row = session.scalars(select(ScreeningProfile).where(ScreeningProfile.name == name)).first()
        if row is None:
            row = ScreeningProfile(name=name)
            session.add(row)
        row.headers = fingerprint
        row.mapping = mapping.to_dict()
        row.updated_at = now()
        row.updated_by = db.actor.name if db.actor else None
    return Profile(name, fingerprint, mapping)


def list_profiles(db: Database) -> list[Profile]:
    with db.reader() as session:
        return [_profile(r) for r in session.scalars(select(ScreeningProfile).order_by(ScreeningProfile.name))]


def profile_for(db: Database, headers: Sequence[str]) -> Profile | None:
    """The most recently saved profile made for exactly these headers, if any."""
    with db.reader() as session:
        row = session.scalars(select(ScreeningProfile).where(ScreeningProfile.headers == digest(headers))
                              .order_by(ScreeningProfile.updated_at.desc(), ScreeningProfile.id.desc())).first()
        return _profile(row) if row else None
