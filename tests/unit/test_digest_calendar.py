"""Reminders: the digest of what became due or overdue since the user last looked, and the
calendar (.ics) export of meetings and due dates (parsed back with the icalendar package)."""

from __future__ import annotations

import datetime as dt
import re

import icalendar

from app.domain.permissions import Permission
from app.exports.calendar import CalendarEvent, ics_text
from app.exports.service import export_kind
from app.services import qip
from app.services.digest import build_digest, dismiss, last_digest_at
from app.storage.models import Case, Correspondence, Meeting
from tests.unit.test_findings_service import seed

D = dt.date
T = dt.datetime


def facility(db) -> None:
    seed(db)
    with db.transaction(Permission.IMPORT) as s:
        s.add_all([
            Correspondence(received_on=D(2025, 6, 1), subject="Old letter", reply_required=True),           # due 06-15
            Correspondence(received_on=D(2025, 6, 20), subject="Renewal, signed; by Friday", reply_required=True),  # 07-04
            Correspondence(received_on=D(2025, 6, 25), subject="Answered", reply_required=True, replied_on=D(2025, 6, 26)),
            Meeting(meeting_id="M-JUL", date=D(2025, 7, 3), format="in_person", title="Summer meeting"),
            Meeting(meeting_id="M-SEP", date=D(2025, 9, 19), format="virtual"),
            # breast: enrolled May 31: day 30 (firing) on June 30, close from June 23
            Case(case_id="B1", project="breast", eligible_on=D(2025, 5, 30), status="enrolled", enrolled_on=D(2025, 5, 31)),
        ])
    qip.open_episode(db, "QIP-DATA-LAG", {}, "lag", D(2025, 6, 20))


def texts(digest) -> list[str]:
    return [i.text for i in digest.items]


def test_a_first_digest_lists_what_is_due_overdue_this_week_and_close(db) -> None:
    facility(db)
    digest = build_digest(db, T(2025, 6, 30, 9, 0), None)
    found = texts(digest)
    assert "Reply overdue since 2025-06-15: Old letter" in found
    assert "Reply due 2025-07-04: Renewal, signed; by Friday" in found
    assert not any("Answered" in t for t in found)
    assert "Meeting 2025-07-03 (In person) Summer meeting" in found and not any("2025-09-19" in t for t in found)
    assert any(t.startswith("QIP step overdue since 2025-06-20: ") for t in found)   # outreach, due on day 0
    assert not any("Breast" in t for t in found)   # breast fires on June 30 itself: a finding, no longer "close"
    assert [i.day for i in digest.items] == sorted(i.day for i in digest.items)


def test_after_dismissing_only_what_became_due_since(db) -> None:
    facility(db)
    assert last_digest_at(db) is None
    dismiss(db, T(2025, 6, 30, 9, 0))
    assert last_digest_at(db) == T(2025, 6, 30, 9, 0)
    later = build_digest(db, T(2025, 7, 6, 8, 0), last_digest_at(db))
    found = texts(later)
    assert "Reply overdue since 2025-07-04: Renewal, signed; by Friday" in found  # became overdue since
    assert not any("Old letter" in t for t in found)                               # already overdue at the last look
    from zoneinfo import ZoneInfo

    # issue 25: in the facility's zone, with its name (the window's clock reads this computer's)
    seen = dt.datetime(2025, 6, 30, 9, 0).astimezone().astimezone(ZoneInfo("America/Detroit"))
    assert later.heading.startswith(f"Since you last looked ({seen:%Y-%m-%d %H:%M} EDT)")


def test_forecasts_that_moved_to_close_since_the_last_look(db) -> None:
    facility(db)
    # breast: last enrollment May 31; close (within 7 days of firing on June 30) from June 23 on
    close_now = [t for t in texts(build_digest(db, T(2025, 6, 24, 9, 0), T(2025, 6, 20, 9, 0))) if "Breast" in t]
    # issue 25: the rule by its plain title first, its code in brackets
    assert close_now == ["Close to firing, A project went too long without enrollment [QIP-ENR-ZERO]: Breast: day 24 of 30 "
                         "— fires on 2025-06-30 without an enrollment."]
    already = [t for t in texts(build_digest(db, T(2025, 6, 24, 9, 0), T(2025, 6, 23, 9, 0))) if "Breast" in t]
    assert already == []   # it was close already when the user last looked


def test_calendar_export_is_valid_rfc5545(db, tmp_path) -> None:
    facility(db)
    with db.transaction(Permission.LETTERS) as s:
        s.add(Correspondence(received_on=D(2025, 6, 28), subject="A very long subject line " * 5, reply_required=True))
    out = tmp_path / "mroqc.ics"
    count = export_kind(db, "calendar", out, year=None, as_of=D(2025, 6, 30))
    raw = out.read_bytes()
    assert raw.startswith(b"BEGIN:VCALENDAR\r\n") and raw.endswith(b"END:VCALENDAR\r\n")
    assert all(len(line) <= 75 for line in raw.split(b"\r\n"))                       # folded
    assert b"\n" not in raw.replace(b"\r\n", b"")                                     # CRLF only
    cal = icalendar.Calendar.from_ical(raw)
    assert str(cal["VERSION"]) == "2.0" and "PRODID" in cal
    events = {str(e["SUMMARY"]): e for e in cal.walk("VEVENT")}
    assert len(events) == count
    assert events["Reply due: Renewal, signed; by Friday"]["DTSTART"].dt == D(2025, 7, 4)
    assert events["MROQC meeting: Summer meeting"]["DTSTART"].dt == D(2025, 7, 3)
    assert events["MROQC meeting: Summer meeting"]["DTEND"].dt == D(2025, 7, 4)
    assert ("Reply due: " + "A very long subject line " * 5) in events
    assert events["Reply due: Old letter"]["DTSTART"].dt == D(2025, 6, 15)          # an overdue reply stays on
    assert any(s.startswith("QIP QIP-DATA-LAG: ") for s in events)
    assert "MVC participation-bonus questionnaire due" in events
    assert all("DTSTAMP" in e and str(e["UID"]).endswith("@mroqc-desk.invalid") for e in events.values())
    again = tmp_path / "again.ics"
    export_kind(db, "calendar", again, year=None, as_of=D(2025, 6, 30))
    uids = lambda path: sorted(str(e["UID"]) for e in icalendar.Calendar.from_ical(path.read_bytes()).walk("VEVENT"))  # noqa: E731
    assert uids(out) == uids(again) and len(set(uids(out))) == count                # stable and unique


def test_folding_never_splits_a_character() -> None:
    """The written calendar (the icalendar library folds it) never cuts a UTF-8 character in two."""
    line = "SUMMARY:" + "é" * 80
    raw = ics_text([CalendarEvent("x", D(2025, 7, 1), "é" * 80)], T(2025, 6, 30, 9, 0, tzinfo=dt.UTC), "n")
    physical = raw.split("\r\n")
    first = next(i for i, part in enumerate(physical) if part.startswith("SUMMARY:"))
    end = first + 1
    while physical[end].startswith(" "):
        end += 1
    folded = "\r\n".join(physical[first:end])
    assert all(len(part.encode("utf-8")) <= 75 for part in folded.split("\r\n"))
    assert folded.replace("\r\n ", "") == line


def test_a_digest_is_values_worded_in_the_facilitys_date_format(db) -> None:
    """The service gives days as dates; the words follow the facility's format (US here), the
    forecast's own sentence too, and ISO is what the command line and these tests read."""
    facility(db)
    digest = build_digest(db, T(2025, 6, 30, 9, 0), None)
    letter = next(i for i in digest.items if i.kind == "letter" and i.overdue)
    assert (letter.day, letter.subject) == (dt.date(2025, 6, 15), "Old letter")
    assert letter.words("us") == "Reply overdue since 06/15/2025: Old letter"
    us = [i.words("us") for i in digest.items]
    assert "Meeting 07/03/2025 (In person) Summer meeting" in us
    assert not any(re.search(r"\d{4}-\d\d-\d\d", t) for t in us), us
