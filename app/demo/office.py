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


def _reply(rng: random.Random, received: dt.date, due: dt.date, fate: str, as_of: dt.date) -> dt.date | None:
    """The reply date for a letter whose fate is ``on_time``, ``late`` or ``never``
    (None also while the reply still lies after the as-of date)."""
    if fate == "never":
        return None
    if fate == "late":
        replied = due + dt.timedelta(days=rng.randint(1, 20))
    else:
        replied = received + dt.timedelta(days=rng.randint(1, max(1, (due - received).days)))
    return replied if replied <= as_of else None


def _fates(rng: random.Random, count: int) -> list[str]:
    """Most letters of a year answered on time; zero to two late, now and then one never answered.
    Counted per year rather than rolled per letter, so no seed makes a facility that ignores its mail."""
    fates = ["on_time"] * count
    slots = rng.sample(range(count), count)
    for i in slots[:min(count, rng.choice((0, 0, 1, 1, 2)))]:
        fates[i] = "late"
    if count and rng.random() < 0.2:
        fates[slots[-1]] = "never"
    return fates


SENDER = "MROQC Coordinating Center"


def correspondence(rng: random.Random, timeline: Timeline) -> list[dict]:
    """6–12 letters a year; most need a reply, within 14 days unless the letter names a due date."""
    rows, seen = [], set()
    for year in timeline.years():
        letters = []
        for month in sorted(rng.sample(range(1, 13), rng.randint(6, 12))):
            received = weekday_on_or_after(dt.date(year, month, rng.randint(1, 26)))
            subject, needs_reply = rng.choice(SUBJECTS)
            subject = f"{subject} ({received:%b %Y})"
            if timeline.joined <= received <= timeline.as_of and (received, subject) not in seen:
                seen.add((received, subject))
                letters.append((received, subject, needs_reply))
        fates = iter(_fates(rng, sum(1 for *_, needs_reply in letters if needs_reply)))
        for number, (received, subject, needs_reply) in enumerate(letters, start=1):
            due = received + dt.timedelta(days=rng.choice((10, 21, 30))) if needs_reply and rng.random() < 0.3 else None
            replied = None
            if needs_reply:
                replied = _reply(rng, received, due or received + dt.timedelta(days=14), next(fates), timeline.as_of)
            rows.append({"letter_id": f"L-{year}-{number:02d}", "sender": SENDER, "received_on": received,
                         "subject": subject, "reply_required": needs_reply, "due_on": due, "replied_on": replied})
    return rows


def program_years(rng: random.Random, timeline: Timeline) -> list[dict]:
    """Targets met most years; missed in the first full year (the learning curve) and now and then."""
    first_full = timeline.joined.year + 1
    rows = []
    for year in timeline.years():
        met = year == timeline.as_of.year or (year != first_full and rng.random() < 0.85)
        rows.append({"year": year, "performance_targets_met": met})
    return rows
