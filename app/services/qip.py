"""The QIP tracker: episodes opened from acknowledged triggers and the steps of the process.

An episode is dated the day it is really opened: the window asks before it takes the as-of date
being looked at instead, and an episode is never opened ahead of today. One opened by mistake is
withdrawn (``withdraw_episode``): removed with its steps, each removal and the reason audited, while
the QIP process allows it (``[withdrawal]`` in ``qip_process.toml``: by default only while no step is
marked done; later the episode is closed instead, so the work recorded stays). Before opening, the
window says what will be created (``planned_steps``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from app.domain.permissions import Permission
from app.domain.qip_process import due_soon_days, process_steps, step_title, withdrawal
from app.domain.wording import subject_words
from app.storage import audit
from app.storage.database import Database
from app.storage.models import QipEpisode, QipStep


class QipError(ValueError):
    """A QIP tracker action that cannot be done; the message says why."""


def step_status(due_on: dt.date | None, done_on: dt.date | None, as_of: dt.date, soon_days: int | None = None) -> str:
    """``done``, ``overdue``, ``due soon`` or ``upcoming`` at the as-of date; "due soon" from
    ``soon_days`` before the due date (the QIP process file's ``[reminders] due_soon_days``)."""
    if soon_days is None:
        soon_days = due_soon_days()
    if done_on is not None and done_on <= as_of:
        return "done"
    if due_on is None:
        return "upcoming"
    if due_on < as_of:
        return "overdue"
    if (due_on - as_of).days <= soon_days:
        return "due soon"
    return "upcoming"


@dataclass(frozen=True)
class StepView:
    key: str
    title: str
    due_on: dt.date | None
    done_on: dt.date | None
    note: str | None
    status: str


@dataclass(frozen=True)
class EpisodeView:
    id: int
    rule: str
    subject: dict[str, Any]
    trigger_message: str
    opened_on: dt.date
    closed_on: dt.date | None
    notes: str | None
    steps: tuple[StepView, ...]

    @property
    def next_step(self) -> StepView | None:
        return next((s for s in self.steps if s.status != "done"), None)

    @property
    def overdue(self) -> tuple[StepView, ...]:
        return tuple(s for s in self.steps if s.status == "overdue")


@dataclass(frozen=True)
class PlannedStep:
    """A step an episode opened on a given day will hold, with the day it will be due."""

    title: str
    due_on: dt.date


def planned_steps(opened_on: dt.date) -> tuple[PlannedStep, ...]:
    """The steps ``open_episode`` creates for an episode opened on ``opened_on`` (the QIP process
    file's), so the window can say what one click makes before it makes it."""
    return tuple(PlannedStep(s.title, opened_on + dt.timedelta(days=s.due_days)) for s in process_steps())


def open_episode(
    db: Database, rule: str, subject: dict[str, Any], message: str, opened_on: dt.date, *, today: dt.date | None = None
) -> int:
    """Start an episode for a trigger; one open episode per trigger and subject. ``today`` (the
    window's): an episode dated after it is refused, whatever day the screen was showing."""
    if today is not None and opened_on > today:
        raise QipError(f"An episode cannot be opened ahead of today ({today.isoformat()}): {opened_on.isoformat()} "
                       "is the day being looked at, not the day it is opened.")
    with db.transaction(Permission.QIP) as session:
        for episode in session.scalars(select(QipEpisode).where(QipEpisode.rule == rule, QipEpisode.closed_on.is_(None))):
            if episode.subject == subject:
                raise QipError(f"An episode for {rule} is already open (since {episode.opened_on.isoformat()}).")
        episode = QipEpisode(rule=rule, subject=dict(subject), trigger_message=message, opened_on=opened_on)
        session.add(episode)
        session.flush()
        for position, step in enumerate(process_steps()):
            session.add(
                QipStep(episode_id=episode.id, step=step.key, position=position,
                        due_on=opened_on + dt.timedelta(days=step.due_days))
            )
        return episode.id


def _step(session: Any, episode_id: int, key: str) -> QipStep:
    step = session.scalars(select(QipStep).where(QipStep.episode_id == episode_id, QipStep.step == key)).first()
    if step is None:
        raise QipError(f"Episode {episode_id} has no step '{key}'.")
    return step


def record_step(
    db: Database, episode_id: int, key: str, *, done_on: dt.date | None, note: str | None = None,
    due_on: dt.date | None = None,
) -> None:
    """Mark a step done (or not done with ``done_on=None``), change its due date, add a note."""
    with db.transaction(Permission.QIP) as session:
        episode = session.get(QipEpisode, episode_id)
        if episode is None:
            raise QipError(f"There is no QIP episode {episode_id}.")
        if done_on is not None and done_on < episode.opened_on:
            raise QipError("A step cannot be done before the episode was opened.")
        step = _step(session, episode_id, key)
        step.done_on = done_on
        if note is not None:
            step.note = note.strip() or None
        if due_on is not None:
            step.due_on = due_on


def close_episode(db: Database, episode_id: int, closed_on: dt.date | None, notes: str | None = None) -> None:
    """Close (or with ``closed_on=None`` reopen) an episode."""
    with db.transaction(Permission.QIP) as session:
        episode = session.get(QipEpisode, episode_id)
        if episode is None:
            raise QipError(f"There is no QIP episode {episode_id}.")
        if closed_on is not None and closed_on < episode.opened_on:
            raise QipError("An episode cannot close before it opened.")
        episode.closed_on = closed_on
        if notes is not None:
            episode.notes = notes.strip() or None


#: The longest reason for withdrawing an episode kept (the audit note holds 300 characters).
REASON_CHARS = 200


def withdraw_refusal(steps_done: int) -> str | None:
    """Why an episode with ``steps_done`` steps marked done cannot be withdrawn under the QIP
    process (``[withdrawal]``), or None when it can."""
    if steps_done and not withdrawal().after_a_step_is_done:
        return (f"This episode has {steps_done} step{'s' if steps_done != 1 else ''} marked done, so it is not "
                "withdrawn: the work recorded stays. Close the episode instead.")
    return None


def withdraw_episode(db: Database, episode_id: int, reason: str) -> None:
    """Remove an episode opened by mistake, with its steps. Each removal is audited with what the
    record held, and a note says which episode was withdrawn, by whom and why (``reason``,
    required): the QIP tracker no longer shows it, the audit log keeps it whole."""
    why = " ".join((reason or "").split())
    if not why:
        raise QipError("Say why the episode is withdrawn (for example: opened by mistake).")
    if len(why) > REASON_CHARS:
        raise QipError(f"The reason is {len(why)} characters long; keep it to {REASON_CHARS}.")
    with db.transaction(Permission.QIP) as session:
        episode = session.get(QipEpisode, episode_id)
        if episode is None:
            raise QipError(f"There is no QIP episode {episode_id}.")
        steps = session.scalars(select(QipStep).where(QipStep.episode_id == episode_id)).all()
        refused = withdraw_refusal(sum(1 for s in steps if s.done_on is not None))
        if refused:
            raise QipError(refused)
        for step in steps:
            session.delete(step)
        session.flush()  # the steps first: their removal is audited, not left to the database's cascade
        what = (f"QIP episode {episode.id} ({episode.rule}, {subject_words(episode.subject)}, opened "
                f"{episode.opened_on.isoformat()})")
        session.delete(episode)
        session.flush()
        audit.note(session, f"withdrew {what}: {why}", table="qip_episodes", key=str(episode_id))


def list_episodes(db: Database, as_of: dt.date, include_closed: bool = True) -> list[EpisodeView]:
    with db.reader() as session:
        query = select(QipEpisode).order_by(QipEpisode.opened_on.desc(), QipEpisode.id.desc())
        if not include_closed:
            query = query.where(QipEpisode.closed_on.is_(None))
        episodes = session.scalars(query).all()
        steps = session.scalars(select(QipStep).order_by(QipStep.episode_id, QipStep.position)).all()
    by_episode: dict[int, list[StepView]] = {}
    for s in steps:
        by_episode.setdefault(s.episode_id, []).append(
            StepView(s.step, step_title(s.step), s.due_on, s.done_on, s.note, step_status(s.due_on, s.done_on, as_of))
        )
    return [
        EpisodeView(e.id, e.rule, dict(e.subject or {}), e.trigger_message, e.opened_on, e.closed_on, e.notes,
                    tuple(by_episode.get(e.id, ())))
        for e in episodes
    ]


def due_soon(db: Database, as_of: dt.date) -> list[tuple[EpisodeView, StepView]]:
    """Open episodes' next steps that are overdue or due within a week, most urgent first."""
    items = []
    for episode in list_episodes(db, as_of, include_closed=False):
        step = episode.next_step
        if step is not None and step.status in ("overdue", "due soon"):
            items.append((episode, step))
    return sorted(items, key=lambda pair: pair[1].due_on or as_of)
