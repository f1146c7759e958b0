"""The coordinating center's letters and the consortium's yearly verdicts."""

from __future__ import annotations

import datetime as dt
import random

from app.demo.timeline import Timeline, weekday_on_or_after

#: (subject, needs a reply)
SUBJECTS = (
    ("Quarterly data-completeness report", True),
    ("Request: missing dosimetry fields", True),
    ("Site visit scheduling", True),
    ("Enrollment trend review", True),
    ("Annual participation agreement", True),
    ("Abstraction query batch", True),
    ("Audit of not-enrolled reasons", True),
    ("Data-use agreement renewal", True),
    ("PRO survey response rates", True),
    ("Meeting agenda and pre-read", False),
    ("Coordinating center newsletter", False),
    ("Updated measure specifications", False),
)


def _reply(rng: random.Random, received: dt.date, due: dt.date, as_of: dt.date) -> dt.date | None:
    """Mostly answered in time; a few late and a few never (or not yet)."""
    roll = rng.random()
    if roll < 0.86:
        replied = received + dt.timedelta(days=rng.randint(1, max(1, (due - received).days)))
    elif roll < 0.95:
        replied = due + dt.timedelta(days=rng.randint(1, 20))
    else:
        return None
    return replied if replied <= as_of else None


def correspondence(rng: random.Random, timeline: Timeline) -> list[dict]:
    """6–12 letters a year; most need a reply, within 14 days unless the letter names a due date."""
    rows, seen = [], set()
    for year in timeline.years():
        for month in sorted(rng.sample(range(1, 13), rng.randint(6, 12))):
            received = weekday_on_or_after(dt.date(year, month, rng.randint(1, 26)))
            subject, needs_reply = rng.choice(SUBJECTS)
            subject = f"{subject} ({received:%b %Y})"
            if not timeline.joined <= received <= timeline.as_of or (received, subject) in seen:
                continue
            seen.add((received, subject))
            due = received + dt.timedelta(days=rng.choice((10, 21, 30))) if rng.random() < 0.3 else None
            replied = _reply(rng, received, due or received + dt.timedelta(days=14), timeline.as_of) if needs_reply else None
            rows.append({"received_on": received, "subject": subject, "reply_required": needs_reply,
                         "due_on": due if needs_reply else None, "replied_on": replied})
    return rows


def program_years(rng: random.Random, timeline: Timeline) -> list[dict]:
    """Targets met most years; missed in the first full year (the learning curve) and now and then."""
    first_full = timeline.joined.year + 1
    rows = []
    for year in timeline.years():
        met = year == timeline.as_of.year or (year != first_full and rng.random() < 0.85)
        rows.append({"year": year, "performance_targets_met": met})
    return rows
