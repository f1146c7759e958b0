"""What planning reads from the database: the cases with an MRN, every case ID, the policy."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.screening.case_ids import CaseIdPattern
from app.screening.plan import Existing
from app.services.policies import policy_at
from app.storage.models import Case


def existing_cases(session: Session) -> list[Existing]:
    """Every case that has an MRN (the only ones a list can match), identifiers included."""
    rows = session.execute(select(Case.case_id, Case.project, Case.eligible_on, Case.mrn, Case.payer, Case.name,
                                  Case.birth_date).where(Case.mrn.is_not(None)).execution_options(yield_per=20000))
    return [Existing(*row) for row in rows]


def case_ids(session: Session) -> CaseIdPattern:
    return CaseIdPattern.of(session.scalars(select(Case.case_id)))


def same_case_days(session: Session, today: dt.date | None = None) -> int:
    """``screening.same_case_days`` of the policy in force ``today`` (the list's import date)."""
    return policy_at(session, today or dt.date.today()).policy.same_case_days
