"""``export calendar``: meetings and due dates as an iCalendar file (RFC 5545) for Outlook and
other calendars: the meetings from the as-of date on, the reply due date of every letter still
awaiting its reply, the due date of every open QIP step, and the program dates (P4P payment,
MVC questionnaire).

All-day events (``DTSTART;VALUE=DATE``, ``DTEND`` the next day), a UID per record that stays the
same between exports (a calendar updates the event instead of adding a second), text escaped
and lines folded at 75 octets, CRLF line ends. No patient data: letters and steps are the
facility's.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from app.domain.vocabulary import label
from app.storage import files
from app.storage.database import Database

PRODID = "-//MROQC Facility Desk//Meetings and due dates//EN"
UID_DOMAIN = "mroqc-desk.invalid"


@dataclass(frozen=True)
class CalendarEvent:
    uid: str
    day: dt.date
    summary: str
    description: str = ""
    category: str = ""


def escape(text: str) -> str:
    """TEXT value escaping (RFC 5545 3.3.11)."""
    return (text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\r\n", "\\n").replace("\n", "\\n"))


def fold(line: str) -> str:
    """Lines longer than 75 octets folded with CRLF + space, never inside a UTF-8 character."""
    out, current = [], b""
    for ch in line:
        encoded = ch.encode("utf-8")
        limit = 75 if not out else 74  # a continuation line starts with the space
        if len(current) + len(encoded) > limit:
            out.append(current)
            current = b""
        current += encoded
    out.append(current)
    return "\r\n ".join(part.decode("utf-8") for part in out)


def ics_text(events: list[CalendarEvent], stamp: dt.datetime, name: str) -> str:
    stamp_text = stamp.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODID}", "CALSCALE:GREGORIAN", "METHOD:PUBLISH",
             f"X-WR-CALNAME:{escape(name)}"]
    for e in events:
        lines += ["BEGIN:VEVENT", f"UID:{e.uid}@{UID_DOMAIN}", f"DTSTAMP:{stamp_text}",
                  f"DTSTART;VALUE=DATE:{e.day:%Y%m%d}", f"DTEND;VALUE=DATE:{e.day + dt.timedelta(days=1):%Y%m%d}",
                  f"SUMMARY:{escape(e.summary)}", "TRANSP:TRANSPARENT"]
        if e.description:
            lines.append(f"DESCRIPTION:{escape(e.description)}")
        if e.category:
            lines.append(f"CATEGORIES:{escape(e.category)}")
        lines.append("END:VEVENT")
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines)


def calendar_events(db: Database, as_of: dt.date) -> tuple[str, list[CalendarEvent]]:
    """(facility name, events) at ``as_of``."""
    from app.rules.correspondence import due_date, letter_status
    from app.services import qip
    from app.services.findings import evaluate_at, program_figures_of

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
    import hashlib

    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def write_calendar(db: Database, out: Path, as_of: dt.date, stamp: dt.datetime) -> int:
    """Write the ``.ics`` file atomically; returns the number of events."""
    if Path(out).suffix.lower() != ".ics":
        from app.storage.tabular import ExportError

        raise ExportError(f"Save the calendar as .ics (got '{Path(out).suffix or 'no ending'}').")
    name, events = calendar_events(db, as_of)
    files.atomic_write(Path(out), ics_text(events, stamp, f"MROQC: {name}").encode("utf-8"))
    return len(events)
