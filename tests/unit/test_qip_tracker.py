"""The QIP tracker: opening an episode, the process schedule, overdue steps, audit."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from app.services import qip
from app.storage.models import AuditEntry

OPENED = dt.date(2025, 3, 3)


def test_opening_an_episode_schedules_the_process(db) -> None:
    episode_id = qip.open_episode(db, "QIP-ENR-ZERO", {"project": "lung"}, "No lung enrollment for 41 days.", OPENED)
    [episode] = qip.list_episodes(db, OPENED)
    assert episode.id == episode_id
    due = {s.key: s.due_on for s in episode.steps}
    assert due["outreach"] == OPENED
    assert due["follow_up"] == OPENED + dt.timedelta(days=14)
    assert due["status_notice"] == OPENED + dt.timedelta(days=30)
    assert [s.key for s in episode.steps][-1] == "monitoring"


def test_a_second_open_episode_for_the_same_trigger_is_refused(db) -> None:
    qip.open_episode(db, "QIP-ENR-ZERO", {"project": "lung"}, "m", OPENED)
    with pytest.raises(qip.QipError, match="already open"):
        qip.open_episode(db, "QIP-ENR-ZERO", {"project": "lung"}, "m", OPENED)
    qip.open_episode(db, "QIP-ENR-ZERO", {"project": "breast"}, "m", OPENED)  # another subject is fine


@pytest.mark.parametrize(
    ("as_of", "status"),
    [(OPENED + dt.timedelta(days=14), "due soon"), (OPENED + dt.timedelta(days=15), "overdue"),
     (OPENED + dt.timedelta(days=7), "due soon"), (OPENED + dt.timedelta(days=6), "upcoming")],
)
def test_follow_up_is_overdue_the_day_after_it_was_due(as_of: dt.date, status: str) -> None:
    assert qip.step_status(OPENED + dt.timedelta(days=14), None, as_of) == status


def test_due_soon_is_the_qip_process_files_horizon(db, monkeypatch: pytest.MonkeyPatch) -> None:
    """"Due soon" starts ``[reminders] due_soon_days`` before a step is due (7 in the bundled file):
    the tracker, the Dashboard and the digest follow the file, not a number in the code."""
    from app.domain import qip_process
    from app.paths import resource
    from app.typed_toml import read_text

    assert qip_process.due_soon_days() == 7
    text = resource("programs", "qip_process.toml").read_text(encoding="utf-8")
    three = read_text(text.replace("due_soon_days = 7", "due_soon_days = 3"), "qip_process.toml",
                      qip_process.QipProcess, qip_process.QipProcessError)
    monkeypatch.setattr(qip_process, "qip_process", lambda: three)
    due = OPENED + dt.timedelta(days=14)
    assert qip.step_status(due, None, OPENED + dt.timedelta(days=10)) == "upcoming"  # 4 days ahead
    assert qip.step_status(due, None, OPENED + dt.timedelta(days=11)) == "due soon"  # 3 days ahead
    qip.open_episode(db, "QIP-DATA-LAG", {}, "m", OPENED)
    qip.record_step(db, qip.list_episodes(db, OPENED)[0].id, "outreach", done_on=OPENED)
    assert qip.due_soon(db, OPENED + dt.timedelta(days=10)) == []
    assert [step.key for _, step in qip.due_soon(db, OPENED + dt.timedelta(days=11))] == ["follow_up"]
    with pytest.raises(qip_process.QipProcessError, match=r"line \d+: 'reminders.due_soon_days' must be .* from 0 to 30"):
        read_text(text.replace("due_soon_days = 7", "due_soon_days = 31"), "qip_process.toml",
                  qip_process.QipProcess, qip_process.QipProcessError)


def test_recording_steps_moves_the_next_step_and_is_audited(db) -> None:
    episode_id = qip.open_episode(db, "QIP-DATA-LAG", {}, "Data lag 45 days.", OPENED)
    qip.record_step(db, episode_id, "outreach", done_on=OPENED, note="Call from the coordinating center")
    as_of = OPENED + dt.timedelta(days=20)
    [episode] = qip.list_episodes(db, as_of)
    assert episode.next_step.key == "follow_up"
    assert [s.key for s in episode.overdue] == ["follow_up"]
    assert qip.due_soon(db, as_of)[0][1].key == "follow_up"
    with db.reader() as session:
        tables = session.scalars(select(AuditEntry.table_name)).all()
    assert tables.count("qip_steps") == 7  # six created, one updated


def test_step_done_before_opening_is_refused(db) -> None:
    episode_id = qip.open_episode(db, "QIP-DATA-LAG", {}, "m", OPENED)
    with pytest.raises(qip.QipError, match="before the episode"):
        qip.record_step(db, episode_id, "outreach", done_on=OPENED - dt.timedelta(days=1))


def test_closed_episodes_leave_the_due_list(db) -> None:
    episode_id = qip.open_episode(db, "QIP-DATA-LAG", {}, "m", OPENED)
    qip.close_episode(db, episode_id, OPENED + dt.timedelta(days=40), notes="Resolved")
    assert qip.due_soon(db, OPENED + dt.timedelta(days=50)) == []
    assert qip.list_episodes(db, OPENED, include_closed=False) == []


def test_an_episode_is_never_dated_ahead_of_today(db) -> None:
    today = dt.date(2026, 12, 7)
    with pytest.raises(qip.QipError, match="ahead of today"):
        qip.open_episode(db, "QIP-ENR-ZERO", {"project": "lung"}, "m", dt.date(2026, 12, 20), today=today)
    episode_id = qip.open_episode(db, "QIP-ENR-ZERO", {"project": "lung"}, "m", today, today=today)
    assert [e.opened_on for e in qip.list_episodes(db, dt.date(2026, 12, 20)) if e.id == episode_id] == [today]


def test_an_episode_opened_by_mistake_is_withdrawn_and_audited(db) -> None:
    from tests.support import as_role

    episode_id = qip.open_episode(db, "QIP-ENR-ZERO", {"project": "lung"}, "No lung enrollment.", OPENED)
    with pytest.raises(qip.QipError, match="why"):
        qip.withdraw_episode(db, episode_id, "   ")
    from app.domain.permissions import NotAllowed

    with pytest.raises(NotAllowed):
        qip.withdraw_episode(as_role(db, "physics"), episode_id, "opened by mistake")
    qip.withdraw_episode(as_role(db, "reviewer", "cy"), episode_id, "Opened by mistake: the trigger was June's.")
    assert qip.list_episodes(db, OPENED) == []
    with db.reader() as session:
        entries = session.scalars(select(AuditEntry).where(AuditEntry.user == "cy").order_by(AuditEntry.id)).all()
    assert [(e.table_name, e.action) for e in entries] == [("qip_steps", "delete")] * 6 + [
        ("qip_episodes", "delete"), ("qip_episodes", "note")]
    assert entries[-2].before["rule"] == "QIP-ENR-ZERO" and entries[-2].summary.startswith(f"QIP episode {episode_id}: ")
    assert entries[-1].summary == (f"withdrew QIP episode {episode_id} (QIP-ENR-ZERO, Lung, opened 2025-03-03): "
                                   "Opened by mistake: the trigger was June's.")
    qip.open_episode(db, "QIP-ENR-ZERO", {"project": "lung"}, "m", OPENED)  # the trigger may be opened again
    with pytest.raises(qip.QipError, match="no QIP episode"):
        qip.withdraw_episode(db, episode_id + 100, "never opened")


def test_what_opening_creates_is_known_before_it_is_opened(db) -> None:
    """The window lists the steps before the click that makes them: the same steps, the same days."""
    planned = qip.planned_steps(OPENED)
    episode_id = qip.open_episode(db, "QIP-DATA-LAG", {}, "m", OPENED)
    [episode] = [e for e in qip.list_episodes(db, OPENED) if e.id == episode_id]
    assert [(p.title, p.due_on) for p in planned] == [(s.title, s.due_on) for s in episode.steps]


def test_an_episode_with_work_recorded_is_closed_not_withdrawn(db) -> None:
    """The QIP process file says when withdrawing is allowed: by default only while no step is done."""
    from app.domain.qip_process import withdrawal

    assert withdrawal().after_a_step_is_done is False
    episode_id = qip.open_episode(db, "QIP-DATA-LAG", {}, "m", OPENED)
    qip.record_step(db, episode_id, "outreach", done_on=OPENED)
    with pytest.raises(qip.QipError, match="1 step marked done, so it is not withdrawn.*Close the episode instead"):
        qip.withdraw_episode(db, episode_id, "opened by mistake")
    assert [e.id for e in qip.list_episodes(db, OPENED)] == [episode_id]
    assert qip.withdraw_refusal(0) is None
