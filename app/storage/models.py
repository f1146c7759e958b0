"""The facility database, one typed ORM class per table.

Workbook IDs (``staff_id``, ``case_id``, ``meeting_id``, ``letter_id``) are the primary or unique
keys of their tables so that re-importing a workbook updates rows instead of duplicating them.
Tables whose workbook sheet has no ID column use a surrogate integer key plus a natural key that
the importer matches on (``app.workbook.schema``).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy import true as sa_true
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    Unmapped,
    declared_attr,
    mapped_column,
    unmapped_column,
)

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Versioned:
    """A record people edit, perhaps at two workstations at once: its ``version`` goes up by one
    with every change, and a save or delete based on an older version is refused
    (SQLAlchemy raises ``StaleDataError``; ``app.services.editing`` turns it into a ``Conflict``)."""

    version: Mapped[int] = mapped_column(Integer, nullable=False, server_default="1")

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:  # noqa: N805 (SQLAlchemy's declared attribute)
        return {"version_id_col": cls.__table__.c.version}  # type: ignore[attr-defined]


class Facility(Versioned, Base):
    """The one facility a database describes (a single row)."""

    __tablename__ = "facility"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20), default="hospital")
    radiation_oncologists: Mapped[int] = mapped_column(Integer, default=0)
    joined_on: Mapped[dt.date] = mapped_column(Date)
    baseline_year: Mapped[int] = mapped_column(Integer)
    #: Comma list of project codes; all four when empty.
    active_projects: Mapped[str] = mapped_column(String(100), default="")
    #: ``MM-DD`` start of each project's annual enrollment period.
    enrollment_period_start: Mapped[str] = mapped_column(String(5), default="01-01")
    policy_year: Mapped[int | None] = mapped_column(Integer, nullable=True)
    #: Minutes without input after which the window locks itself (a facility setting, 1–60).
    lock_after_minutes: Mapped[int] = mapped_column(Integer, default=15, server_default="15")
    #: How dates are shown: ``iso`` (2025-06-30) or ``us`` (06/30/2025); typed either way.
    date_format: Mapped[str] = mapped_column(String(20), default="iso", server_default="iso")
    #: The facility's time zone (IANA name): times are shown to people in it (the audit log, reviews).
    time_zone: Mapped[str] = mapped_column(String(64), default="America/Detroit", server_default="America/Detroit")
    #: The day the facility started keeping its records here (migration 0012): the app cannot know
    #: what happened before it, so a rule whose window reaches back before it does not fire. None
    #: (a row written before the column) reads as the join date.
    records_kept_since: Mapped[dt.date | None] = mapped_column(Date, nullable=True)


class Staff(Versioned, Base):
    __tablename__ = "staff"

    staff_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    profession: Mapped[str] = mapped_column(String(40))
    physician_title: Mapped[str | None] = mapped_column(String(40), nullable=True)
    works_on_mroqc: Mapped[bool] = mapped_column(Boolean, default=False)
    treats_mroqc_patients: Mapped[bool] = mapped_column(Boolean, default=False)
    cmd_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    arrt_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    pgip_member_since: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    email: Mapped[str | None] = mapped_column(String(200), nullable=True)


class RoleAssignment(Versioned, Base):
    __tablename__ = "role_assignments"
    __table_args__ = (UniqueConstraint("staff_id", "role", "start", name="uq_role_assignment"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    staff_id: Mapped[str] = mapped_column(ForeignKey("staff.staff_id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(40), index=True)
    start: Mapped[dt.date] = mapped_column(Date)
    end: Mapped[dt.date | None] = mapped_column(Date, nullable=True)


#: A date after every date (Python's last): what a blank date reads as in the register's flag
#: indexes ("not enrolled yet", "no dosimetry yet"), so each flag is one range of its index.
NEVER = dt.date.max.isoformat()
#: Columns the database keeps itself (triggers), never written by the app: left out of the
#: mapping, the audit log's entries and the replay that checks them.
KEPT_COLUMNS: dict[str, tuple[str, ...]] = {"cases": ("first_dosimetry_on",)}
#: The register's sortable columns that have an index in their sort order (``sort_key``).
SORT_INDEXED = ("project", "primary_site", "status", "enrolled_on", "not_enrolled_reason", "payer")
NULLABLE_SORTS = frozenset({"primary_site", "enrolled_on", "not_enrolled_reason", "payer"})


def sort_key(column: str, descending: bool = False) -> tuple[Any, ...]:
    """The register's order by ``column`` as index columns: its blanks last (``column IS NULL``
    first, for a column that may be blank), then the column, then the case ID: the ORDER BY of
    ``app.services.register.fetch_page`` exactly, so a page is read along the index. Blanks stay
    last in a descending order too, which is then not the ascending one read backwards: a column
    that may be blank has a ``descending`` index of its own (migration 0015)."""
    if column in NULLABLE_SORTS:
        if descending:
            return (text(f"({column} IS NULL)"), text(f"{column} DESC"), text("case_id DESC"))
        return (text(f"({column} IS NULL)"), column, "case_id")
    return (column, "case_id")


class Case(Versioned, Base):
    """One eligible patient of one project and where their enrollment stands."""

    __tablename__ = "cases"
    __table_args__ = (
        Index("ix_cases_eligible_case", "eligible_on", "case_id"),  # register order + case-ID filter
        Index("ix_cases_enrolled_payer", "enrolled_on", "payer"),  # the payer mix from the index (migration 0014)
        Index("ix_cases_project_eligible", "project", "eligible_on"),
        Index("ix_cases_status_eligible", "status", "eligible_on"),
        # (project, enrolled_on) for the last enrollment per project; the case ID for the anti-join of
        # the missing dosimetry, read from the index alone (migration 0010)
        Index("ix_cases_project_enrolled_case", "project", "enrolled_on", "case_id"),
        Index("ix_cases_mrn_project", "mrn", "project", "eligible_on", "case_id"),  # data-quality duplicates
        # the register's sorts (migration 0013): each index is its ORDER BY, blanks last, ties by case ID
        *(Index(f"ix_cases_sort_{column}", *sort_key(column)) for column in SORT_INDEXED),
        *(Index(f"ix_cases_sort_{column}_desc", *sort_key(column, descending=True))  # (migration 0015)
          for column in sorted(NULLABLE_SORTS)),
        # the register's flags, their matches found without reading the rest (migration 0013;
        # app.services.case_state writes the same expressions). Partial indexes, with the same WHERE
        # on PostgreSQL, where migration 0013 builds them: said here for SQLite alone, since a
        # ``postgresql_where`` here would load PostgreSQL's dialect (30-50 ms) into every process
        # that maps these models, the SQLite ones included (tests/unit/test_models_load.py)
        Index("ix_cases_dosimetry_due", "project", text(f"coalesce(first_dosimetry_on, '{NEVER}')"), "enrolled_on",
              sqlite_where=text("enrolled_on IS NOT NULL")),
        Index("ix_cases_pending", text(f"coalesce(enrolled_on, '{NEVER}')"), "eligible_on",
              sqlite_where=text("status != 'not_enrolled'")),
    )

    case_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    project: Mapped[str] = mapped_column(String(20))
    primary_site: Mapped[str | None] = mapped_column(String(40), nullable=True)
    eligible_on: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    enrolled_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    not_enrolled_reason: Mapped[str | None] = mapped_column(String(40), nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    payer: Mapped[str | None] = mapped_column(String(20), nullable=True)
    # Protected health information: never logged, left out of exports unless asked for. Loaded
    # only when asked for (a shared database lets only the roles that may export them read them).
    mrn: Mapped[str | None] = mapped_column(String(64), nullable=True, deferred=True, deferred_group="phi")
    name: Mapped[str | None] = mapped_column(String(200), nullable=True, deferred=True, deferred_group="phi")
    birth_date: Mapped[dt.date | None] = mapped_column(Date, nullable=True, deferred=True, deferred_group="phi")
    #: The earliest dosimetry submission's date (None: none), kept by the database's own triggers
    #: on ``dosimetry_submissions`` (migration 0013), so "no dosimetry submitted by D" is a range
    #: of an index instead of a probe per enrolled case. Not mapped: no save, undo or audit entry
    #: of a case ever carries it, so none can write back a stale value.
    first_dosimetry_on: Unmapped[dt.date | None] = unmapped_column(Date, nullable=True)


class DataEntry(Versioned, Base):
    """One logged registry data-entry session (counts as data-entry activity)."""

    __tablename__ = "data_entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    date: Mapped[dt.date] = mapped_column(Date, index=True)
    case_id: Mapped[str | None] = mapped_column(
        ForeignKey("cases.case_id", ondelete="SET NULL"), nullable=True, index=True
    )
    kind: Mapped[str] = mapped_column(String(20))
    staff_id: Mapped[str | None] = mapped_column(
        ForeignKey("staff.staff_id", ondelete="SET NULL"), nullable=True
    )


class DosimetrySubmission(Versioned, Base):
    __tablename__ = "dosimetry_submissions"
    __table_args__ = (UniqueConstraint("case_id", "submitted_on", name="uq_dosimetry_case_date"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.case_id", ondelete="CASCADE"), index=True)
    submitted_on: Mapped[dt.date] = mapped_column(Date, index=True)
    staff_id: Mapped[str] = mapped_column(ForeignKey("staff.staff_id"))
    technique: Mapped[str] = mapped_column(String(40))
    total_dose_gy: Mapped[float] = mapped_column(Float)
    fractions: Mapped[int] = mapped_column(Integer)
    #: Optional dose metrics such as ``{"mean_heart_dose_gy": 1.2}``.
    metrics: Mapped[dict[str, float]] = mapped_column(JSON, default=dict)


class Meeting(Versioned, Base):
    """A collaborative-wide MROQC meeting."""

    __tablename__ = "meetings"

    meeting_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    date: Mapped[dt.date] = mapped_column(Date, index=True)
    format: Mapped[str] = mapped_column(String(20))
    title: Mapped[str | None] = mapped_column(String(200), nullable=True)
    location: Mapped[str | None] = mapped_column(String(200), nullable=True)


class Attendance(Versioned, Base):
    """Who attended a meeting for which role (``attendee``: covering no role)."""

    __tablename__ = "attendance"
    __table_args__ = (
        UniqueConstraint("meeting_id", "role", "staff_id", name="uq_attendance"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    meeting_id: Mapped[str] = mapped_column(
        ForeignKey("meetings.meeting_id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(String(40))
    staff_id: Mapped[str] = mapped_column(ForeignKey("staff.staff_id"), index=True)
    ce_credit: Mapped[str | None] = mapped_column(String(10), nullable=True)


def new_letter_id() -> str:
    """A letter's ID when none was given: unique without a counter (two workstations may add letters)."""
    return f"L-{uuid.uuid4().hex[:8].upper()}"


class Correspondence(Versioned, Base):
    """A letter from the coordinating center. ``letter_id`` tells apart two letters received the
    same day with the same subject (the workbook's optional ``letter_id`` column)."""

    __tablename__ = "correspondence"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    letter_id: Mapped[str] = mapped_column(String(64), unique=True, default=new_letter_id)
    sender: Mapped[str | None] = mapped_column(String(200), nullable=True)
    received_on: Mapped[dt.date] = mapped_column(Date, index=True)
    subject: Mapped[str] = mapped_column(String(300))
    reply_required: Mapped[bool] = mapped_column(Boolean, default=False)
    due_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    replied_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)


class Absence(Versioned, Base):
    """A staff member's leave or vacation, or (no staff) a facility enrollment pause."""

    __tablename__ = "absences"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    staff_id: Mapped[str | None] = mapped_column(
        ForeignKey("staff.staff_id", ondelete="CASCADE"), nullable=True, index=True
    )
    kind: Mapped[str] = mapped_column(String(20))
    start: Mapped[dt.date] = mapped_column(Date)
    end: Mapped[dt.date] = mapped_column(Date)
    approved: Mapped[bool] = mapped_column(Boolean, default=False)
    project: Mapped[str | None] = mapped_column(String(20), nullable=True)


class ProgramYear(Versioned, Base):
    """What the consortium decided about a program year (entered by the user)."""

    __tablename__ = "program_years"

    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    performance_targets_met: Mapped[bool] = mapped_column(Boolean, default=False)


class AuditEntry(Base):
    """One change: who, when, which record, before → after (PHI values are masked)."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_table_record", "table_name", "record_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, index=True)
    user: Mapped[str] = mapped_column(String(100), index=True)
    action: Mapped[str] = mapped_column(String(10))  # insert / update / delete / note
    table_name: Mapped[str] = mapped_column(String(60))
    record_key: Mapped[str] = mapped_column(String(200))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    #: Groups the entries of one service call (one import, one bulk edit) so they read together.
    change_set: Mapped[str | None] = mapped_column(String(100), nullable=True, index=True)
    summary: Mapped[str | None] = mapped_column(String(300), nullable=True)
    #: SHA-256 over this entry and the previous entry's hash: the chain ``verify`` walks.
    hash: Mapped[str | None] = mapped_column(String(64), nullable=True)


class AuditHead(Base):
    """The end of the audit chain (one row): the last entry's ID and hash and the entry count.

    Appending locks this row first, so entries from several workstations form one chain; and a
    log cut short at its end no longer matches the head.
    """

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_id: Mapped[int] = mapped_column(Integer, default=0)
    last_hash: Mapped[str] = mapped_column(String(64), default="")
    entries: Mapped[int] = mapped_column(Integer, default=0)


class User(Versioned, Base):
    """A person who signs in. On SQLite the password lives only in the key file's slot (it
    unwraps the database key); on a server database ``password_hash`` holds its Argon2id hash."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    role: Mapped[str] = mapped_column(String(20))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    password_hash: Mapped[str | None] = mapped_column(String(255), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    password_changed_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    last_sign_in_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    #: When the user last saw the digest of what came due (reminders).
    last_digest_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    #: The person in Staff & roles this account belongs to (an IT administrator may have none):
    #: what they sign and submit is in that person's name.
    staff_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    #: On a shared database: the PostgreSQL login this person signs in with (``PREFIX.name``, made
    #: by the app, or the hospital directory's login); the server's audit trigger names them by it.
    server_role: Mapped[str | None] = mapped_column(String(63), nullable=True, unique=True)


class PersonKeys(Base):
    """On a shared database, a person's own keys (signing, sealing, an administrator's copy of the
    facility CA's key), wrapped under their password before they reach the server — what a key
    file's slot keeps on SQLite. Only that person reads their row (row-level security); only the
    server's definer functions write it. ``sealed``: what an administrator handed them, sealed to
    their sealing key (the facility CA's key for a new administrator)."""

    __tablename__ = "person_keys"

    user_name: Mapped[str] = mapped_column(String(64), primary_key=True)
    server_role: Mapped[str] = mapped_column(String(63))
    slot: Mapped[str] = mapped_column(Text)
    sealed: Mapped[str | None] = mapped_column(Text, nullable=True)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime)


class SignInFailure(Base):
    """A failed sign-in on a server database (SQLite keeps these in its key file, which is
    readable before the database is unlocked). ``name`` is what was typed, user or not."""

    __tablename__ = "sign_in_failures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime)


class RecoveryKey(Base):
    """The Argon2id hash of a server database's recovery key (SQLite: a key-file slot)."""

    __tablename__ = "recovery_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)


class ScreeningProfile(Versioned, Base):
    """A saved column mapping for an EHR screening list ("ARIA weekly consults")."""

    __tablename__ = "screening_profiles"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    #: A digest of the file's normalised headers: the profile is offered when they match.
    headers: Mapped[str] = mapped_column(String(64), index=True)
    mapping: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime)
    updated_by: Mapped[str | None] = mapped_column(String(64), nullable=True)


class QipEpisode(Versioned, Base):
    """A QIP episode a coordinator opened from an acknowledged trigger."""

    __tablename__ = "qip_episodes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rule: Mapped[str] = mapped_column(String(40), index=True)
    #: The finding's subject, e.g. ``{"project": "lung"}``.
    subject: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    trigger_message: Mapped[str] = mapped_column(Text, default="")
    opened_on: Mapped[dt.date] = mapped_column(Date)
    closed_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    notes: Mapped[str | None] = mapped_column(Text, nullable=True)


class QipStep(Versioned, Base):
    """One step of an episode's process (outreach, follow-up, status notice, ...)."""

    __tablename__ = "qip_steps"
    __table_args__ = (UniqueConstraint("episode_id", "step", name="uq_qip_step"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    episode_id: Mapped[int] = mapped_column(ForeignKey("qip_episodes.id", ondelete="CASCADE"), index=True)
    step: Mapped[str] = mapped_column(String(40))
    position: Mapped[int] = mapped_column(Integer)
    due_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    done_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)


class FindingReview(Versioned, Base):
    """A finding marked reviewed, with its explanation ("zero eligible cases: the facility had no
    lung referrals in August"). Kept as history: the latest for a rule and subject follows the
    finding while it fires, and an older one is never lost when it clears and fires again."""

    __tablename__ = "finding_reviews"
    __table_args__ = (Index("ix_finding_reviews_rule_subject", "rule", "subject_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rule: Mapped[str] = mapped_column(String(40))
    #: The subject as sorted, compact JSON: what a review is looked up by.
    subject_key: Mapped[str] = mapped_column(String(300))
    subject: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    note: Mapped[str] = mapped_column(Text)
    reviewed_by: Mapped[str] = mapped_column(String(64))
    reviewed_at: Mapped[dt.datetime] = mapped_column(DateTime)
    #: The as-of date the finding was looked at.
    as_of: Mapped[dt.date] = mapped_column(Date)
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)


class SigningCertificate(Base):
    """The facility's own certificate and key that sign the self-audit PDF (kept in the database,
    which is encrypted at rest on SQLite)."""

    __tablename__ = "signing_certificates"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    subject: Mapped[str] = mapped_column(String(300))
    certificate_pem: Mapped[str] = mapped_column(Text)
    #: emptied by migration 0007 (every user could read it); never readable on a shared database
    private_key_pem: Mapped[str] = mapped_column(Text, deferred=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=sa_true())


class FacilityCertificate(Base):
    """The facility's certificate authority (``app.security.pki``): its certificate only; the
    private key is in the administrators' key slots, never in the database."""

    __tablename__ = "facility_certificates"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    fingerprint: Mapped[str] = mapped_column(String(100))
    certificate_pem: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=sa_true())


class UserCertificate(Base):
    """A person's keys as the facility vouches for them: the public halves, and the certificate
    the facility CA issued (None while a request waits for an administrator)."""

    __tablename__ = "user_certificates"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_name: Mapped[str] = mapped_column(String(64), index=True)
    requested_at: Mapped[dt.datetime] = mapped_column(DateTime)
    public_key_pem: Mapped[str] = mapped_column(Text)
    sealing_public: Mapped[str] = mapped_column(String(64))
    request_code: Mapped[str] = mapped_column(String(40))
    certificate_pem: Mapped[str | None] = mapped_column(Text, nullable=True)
    fingerprint: Mapped[str | None] = mapped_column(String(100), nullable=True)
    issued_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    issued_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    superseded_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)


class AuditSignature(Base):
    """One transaction's audit entries signed by the person who made them: the signature covers
    the chain's hash at the transaction's last entry (so every entry before it too)."""

    __tablename__ = "audit_signatures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_entry_id: Mapped[int] = mapped_column(Integer, unique=True)
    entry_hash: Mapped[str] = mapped_column(String(64))
    user_name: Mapped[str] = mapped_column(String(64))
    certificate_id: Mapped[int] = mapped_column(Integer)
    signature: Mapped[str] = mapped_column(Text)


class InstalledPolicy(Base):
    """A policy file an administrator installed (``policy install``, Settings → Program), kept
    whole as its text so it is validated again on every read and travels with backups and
    moves. Never edited: a correction is a newer file. Its year, name and dates are copied out
    for listing without parsing."""

    __tablename__ = "installed_policies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    effective_from: Mapped[dt.date] = mapped_column(Date, index=True)
    supersedes: Mapped[str] = mapped_column(String(200), default="")
    #: the file's name as given, for messages
    file_name: Mapped[str] = mapped_column(String(255))
    #: SHA-256 of ``content``: the same file twice is refused
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    content: Mapped[str] = mapped_column(Text)
    installed_by: Mapped[str] = mapped_column(String(64))
    installed_at: Mapped[dt.datetime] = mapped_column(DateTime)
