"""Findings marked reviewed, with the facility's explanation ("zero eligible cases: no lung
referrals in August"), kept as history in ``finding_reviews``.

A review belongs to a rule and a subject. It follows the finding while it keeps firing for that
subject: it is *current* at an as-of date D when it was written on or before D — the day it was
really written, or the earlier as-of date it was written looking at — and the finding has the
same onset then as when it was reviewed. (A note written today while looking at a day ahead is
in today's self-audit: the day someone looked at never pushes a record past the real one.) The onset is the evidence date that starts a
firing spell, for the rules that have one (the window start of QIP-ENR-ZERO, the last activity
of QIP-DATA-LAG, the date a role fell vacant); a finding that cleared and fired again has a new
onset, so the earlier explanation is no longer shown as current — and is never lost: every
review stays in the history shown beside the finding. Rules without an onset (the subject
itself says which meeting or case, or the rule has one spell a year) keep their latest review.

Marking a finding reviewed needs ``Permission.REVIEW`` (a reviewer, a coordinator or an
administrator) and is audited under the signed-in user like every change.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from app.domain.permissions import Permission
from app.domain.wording import Zone, to_local
from app.rules import engine
from app.rules.findings import Finding, plain
from app.services.facility import facility_zone
from app.storage import audit
from app.storage.database import Database
from app.storage.models import FindingReview

#: Evidence key whose value starts a firing spell, per rule (see the module docstring): each rule
#: declares its own (``RuleEntry.onset``).
ONSET: dict[str, str] = engine.ONSET
NOTE_CHARS = 2000


class ReviewError(ValueError):
    """A review that cannot be saved (no note, a note too long); the message says why."""


@dataclass(frozen=True)
class Review:
    id: int
    rule: str
    subject: dict[str, Any]
    note: str
    reviewed_by: str
    reviewed_at: dt.datetime
    as_of: dt.date
    onset: str | None
    #: ``reviewed_at`` (stored in UTC) in the facility's zone: the day and time people read.
    reviewed_local: dt.datetime

    @property
    def since(self) -> dt.date:
        """The first as-of date it explains: the day it was written, or the as-of date looked at
        if that was earlier (a review of a past day's finding explains that day on)."""
        return min(self.as_of, self.reviewed_local.date())

    @property
    def line(self) -> str:
        """"Explained by dana on 2025-07-01 10:22 EDT (as of …): …": how the screen and the
        self-audit say it, the time in the facility's zone."""
        return (f"Explained by {self.reviewed_by} on {self.reviewed_local:%Y-%m-%d %H:%M %Z} "
                f"(as of {self.as_of.isoformat()}): {self.note}")


@dataclass(frozen=True)
class ReviewState:
    """A finding's current review (None: not reviewed for this spell) and every review of its
    rule and subject, newest first."""

    current: Review | None
    history: tuple[Review, ...]


def subject_key(subject: dict[str, Any]) -> str:
    """The subject as sorted, compact JSON (dates ISO): what a review is looked up by."""
    return json.dumps(plain(subject), sort_keys=True, separators=(",", ":"))


def onset(finding: Finding | dict[str, Any]) -> str | None:
    rule = finding.rule if isinstance(finding, Finding) else finding["rule"]
    evidence = finding.evidence if isinstance(finding, Finding) else finding.get("evidence") or {}
    key = ONSET.get(rule)
    value = evidence.get(key) if key else None
    return plain(value) if value is not None else None


def _review(row: FindingReview, zone: Zone) -> Review:
    return Review(row.id, row.rule, dict(row.subject or {}), row.note, row.reviewed_by, row.reviewed_at, row.as_of,
                  (row.detail or {}).get("onset"), to_local(row.reviewed_at, zone))


def _note_text(note: str | None) -> str:
    """The explanation as kept: trimmed, and refused (``ReviewError``) when empty or too long."""
    text = (note or "").strip()
    if not text:
        raise ReviewError("Write what explains the finding (or what was done about it) before marking it reviewed.")
    if len(text) > NOTE_CHARS:
        raise ReviewError(f"The note is {len(text)} characters long; keep it to {NOTE_CHARS}.")
    return text


def _review_row(db: Database, finding: Finding, text: str, at: dt.datetime, as_of: dt.date) -> FindingReview:
    """One explanation of one finding, by the signed-in person (or the system), as a new row."""
    return FindingReview(rule=finding.rule, subject_key=subject_key(finding.subject), subject=plain(finding.subject),
                         note=text, reviewed_by=db.actor.name if db.actor else audit.SYSTEM_USER, reviewed_at=at,
                         as_of=as_of, detail={"onset": onset(finding)})


def mark_reviewed(db: Database, finding: Finding, note: str, as_of: dt.date, *, at: dt.datetime | None = None) -> Review:
    """Keep ``note`` as the explanation of ``finding`` seen at ``as_of`` (a new row: history stays),
    written now (``at``, UTC; tests pass it) whatever day ``as_of`` is."""
    text = _note_text(note)
    zone = facility_zone(db)
    with db.transaction(Permission.REVIEW) as session:
        row = _review_row(db, finding, text, at or audit.now(), as_of)
        session.add(row)
        session.flush()
        review = _review(row, zone)
    return review


def mark_many_reviewed(db: Database, findings: list[Finding], note: str, as_of: dt.date, *,
                       at: dt.datetime | None = None) -> list[Review]:
    """``mark_reviewed`` for several findings with one note, in one audited transaction (one row
    each, so each keeps its own history): a coordinator explaining the data-quality warnings of one
    cause at once (``app.services.quality.explain``)."""
    text = _note_text(note)
    zone = facility_zone(db)
    when = at or audit.now()
    with db.transaction(Permission.REVIEW, summary=f"{len(findings)} finding(s) explained") as session:
        rows = [_review_row(db, f, text, when, as_of) for f in findings]
        session.add_all(rows)
        session.flush()
        reviews = [_review(row, zone) for row in rows]
    return reviews


def review_states(db: Database, findings: list[Finding], as_of: dt.date) -> list[ReviewState]:
    """Per finding (same order), its current review and history at ``as_of``."""
    keys = {(f.rule, subject_key(f.subject)) for f in findings}
    by_key: dict[tuple[str, str], list[Review]] = {}
    zone = facility_zone(db) if keys else None
    if keys:
        with db.reader() as session:
            rules = sorted({rule for rule, _ in keys})
            for row in session.scalars(select(FindingReview).where(FindingReview.rule.in_(rules))
                                       .order_by(FindingReview.reviewed_at.desc(), FindingReview.id.desc())):
                if (row.rule, row.subject_key) in keys:
                    by_key.setdefault((row.rule, row.subject_key), []).append(_review(row, zone))
    states = []
    for f in findings:
        history = tuple(by_key.get((f.rule, subject_key(f.subject)), ()))
        now_onset = onset(f)
        current = next((r for r in history if r.since <= as_of and (f.rule not in ONSET or r.onset == now_onset)), None)
        states.append(ReviewState(current, history))
    return states
