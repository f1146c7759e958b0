"""Setting up and reading the facility record."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.domain.dates import DATE_FORMATS
from app.domain.permissions import Permission
from app.domain.security_policy import security_policy
from app.domain.vocabulary import FACILITY_KINDS, PROJECTS, label
from app.domain.wording import DEFAULT_TIME_ZONE, zone_info
from app.storage import audit
from app.storage.database import Database
from app.storage.models import Facility


class FacilityError(ValueError):
    """Invalid facility details; the message says what to fix."""


@dataclass(frozen=True)
class FacilityDetails:
    name: str
    kind: str = "hospital"
    radiation_oncologists: int = 0
    joined_on: dt.date | None = None
    baseline_year: int | None = None
    active_projects: tuple[str, ...] = PROJECTS
    enrollment_period_start: str = "01-01"
    policy_year: int | None = None
    lock_after_minutes: int | None = None  # None: the security policy's default
    date_format: str | None = None  # ``iso`` or ``us``; None keeps the facility's (ISO for a new one)
    #: The facility's time zone (IANA name): the audit log's and reviews' times are in it. None
    #: keeps the facility's (``America/Detroit`` for a new one).
    time_zone: str | None = None
    #: Since when the facility keeps its records here (``records_kept_since``): a rule whose
    #: window reaches back before it says "not enough history yet". None keeps the facility's; a
    #: new facility's is its join date (set up with its history) unless the first run says today.
    records_kept_since: dt.date | None = None

    def validated(self, today: dt.date) -> FacilityDetails:
        name = self.name.strip()
        if not name:
            raise FacilityError("The facility needs a name.")
        if self.kind not in FACILITY_KINDS:
            raise FacilityError(f"Facility kind must be one of: {', '.join(FACILITY_KINDS)}.")
        if self.radiation_oncologists < 0:
            raise FacilityError("The number of radiation oncologists cannot be negative.")
        unknown = [p for p in self.active_projects if p not in PROJECTS]
        if unknown or not self.active_projects:
            raise FacilityError("Choose at least one active project among: "
                                f"{', '.join(label(p) for p in PROJECTS)}.")
        if self.date_format is not None and self.date_format not in DATE_FORMATS:
            raise FacilityError("Dates are shown as 2025-06-30 or as 06/30/2025.")
        if self.time_zone is not None:
            try:
                zone_info(self.time_zone)
            except ValueError as exc:
                raise FacilityError(f"The facility's time zone: {exc}.") from None
        try:
            dt.date.fromisoformat(f"2024-{self.enrollment_period_start}")
        except ValueError:
            raise FacilityError("The enrollment period start must be a month-day such as 01-01.") from None
        joined = self.joined_on or today
        if self.records_kept_since is not None and self.records_kept_since > today:
            raise FacilityError("Records cannot be kept here since a day after today.")
        baseline = self.baseline_year or joined.year
        policy = security_policy()
        lock = policy.idle_default_minutes if self.lock_after_minutes is None else self.lock_after_minutes
        if not policy.idle_min_minutes <= lock <= policy.idle_max_minutes:
            raise FacilityError(f"The window locks after {policy.idle_min_minutes} to {policy.idle_max_minutes} "
                                "idle minutes.")
        return FacilityDetails(
            name=name,
            kind=self.kind,
            radiation_oncologists=self.radiation_oncologists,
            joined_on=joined,
            baseline_year=baseline,
            active_projects=tuple(self.active_projects),
            enrollment_period_start=self.enrollment_period_start,
            policy_year=self.policy_year,
            lock_after_minutes=lock,
            date_format=self.date_format,
            time_zone=self.time_zone,
            records_kept_since=self.records_kept_since,
        )


def get_facility(db: Database) -> Facility | None:
    with db.reader() as session:
        return session.scalars(select(Facility).limit(1)).first()


def save_facility(db: Database, details: FacilityDetails, *, today: dt.date) -> Facility:
    """Create the facility record, or update it if the database already has one."""
    clean = details.validated(today)
    with db.transaction(Permission.FACILITY) as session:
        facility = session.scalars(select(Facility).limit(1)).first()
        if facility is None:
            facility = Facility(id=1)
            session.add(facility)
        facility.name = clean.name
        facility.kind = clean.kind
        facility.radiation_oncologists = clean.radiation_oncologists
        facility.joined_on = clean.joined_on  # type: ignore[assignment]
        facility.baseline_year = clean.baseline_year  # type: ignore[assignment]
        facility.active_projects = ",".join(clean.active_projects)
        facility.enrollment_period_start = clean.enrollment_period_start
        facility.policy_year = clean.policy_year
        facility.lock_after_minutes = clean.lock_after_minutes  # type: ignore[assignment]
        if clean.date_format is not None:
            facility.date_format = clean.date_format
        if clean.time_zone is not None:
            facility.time_zone = clean.time_zone
        if clean.records_kept_since is not None:
            facility.records_kept_since = clean.records_kept_since
        elif facility.records_kept_since is None:
            facility.records_kept_since = clean.joined_on
    return facility


def records_kept_since(facility: Facility) -> dt.date:
    """Since when the facility's records are in this database (a row from before the column: its
    join date)."""
    return facility.records_kept_since or facility.joined_on


def keep_records_since_earliest(session: Session, days: Iterable[dt.date | None]) -> dt.date | None:
    """An import brought records dated ``days``: move the facility's "records kept here since"
    back to the earliest of them when that is earlier, audited, in the import's transaction (so the
    history it brought is judged as history). Returns the new day, or None when nothing moved."""
    earliest = min((d for d in days if d is not None), default=None)
    facility = session.scalars(select(Facility).limit(1)).first()
    if earliest is None or facility is None:
        return None
    current = facility.records_kept_since
    if records_kept_since(facility) <= earliest:
        return None
    session.execute(update(Facility), [{"id": facility.id, "version": facility.version, "records_kept_since": earliest}])
    audit.record_many(session, "facility", [("update", str(facility.id), {"records_kept_since": current},
                                             {"records_kept_since": earliest})])
    return earliest


def facility_zone(db: Database) -> str:
    """The facility's time zone (IANA name), in which times are shown to people: the audit log,
    a review's time. A database without a facility yet is in ``DEFAULT_TIME_ZONE``."""
    with db.reader() as session:
        zone = session.scalar(select(Facility.time_zone).limit(1))
    return zone or DEFAULT_TIME_ZONE
