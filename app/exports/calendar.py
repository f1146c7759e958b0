"""``export calendar``: meetings and due dates as an iCalendar file (RFC 5545) for Outlook and
other calendars: the meetings from the as-of date on, the reply due date of every letter still
awaiting its reply, the due date of every open QIP step, and the program dates (P4P payment,
MVC questionnaire).

All-day events (``DTSTART;VALUE=DATE``, ``DTEND`` the next day), a UID per record that stays the
same between exports (a calendar updates the event instead of adding a second). Written with the
``icalendar`` library, which escapes text, folds lines at 75 octets (never inside a character) and
ends them with CRLF. No patient data: letters and steps are the facility's.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from pathlib import Path

import icalendar

from app.domain.vocabulary import label
from app.rules.correspondence import due_date, letter_status
from app.services import qip
from app.services.findings import evaluate_at, program_figures_of
from app.storage import files
from app.storage.database import Database
from app.storage.tabular import ExportError

PRODID = "-//MROQC Facility Desk//Meetings and due dates//EN"
UID_DOMAIN = "mroqc-desk.invalid"


@dataclass(frozen=True)
class CalendarEvent:
    uid: str
    day: dt.date
    summary: str
    description: str = ""
    category: str = ""


def ics_text(events: list[CalendarEvent], stamp: dt.datetime, name: str) -> str:
    calendar = icalendar.Calendar()
    calendar.add("version", "2.0")
    calendar.add("prodid", PRODID)
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", icalendar.vText(name))
    stamp = stamp.astimezone(dt.UTC)
    for e in events:
        event = icalendar.Event()
        event.add("uid", f"{e.uid}@{UID_DOMAIN}")
        event.add("dtstamp", stamp)
        event.add("dtstart", e.day)
        event.add("dtend", e.day + dt.timedelta(days=1))
        event.add("summary", e.summary)
        event.add("transp", "TRANSPARENT")
        if e.description:
            event.add("description", e.description)
        if e.category:
            event.add("categories", [e.category])
        calendar.add_component(event)
    return calendar.to_ical().decode("utf-8")


def calendar_events(db: Database, as_of: dt.date) -> tuple[str, list[CalendarEvent]]:
    """(facility name, events) at ``as_of``."""
    evaluation = evaluate_at(db, as_of)
    snapshot, policy = evaluation.snapshot, evaluation.policy
    events = [CalendarEvent(f"meeting-{m.meeting_id}", m.date, f"MROQC meeting{': ' + m.title if m.title else ''}",
                            f"{label(m.format)} collaborative-wide meeting. Each required role needs its holder or an "
                            "acceptable substitute.", "MROQC meeting")
              for m in sorted(snapshot.meetings, key=lambda m: (m.date, m.meeting_id)) if m.date >= as_of]
    for letter in sorted(snapshot.letters, key=lambda x: x.received_on):
        status = letter_status(letter, policy, as_of)
        if status in ("awaiting reply", "overdue"):
            due = due_date(letter, policy)
            events.append(CalendarEvent(f"letter-{letter.received_on:%Y%m%d}-{_slug(letter.subject)}", due, f"Reply due: {letter.subject}",
                                        f"Received {letter.received_on.isoformat()}; {status} as of {as_of.isoformat()}.",
                                        "MROQC correspondence"))
    for episode in qip.list_episodes(db, as_of, include_closed=False):
        for step in episode.steps:
            if step.due_on is not None and step.done_on is None:
                events.append(CalendarEvent(f"qip-{episode.id}-{step.key}", step.due_on,
                                            f"QIP {episode.rule}: {step.title}", f"QIP episode {episode.id}.", "MROQC QIP"))
    figures = program_figures_of(evaluation)
    for key, day, what in (("p4p", figures.p4p_payment, "BCBSM P4P payment expected"),
                           ("mvc", figures.mvc_questionnaire_due, "MVC participation-bonus questionnaire due")):
        if day >= as_of:
            events.append(CalendarEvent(f"{key}-{day:%Y%m%d}", day, what, category="MROQC program"))
    return snapshot.facility.name, sorted(events, key=lambda e: (e.day, e.uid))


def _slug(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def write_calendar(db: Database, out: Path, as_of: dt.date, stamp: dt.datetime) -> int:
    """Write the ``.ics`` file atomically; returns the number of events."""
    if Path(out).suffix.lower() != ".ics":
        raise ExportError(f"Save the calendar as .ics (got '{Path(out).suffix or 'no ending'}').")
    name, events = calendar_events(db, as_of)
    files.atomic_write(Path(out), ics_text(events, stamp, f"MROQC: {name}").encode("utf-8"))
    return len(events)
