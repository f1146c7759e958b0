"""A case's state at an as-of date, each predicate written once as SQL beside its Python reference.

The register's flag column, its flag filter and the snapshot's selective-enrollment candidates
each wrote "pending at D" and "a reason not accepted" in SQL of their own, while the rules read
the plain-Python ones (``app.rules.snapshot``), which the Python halves here agree with. Here each predicate is a pair: ``*_sql`` for a
query over ``cases``, and the Python function a test holds it to on random cases
(``tests/unit/test_case_state.py``). An enrolled case counts as enrolled only from its enrollment
date; ``not_enrolled`` has no decision date, so it counts at any date.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection

from sqlalchemy import ColumnElement, Date, String, case, exists, func, literal_column, or_

from app.rules.snapshot import status_at
from app.storage.models import NEVER, Case, DosimetrySubmission

#: Projects whose enrolled cases need a dosimetry submission (the register and the Dosimetry screen).
DOSIMETRY_PROJECTS = ("breast", "lung")
#: The case's earliest dosimetry submission date, kept by the database (not mapped: never written by the app).
FIRST_DOSIMETRY_ON: ColumnElement[dt.date] = Case.__table__.c.first_dosimetry_on


# --- enrolled at D ------------------------------------------------------------------------------

def enrolled_at(enrolled_on: dt.date | None, as_of: dt.date) -> bool:
    """Enrolled at ``as_of``: the enrollment is dated on or before it."""
    return enrolled_on is not None and enrolled_on <= as_of


def enrolled_at_sql(as_of: dt.date) -> ColumnElement[bool]:
    return Case.enrolled_on.is_not(None) & (Case.enrolled_on <= as_of)


def not_enrolled_by_sql(as_of: dt.date) -> ColumnElement[bool]:
    """``not enrolled_at``, written so the database need not negate a conjunction."""
    return or_(Case.enrolled_on.is_(None), Case.enrolled_on > as_of)


# --- the status at D (``app.rules.snapshot.status_at``) -----------------------------------------

def status_at_sql(as_of: dt.date) -> ColumnElement[str]:
    """``enrolled``, ``not_enrolled`` or ``pending`` as the case stood at ``as_of``."""
    return case((enrolled_at_sql(as_of), "enrolled"), (Case.status == "not_enrolled", "not_enrolled"),
                else_="pending")


def pending_at(status: str, enrolled_on: dt.date | None, as_of: dt.date) -> bool:
    """Still undecided at ``as_of``: not enrolled by then and not recorded as not enrolled."""
    return status_at(status, enrolled_on, as_of) == "pending"


def pending_at_sql(as_of: dt.date) -> ColumnElement[bool]:
    return not_enrolled_by_sql(as_of) & (Case.status != "not_enrolled")


# --- the not-enrolled reason --------------------------------------------------------------------

def reason_not_accepted(reason: str | None, accepted: Collection[str]) -> bool:
    """No reason, or one outside the policy's accepted list (``other`` is accepted)."""
    return not reason or reason not in accepted


def reason_not_accepted_sql(accepted: Collection[str]) -> ColumnElement[bool]:
    reason = Case.not_enrolled_reason
    return or_(reason.is_(None), reason == "", reason.not_in(tuple(accepted)))


def reason_flagged(reason: str | None, accepted: Collection[str]) -> bool:
    """A reason the selective rule looks at: not accepted, or ``other`` (reported apart; the
    rules' own reference is ``app.rules.snapshot.selective_reason_flagged``)."""
    return reason_not_accepted(reason, accepted) or reason == "other"


def reason_flagged_sql(accepted: Collection[str]) -> ColumnElement[bool]:
    return or_(reason_not_accepted_sql(accepted), Case.not_enrolled_reason == "other")


# --- what QIP-ENR-SELECTIVE reads ---------------------------------------------------------------

def undecided(status: str, enrolled_on: dt.date | None, reason: str | None, as_of: dt.date,
              accepted: Collection[str]) -> bool:
    """Counted by QIP-ENR-SELECTIVE once past the decision window: pending at ``as_of``, or not
    enrolled without an accepted reason (``app.rules.snapshot.undecided_at``)."""
    state = status_at(status, enrolled_on, as_of)
    return state == "pending" or (state == "not_enrolled" and reason_not_accepted(reason, accepted))


def undecided_sql(as_of: dt.date, accepted: Collection[str]) -> ColumnElement[bool]:
    return not_enrolled_by_sql(as_of) & or_(Case.status != "not_enrolled", reason_not_accepted_sql(accepted))


def selective_candidate(status: str, enrolled_on: dt.date | None, reason: str | None, as_of: dt.date,
                        accepted: Collection[str]) -> bool:
    """A case the selective rule lists: pending at ``as_of``, or not enrolled with a flagged reason."""
    state = status_at(status, enrolled_on, as_of)
    return state == "pending" or (state == "not_enrolled" and reason_flagged(reason, accepted))


def selective_candidate_sql(as_of: dt.date, accepted: Collection[str]) -> ColumnElement[bool]:
    return not_enrolled_by_sql(as_of) & or_(Case.status != "not_enrolled", reason_flagged_sql(accepted))


# --- the register's flags -----------------------------------------------------------------------

def pending_past_window(status: str, enrolled_on: dt.date | None, eligible_on: dt.date, as_of: dt.date,
                        decision_days: int) -> bool:
    """Pending at ``as_of`` although eligible longer ago than the decision window."""
    return pending_at(status, enrolled_on, as_of) and eligible_on <= as_of - dt.timedelta(days=decision_days)


def pending_past_window_sql(as_of: dt.date, decision_days: int) -> ColumnElement[bool]:
    """``pending_at_sql`` with a blank enrollment date read as ``NEVER``: one range of the index
    ``ix_cases_pending`` (cases not marked not enrolled), the same cases."""
    window_closed = Case.eligible_on <= as_of - dt.timedelta(days=decision_days)
    if as_of.isoformat() >= NEVER:  # (no date is later: the blank ones are asked for by name)
        return pending_at_sql(as_of) & window_closed
    # the status as a literal: the index's condition, which SQLite matches only to a written value
    return (_or_never(Case.enrolled_on) > as_of) & (Case.status != literal_column("'not_enrolled'", String)) \
        & window_closed


def not_enrolled_unexplained(status: str, reason: str | None, accepted: Collection[str]) -> bool:
    """Recorded as not enrolled without a reason the policy accepts."""
    return status == "not_enrolled" and reason_not_accepted(reason, accepted)


def not_enrolled_unexplained_sql(accepted: Collection[str]) -> ColumnElement[bool]:
    return (Case.status == "not_enrolled") & reason_not_accepted_sql(accepted)


def missing_dosimetry(project: str, enrolled_on: dt.date | None, submitted: Collection[dt.date],
                      as_of: dt.date) -> bool:
    """An enrolled breast or lung case with no dosimetry submitted by ``as_of``."""
    return (project in DOSIMETRY_PROJECTS and enrolled_at(enrolled_on, as_of)
            and not any(day <= as_of for day in submitted))


def missing_dosimetry_sql(as_of: dt.date) -> ColumnElement[bool]:
    """From the case's kept earliest submission date (``cases.first_dosimetry_on``, kept by the
    database's triggers): blank or later than ``as_of``, one range of ``ix_cases_dosimetry_due``,
    not a look for a submission per enrolled case. ``enrolled_on <= as_of`` is ``enrolled_at_sql``
    (a blank date is never ``<=``), written without its ``IS NOT NULL`` so that no other index of
    the enrollment date looks narrower to SQLite's planner."""
    if as_of.isoformat() >= NEVER:  # (no date is later: the blank ones are asked for by name)
        submitted = exists().where(DosimetrySubmission.case_id == Case.case_id,
                                   DosimetrySubmission.submitted_on <= as_of)
        return Case.project.in_(DOSIMETRY_PROJECTS) & enrolled_at_sql(as_of) & ~submitted
    return (Case.project.in_(DOSIMETRY_PROJECTS) & (Case.enrolled_on <= as_of)
            & (_or_never(FIRST_DOSIMETRY_ON) > as_of))


def _or_never(column: ColumnElement[dt.date]) -> ColumnElement[dt.date]:
    """The date, a blank one as ``NEVER``: the expression the flags' indexes hold, written as they
    write it (a literal, not a parameter, or SQLite would not see the index's expression)."""
    return func.coalesce(column, literal_column(f"'{NEVER}'", Date), type_=Date)

