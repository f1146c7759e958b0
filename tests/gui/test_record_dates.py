"""Records carry the real date (issue 22): a QIP episode opened while the screens show another day
asks, today being the default; one opened by mistake is withdrawn, audited; the Audit log screen
names records in people's words, finds a case by its ID and shows the facility's times."""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QInputDialog, QMessageBox

from app.services import qip
from app.storage.models import AuditEntry
from tests.gui.conftest import AS_OF, settle

TODAY = AS_OF                               # the window's clock: 2025-06-30, 9:00
AHEAD = AS_OF + dt.timedelta(days=13)       # the as-of date being looked at


def _clock() -> dt.datetime:
    return dt.datetime.combine(TODAY, dt.time(9, 0))


def _trigger_page(qtbot, db, day: dt.date):  # type: ignore[no-untyped-def]
    """The Findings page at ``day`` (today by its clock being ``TODAY``), a QIP trigger selected."""
    from ui.as_of import AsOf
    from ui.findings import FindingsPage

    page = FindingsPage(db, AsOf(day, clock=_clock))
    qtbot.addWidget(page)
    settle(qtbot)
    qtbot.waitUntil(lambda: page.result is not None, timeout=20000)
    trigger = next(f for f in page.result.findings if f.kind == "qip" and f.severity == "trigger")
    page.show_rule(trigger.rule)
    assert page.current() is not None and page.open_episode.isEnabled()
    return page, trigger


class Answers:
    """The record-day questions asked (``asked``), each answered by Enter — its default button —
    or, when ``choose`` is set, by the button whose text holds it."""

    def __init__(self) -> None:
        self.asked: list[QMessageBox] = []
        self.choose: str | None = None
        self.confirmed: list[QMessageBox] = []  # the "Open a QIP episode?" confirmations, answered Open

    def run(self, box: QMessageBox) -> None:
        from PySide6.QtTest import QTest

        self.asked.append(box)
        box.show()
        if self.choose is None:
            QTest.keyClick(box, Qt.Key.Key_Return)
        else:
            next(b for b in box.buttons() if self.choose in b.text()).click()


@pytest.fixture
def answers(monkeypatch: pytest.MonkeyPatch) -> Answers:
    """The record-day questions answered; the confirmation that follows them (what the episode
    creates) answered "Open the episode" and kept in ``confirmed``."""
    import ui.qip_tracker
    import ui.record_day

    answering = Answers()
    monkeypatch.setattr(ui.record_day, "run", answering.run)
    monkeypatch.setattr(ui.qip_tracker, "ask", lambda box: (answering.confirmed.append(box), box.defaultButton().click()))
    return answering


def test_opening_an_episode_while_looking_ahead_asks_and_dates_it_today(qtbot, demo_db, answers) -> None:
    page, trigger = _trigger_page(qtbot, demo_db, AHEAD)
    before = {e.id for e in qip.list_episodes(demo_db, AHEAD)}
    answers.choose = "Cancel"
    page.open_episode.click()
    assert {e.id for e in qip.list_episodes(demo_db, AHEAD)} == before  # cancelled: nothing opened
    answers.choose = None
    page.open_episode.click()
    box = answers.asked[-1]
    assert box.text().startswith(f"You are viewing {AHEAD.isoformat()}. Open the QIP episode as of today, "
                                 f"{TODAY.isoformat()}?")
    assert box.defaultButton().text() == f"As of &today, {TODAY.isoformat()}"
    assert not any(AHEAD.isoformat() in b.text() for b in box.buttons())  # a day ahead is never offered
    [episode] = [e for e in qip.list_episodes(demo_db, AHEAD) if e.id not in before]
    assert episode.rule == trigger.rule and episode.opened_on == TODAY
    assert episode.steps[0].due_on == TODAY                              # the process counts from today too
    qip.withdraw_episode(demo_db, episode.id, "test over")


def test_an_earlier_as_of_date_may_be_chosen(qtbot, demo_db, answers) -> None:
    earlier = TODAY - dt.timedelta(days=5)
    page, _trigger = _trigger_page(qtbot, demo_db, earlier)
    before = {e.id for e in qip.list_episodes(demo_db, TODAY)}
    answers.choose = f"As of {earlier.isoformat()}"
    page.open_episode.click()
    [episode] = [e for e in qip.list_episodes(demo_db, TODAY) if e.id not in before]
    assert episode.opened_on == earlier
    qip.withdraw_episode(demo_db, episode.id, "test over")


def test_viewing_today_asks_nothing(qtbot, demo_db, answers) -> None:
    page, _trigger = _trigger_page(qtbot, demo_db, TODAY)
    before = {e.id for e in qip.list_episodes(demo_db, TODAY)}
    page.open_episode.click()
    assert answers.asked == []
    [episode] = [e for e in qip.list_episodes(demo_db, TODAY) if e.id not in before]
    assert episode.opened_on == TODAY
    qip.withdraw_episode(demo_db, episode.id, "test over")


def test_an_episode_opened_by_mistake_is_withdrawn_from_the_tracker(qtbot, demo_db, monkeypatch) -> None:
    from ui.as_of import AsOf
    from ui.qip_tracker import QipTrackerPage

    episode_id = qip.open_episode(demo_db, "QIP-DATA-LAG", {}, "opened by mistake", TODAY)
    page = QipTrackerPage(demo_db, AsOf(AHEAD, clock=_clock))
    qtbot.addWidget(page)
    row = next(i for i, e in enumerate(page.episodes) if e.id == episode_id)
    page.table.selectRow(row)
    asked: list[str] = []

    def reason(_parent, _title, text, *args, **kwargs):  # type: ignore[no-untyped-def]
        asked.append(text)
        return "Opened by mistake while looking ahead.", True

    monkeypatch.setattr(QInputDialog, "getText", reason)
    assert page.withdraw_button.isEnabled()
    page.withdraw_button.click()
    assert "QIP-DATA-LAG" in asked[0] and episode_id not in {e.id for e in page.episodes}
    with demo_db.reader() as session:
        note = session.query(AuditEntry).filter(AuditEntry.action == "note").order_by(AuditEntry.id.desc()).first()
    assert note.user == demo_db.actor.name and note.summary.startswith(f"withdrew QIP episode {episode_id} (QIP-DATA-LAG")
    assert note.summary.endswith(": Opened by mistake while looking ahead.")


def test_a_step_is_offered_as_done_today_not_on_the_day_looked_at(qtbot, demo_db) -> None:
    from ui.as_of import AsOf
    from ui.qip_tracker import QipTrackerPage

    episode_id = qip.open_episode(demo_db, "QIP-DATA-LAG", {}, "m", TODAY)
    page = QipTrackerPage(demo_db, AsOf(AHEAD, clock=_clock))
    qtbot.addWidget(page)
    page.table.selectRow(next(i for i, e in enumerate(page.episodes) if e.id == episode_id))
    offered: list[str] = []

    def look(form) -> None:  # type: ignore[no-untyped-def]
        offered.append(form.widgets["done_on"].text())

    page.form_hook = look
    page.done.click()
    assert offered == [TODAY.isoformat()]
    qip.withdraw_episode(demo_db, episode_id, "test over")


def test_the_audit_log_screen_finds_a_case_and_shows_the_facilitys_time(qtbot, db) -> None:
    from tests.unit.test_audit_words import CASE, _submission
    from ui.as_of import AsOf
    from ui.audit_log import AuditLogPage

    _submission(db)
    page = AuditLogPage(db, AsOf())
    qtbot.addWidget(page)
    assert page.table.horizontalHeaderItem(0).text() == "When (America/Detroit)"
    page.record.setText(CASE)
    shown = [[page.table.item(r, c).text() for c in range(6)] for r in range(page.table.rowCount())]
    assert [row[3] for row in shown] == ["dosimetry submission", "dosimetry submission", "case"]
    assert shown[0][4] == f"case {CASE}: dosimetry submitted 2025-06-02"
    assert shown[0][5] == "total dose (Gy): 50.0 → 45.0"
    assert all(row[0].endswith((" EDT", " EST")) for row in shown)


def test_the_facilitys_time_zone_is_chosen_in_settings_and_the_audit_log_follows(qtbot, db, monkeypatch) -> None:
    from app.services.facility import facility_zone
    from ui.as_of import AsOf
    from ui.audit_log import AuditLogPage
    from ui.settings import SettingsPage

    log = AuditLogPage(db, AsOf())
    qtbot.addWidget(log)
    settings = SettingsPage(db)
    qtbot.addWidget(settings)
    assert settings.time_zone.currentData() == "America/Detroit"
    settings.time_zone.setCurrentIndex(settings.time_zone.findData("America/Menominee"))
    monkeypatch.setattr(QMessageBox, "information", lambda *a, **k: QMessageBox.StandardButton.Ok)
    assert settings.save()
    assert facility_zone(db) == "America/Menominee"
    log.reload()
    assert log.table.horizontalHeaderItem(0).text() == "When (America/Menominee)"
    assert log.table.item(0, 0).text().endswith((" CST", " CDT"))


def test_opening_an_episode_says_what_it_creates_and_cancel_opens_nothing(qtbot, demo_db, monkeypatch) -> None:
    """Issue 25: one click used to open an episode and six steps unasked. The question names the
    trigger by its plain title (code in brackets) and lists each step with its due day."""
    from PySide6.QtTest import QTest

    import ui.qip_tracker
    from app.domain.qip_process import process_steps
    from app.rules.engine import ENTRIES

    page, trigger = _trigger_page(qtbot, demo_db, TODAY)
    before = {e.id for e in qip.list_episodes(demo_db, TODAY)}
    asked: list[QMessageBox] = []

    def cancel(box: QMessageBox) -> None:
        asked.append(box)
        box.show()
        QTest.keyClick(box, Qt.Key.Key_Escape)

    monkeypatch.setattr(ui.qip_tracker, "ask", cancel)
    page.open_episode.click()
    assert {e.id for e in qip.list_episodes(demo_db, TODAY)} == before  # Esc: nothing opened
    [box] = asked
    text = box.text()
    assert text.startswith(f"Open a QIP episode for {ENTRIES[trigger.rule].title} [{trigger.rule}]")
    assert f"its {len(process_steps())} steps" in text
    for step in process_steps():
        assert f"{step.title}: due {(TODAY + dt.timedelta(days=step.due_days)).isoformat()}" in text
    assert box.defaultButton().text() == "&Open the episode"

    monkeypatch.setattr(ui.qip_tracker, "ask", lambda b: b.defaultButton().click())
    page.open_episode.click()
    [episode] = [e for e in qip.list_episodes(demo_db, TODAY) if e.id not in before]
    assert episode.rule == trigger.rule
    qip.withdraw_episode(demo_db, episode.id, "test over")


def test_withdraw_is_offered_only_while_no_step_is_done(qtbot, demo_db) -> None:
    from ui.as_of import AsOf
    from ui.qip_tracker import QipTrackerPage

    episode_id = qip.open_episode(demo_db, "QIP-DATA-LAG", {}, "m", TODAY)
    page = QipTrackerPage(demo_db, AsOf(TODAY, clock=_clock))
    qtbot.addWidget(page)
    page.table.selectRow(next(i for i, e in enumerate(page.episodes) if e.id == episode_id))
    assert page.withdraw_button.isEnabled()
    qip.record_step(demo_db, episode_id, "outreach", done_on=TODAY)
    page.refresh()
    assert page.selected().id == episode_id
    assert not page.withdraw_button.isEnabled()
    assert "Close the episode instead" in page.withdraw_button.toolTip()
    qip.record_step(demo_db, episode_id, "outreach", done_on=None)
    qip.withdraw_episode(demo_db, episode_id, "test over")
