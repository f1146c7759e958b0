"""The reminder digest: what became due or overdue since the signed-in user last looked
(``users.last_digest_at``): letters needing a reply, QIP steps, the meetings of the week ahead,
and forecasts that moved to *close*.

"Ahead" is the policy's ``forecast.close_days`` (a week): the distance at which a tile turns
amber is the distance at which a reminder comes. The caller passes the time (the window's
clock); nothing here reads it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select

from app.domain.dates import DEFAULT_DATE_FORMAT, dates_in, format_date
from app.domain.vocabulary import label
from app.domain.wording import DEFAULT_TIME_ZONE, Zone, counted, zoned_time
from app.rules.correspondence import due_date
from app.services import qip
from app.services.facility import facility_zone
from app.services.findings import evaluate_at, rule_words
from app.storage.database import Database
from app.storage.models import User


@dataclass(frozen=True)
class DigestItem:
    """One reminder as values: what it is about (``kind``: letter, qip, meeting, forecast), its
    day, whether that day has passed (``overdue``), the subject in words (a letter's subject, a
    step's title, a meeting's format and title, a forecast's reason) and the rule a step or a
    forecast is about (``rule``, a code); ``words`` says it for a screen in the facility's date
    format, the rule by its plain title with its code in brackets (``rule_words``)."""

    kind: str
    day: dt.date
    subject: str
    overdue: bool = False
    rule: str | None = None

    def words(self, date_style: str = DEFAULT_DATE_FORMAT) -> str:
        day = format_date(self.day, date_style)
        if self.kind == "letter":
            return f"Reply overdue since {day}: {self.subject}" if self.overdue else f"Reply due {day}: {self.subject}"
        if self.kind == "qip":
            step = f"{self.subject} ({rule_words(self.rule)})" if self.rule else self.subject
            return f"QIP step overdue since {day}: {step}" if self.overdue else f"QIP step due {day}: {step}"
        if self.kind == "meeting":
            return f"Meeting {day} {self.subject}"
        rule = f", {rule_words(self.rule)}" if self.rule else ""
        return dates_in(f"Close to firing{rule}: {self.subject}", date_style)  # the forecast's sentence names its dates

    @property
    def text(self) -> str:
        """In ISO dates (the command line, the tests)."""
        return self.words()


@dataclass(frozen=True)
class Digest:
    since: dt.datetime | None
    now: dt.datetime
    items: tuple[DigestItem, ...]
    #: the facility's time zone: "since you last looked" is said in it, with its name
    zone: Zone = DEFAULT_TIME_ZONE

    @property
    def heading(self) -> str:
        return (f"Since you last looked ({zoned_time(self.since, self.zone)})" if self.since else "What is due") + \
            f": {counted(len(self.items), 'reminder')}"


def last_digest_at(db: Database) -> dt.datetime | None:
    if db.actor is None:
        return None
    with db.reader() as session:
        return session.scalar(select(User.last_digest_at).where(User.name == db.actor.name))


def dismiss(db: Database, now: dt.datetime) -> None:
    """The user has read the digest: the next one starts from ``now``."""
    if db.actor is None:
        return
    with db.transaction(None) as session:  # the user's own bookkeeping, like a sign-in: every user may
        user = session.scalars(select(User).where(User.name == db.actor.name)).first()
        if user is not None:
            user.last_digest_at = now.replace(microsecond=0, tzinfo=None)


def build_digest(db: Database, now: dt.datetime, since: dt.datetime | None) -> Digest:
    """The reminders at ``now`` for a user who last looked at ``since`` (None: never)."""
    today = now.date()
    evaluation = evaluate_at(db, today)
    policy = evaluation.policy
    ahead = today + dt.timedelta(days=policy.close_days)
    first = since.date() if since is not None else None

    def new(day: dt.date) -> bool:  # became overdue since the last look (or never looked)
        return first is None or day >= first

    items: list[DigestItem] = []
    since_letters = today - dt.timedelta(days=policy.correspondence_lookback_days)  # the rule's window
    for letter in evaluation.snapshot.letters:
        if not letter.reply_required or (letter.replied_on is not None and letter.replied_on <= today):
            continue
        if letter.received_on <= since_letters:
            continue
        due = due_date(letter, policy)
        if due < today and new(due):
            items.append(DigestItem("letter", due, letter.subject, overdue=True))
        elif today <= due <= ahead:
            items.append(DigestItem("letter", due, letter.subject))
    for episode, step in qip.due_soon(db, today):
        if step.due_on is None:
            continue
        if step.due_on < today and new(step.due_on):
            items.append(DigestItem("qip", step.due_on, step.title, overdue=True, rule=episode.rule))
        elif today <= step.due_on <= ahead:
            items.append(DigestItem("qip", step.due_on, step.title, rule=episode.rule))
    for meeting in sorted(evaluation.snapshot.meetings, key=lambda m: m.date):
        if today <= meeting.date <= ahead:
            items.append(DigestItem("meeting", meeting.date,
                                    f"({label(meeting.format)}){' ' + meeting.title if meeting.title else ''}"))
    close_now = [f for f in evaluation.forecast if f.close(policy, today)]
    if close_now:
        before: set[tuple[str, str]] = set()
        if first is not None and first < today:
            earlier = evaluate_at(db, first)
            before = {(f.rule, str(sorted(f.subject.items()))) for f in earlier.forecast
                      if f.close(earlier.policy, first)}
        for f in close_now:
            if (f.rule, str(sorted(f.subject.items()))) not in before:
                items.append(DigestItem("forecast", f.fires_on or today, f.text, rule=f.rule))
    order = {"letter": 0, "qip": 1, "meeting": 2, "forecast": 3}
    return Digest(since, now, tuple(sorted(items, key=lambda i: (i.day, order[i.kind], i.text))), facility_zone(db))
