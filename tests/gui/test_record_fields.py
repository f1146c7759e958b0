"""The screens' lists and forms are built from each record's one field schema
(``app.domain.fields``), the case form included: one form builder, one patient-identifier list."""

from __future__ import annotations

from app.domain import fields
from app.domain.fields import PHI_CASE_FIELDS
from app.storage.database import Database
from ui.as_of import AsOf
from ui.case_form import CaseForm
from ui.correspondence import CorrespondencePage
from ui.meetings import MeetingsPage
from ui.record_form import RecordForm
from ui.staff import StaffPage


def _captions(form: RecordForm) -> dict[str, str]:
    return {f.key: f.caption for f in form.fields}


def test_the_case_form_is_the_generic_form_with_the_case_fields(qtbot, db: Database) -> None:
    form = CaseForm(db)
    qtbot.addWidget(form)
    assert isinstance(form, RecordForm)
    assert _captions(form) == {f.key: f.label for f in fields.CASE}


def test_the_case_form_hides_exactly_the_patient_identifiers(qtbot, db: Database) -> None:
    form = CaseForm(db)
    qtbot.addWidget(form)
    form.show()
    hidden = {key for key, w in form.widgets.items() if not w.isVisible()}
    assert hidden == set(PHI_CASE_FIELDS)
    form.show_phi.setChecked(True)
    assert all(w.isVisible() for w in form.widgets.values())


def test_a_form_without_identifiers_has_no_toggle(qtbot, db: Database) -> None:
    page = StaffPage(db)
    qtbot.addWidget(page)
    form = RecordForm("Person", page.people.fields, lambda v, o: None)  # type: ignore[arg-type, return-value]
    qtbot.addWidget(form)
    form.show()
    assert form.show_phi.parent() is None and not form.show_phi.isVisible()


def test_staff_lists_and_forms_follow_the_staff_schema(qtbot, db: Database) -> None:
    page = StaffPage(db)
    qtbot.addWidget(page)
    assert [key for key, _ in page.people.columns] == list(fields.STAFF.keys)
    assert [heading for _, heading in page.people.columns][:3] == ["Staff ID", "Name", "Profession"]
    assert [(f.key, f.caption) for f in page.people.fields] == [(f.key, f.label) for f in fields.STAFF]
    roles = page.roles.fields() if callable(page.roles.fields) else page.roles.fields
    assert [f.key for f in roles] == list(fields.ROLE_ASSIGNMENT.keys)


def test_meetings_and_letters_use_their_schema_captions(qtbot, db: Database) -> None:
    meetings = MeetingsPage(db, AsOf())
    qtbot.addWidget(meetings)
    assert [(f.key, f.caption) for f in meetings.meeting_list.current_fields()] == [(f.key, f.label) for f in fields.MEETING]
    letters = CorrespondencePage(db, AsOf())
    qtbot.addWidget(letters)
    captions = {f.key: f.caption for f in letters.list.current_fields()}
    assert set(captions) == set(fields.LETTER.keys)
    assert captions["due_on"].startswith(fields.LETTER["due_on"].label)  # with the policy's reply days


def test_programs_sessions_and_program_years_follow_their_schema(qtbot, db: Database) -> None:
    """The two lists of Programs read as when they wrote their own fields, now built from
    ``DATA_ENTRY`` and ``PROGRAM_YEAR``."""
    from app.domain.vocabulary import DATA_ENTRY_KINDS
    from ui.programs import ProgramsPage
    from ui.record_form import Field, choices_of

    page = ProgramsPage(db, AsOf())
    qtbot.addWidget(page)
    assert page.years.columns == [("year", "Year"), ("targets", "Performance targets met"), ("state", "Year is")]
    assert page.years.current_fields() == [
        Field("year", "&Year", "int", read_only_when_editing=True),
        Field("performance_targets_met", "Performance &targets met (as the consortium decided)", "bool")]
    assert page.sessions.columns == [("date", "Date"), ("kind", "Kind"), ("case_id", "Case"), ("staff_name", "By")]
    nobody = (("(nobody named)", None),)
    assert page.sessions.current_fields() == [
        Field("date", "&Date", "date"), Field("kind", "&Kind", "choice", choices_of(DATA_ENTRY_KINDS)),
        Field("case_id", "&Case ID (optional)"), Field("staff_id", "&By", "choice", nobody)]
    assert [f.spec for f in page.years.current_fields()] == list(fields.PROGRAM_YEAR.fields)
    assert {f.spec for f in page.sessions.current_fields()} == set(fields.DATA_ENTRY.fields)


def test_every_record_form_on_every_screen_comes_from_one_record_schema(qtbot, db: Database) -> None:
    """Each list's Add/Edit form on every screen is built by ``fields_of`` from one record of
    ``app.domain.fields.RECORDS``: a form that lists its own fields fails here."""
    from types import SimpleNamespace

    from ui.record_page import RecordPage
    from ui.screens import SCREENS

    jumps = ("show_area", "show_findings", "show_case", "show_cases", "show_record", "open_database",
             "restore_from", "rekey")
    host = SimpleNamespace(db=db, as_of=AsOf(), session=None, **{name: lambda *a: None for name in jumps})
    lists: list[RecordPage] = []
    for screen in SCREENS:
        page = screen.make(host)  # type: ignore[arg-type]
        qtbot.addWidget(page)
        lists += page.findChildren(RecordPage)
    assert {"Program years", "Data-entry sessions", "Letters"} <= {p.title for p in lists}
    for page in lists:
        form = page.current_fields()
        assert form and all(f.spec is not None for f in form), f"{page.title}: a field not built from its schema"
        owners = [name for name, record in fields.RECORDS.items()
                  if all(any(f.spec is declared for declared in record.fields) for f in form)]
        assert owners, f"{page.title}: its fields are not one record's"


def test_first_start_and_settings_show_the_same_facility_rows(qtbot, db: Database, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from ui.facility_form import CAPTIONS, FacilityFields
    from ui.first_run import FirstRunDialog
    from ui.settings import SettingsPage

    first = FirstRunDialog(tmp_path / "facility.sqlite3")
    settings = SettingsPage(db)
    qtbot.addWidget(first)
    qtbot.addWidget(settings)
    for facility in (first.facility, settings.facility):
        assert isinstance(facility, FacilityFields)
        assert {k: c.replace("&", "") for k, c in facility.captions.items()} == \
            {k: c.replace("&", "") for k, c in CAPTIONS.items()}
    assert first.name is first.facility.name and settings.joined is settings.facility.joined


# ---- one password dialog, three modes -------------------------------------------------------------

def test_the_password_dialogs_are_one_dialog_in_three_modes(qtbot, db: Database) -> None:
    from PySide6.QtWidgets import QFormLayout, QLabel

    from ui.sign_in import (
        AdministratorDialog,
        ChangePasswordDialog,
        FirstPasswordDialog,
        PasswordDialog,
        PasswordMode,
    )

    def captions(dialog: PasswordDialog) -> list[str]:
        form = dialog.findChild(QFormLayout)
        items = (form.itemAt(row, QFormLayout.ItemRole.LabelRole) for row in range(form.rowCount()))
        return [item.widget().text() for item in items if item is not None and isinstance(item.widget(), QLabel)]

    first = AdministratorDialog("sqlite:///nowhere.sqlite3", "old.sqlite3")
    own = ChangePasswordDialog(db)
    reset = FirstPasswordDialog("rosa")
    for dialog in (first, own, reset):
        qtbot.addWidget(dialog)
        assert isinstance(dialog, PasswordDialog)
    assert [d.mode for d in (first, own, reset)] == list(PasswordMode)
    assert captions(first) == ["&User name", "&Password", "Type it &again"]
    assert captions(own) == ["&Current password", "&New password", "Type it &again"]
    assert captions(reset) == ["&User name", "&First password", "Type it &again"]
    assert reset.name.text() == "rosa" and reset.name.isReadOnly() and reset.windowTitle() == "Reset password"


def test_an_administrator_resets_a_password_in_the_first_password_mode(qtbot, db: Database, monkeypatch) -> None:
    from PySide6.QtWidgets import QMessageBox

    from app.services import users
    from ui.sign_in import FirstPasswordDialog
    from ui.users import UsersPanel

    users.add_user(db, "rosa", "coordinator", "rosa's first pw")
    monkeypatch.setattr(QMessageBox, "information", lambda *a, **k: None)
    panel = UsersPanel(db)
    qtbot.addWidget(panel)
    shown: list[FirstPasswordDialog] = []

    def fill(dialog) -> bool:  # type: ignore[no-untyped-def]
        shown.append(dialog)
        dialog.password.first.setText("a new first password")
        dialog.password.second.setText("a new first password")
        return True

    panel.form_hook = fill
    panel.reset("rosa")
    assert len(shown) == 1 and isinstance(shown[0], FirstPasswordDialog)
    assert {r.name: r.status for r in users.list_users(db)}["rosa"] == "must change password"


def test_the_forms_and_lists_read_as_before() -> None:
    """The captions, kinds, choices and headings the screens had when each wrote its own list."""
    from app.domain.vocabulary import (
        ABSENCE_KINDS,
        ATTENDANCE_ROLES,
        CE_CREDITS,
        MEETING_FORMATS,
        PHYSICIAN_TITLES,
        PROFESSIONS,
        PROJECTS,
        ROLES,
    )
    from app.domain.vocabulary import DOSIMETRY_TECHNIQUES as TECHNIQUES  # noqa: N811
    from ui.record_form import Field, choices_of, columns_of, fields_of

    P = (("A (1)", "1"),)
    old = [Field("staff_id", "Staff &ID", read_only_when_editing=True), Field("name", "&Name"),
                 Field("profession", "&Profession", "choice", choices_of(PROFESSIONS)),
                 Field("physician_title", "Physician &title", "choice", choices_of(PHYSICIAN_TITLES, "(none)")),
                 Field("works_on_mroqc", "Works on &MROQC", "bool"),
                 Field("treats_mroqc_patients", "Treats MROQC &patients", "bool"),
                 Field("cmd_id", "&CMD ID"), Field("arrt_id", "&ARRT ID"), Field("pgip_member_since", "P&GIP member since", "date"),
                 Field("email", "&E-mail")]
    assert old == fields_of(fields.STAFF)
    assert columns_of(fields.STAFF, *fields.STAFF.keys) == [("staff_id", "Staff ID"), ("name", "Name"), ("profession", "Profession"), ("physician_title", "Title"),
                 ("works_on_mroqc", "Works on MROQC"), ("treats_mroqc_patients", "Treats MROQC patients"),
                 ("cmd_id", "CMD ID"), ("arrt_id", "ARRT ID"), ("pgip_member_since", "PGIP since"), ("email", "E-mail")]
    assert columns_of(fields.ROLE_ASSIGNMENT, "role", ("name", "Held by"), "start", "end") == [("role", "Role"), ("name", "Held by"), ("start", "From"), ("end", "To")]
    assert fields_of(fields.ROLE_ASSIGNMENT, choices={"staff_id": P}) == [Field("staff_id", "&Person", "choice", P),
                         Field("role", "&Role", "choice", choices_of(ROLES)),
                         Field("start", "&From", "date"), Field("end", "&To (blank: continuing)", "date")]
    assert columns_of(fields.ABSENCE, ("name", "Who"), "kind", "start", "end", "approved", "project") == [("name", "Who"), ("kind", "Kind"), ("start", "From"), ("end", "To"), ("approved", "Approved"),
                 ("project", "Project")]
    assert fields_of(fields.ABSENCE, choices={"staff_id": P}) == [Field("staff_id", "&Person (blank: whole facility)", "choice", P),
                         Field("kind", "&Kind", "choice", choices_of(ABSENCE_KINDS)), Field("start", "&From", "date"),
                         Field("end", "&To", "date"), Field("approved", "&Approved", "bool"),
                         Field("project", "P&roject (pauses only; blank: all)", "choice", choices_of(PROJECTS, "(all projects)"))]
    reply_days = 30
    assert columns_of(fields.LETTER, "received_on", "letter_id", "sender", "subject", "reply_required",
                           ("due", "Reply due"), "replied_on", ("state", "Status")) == [("received_on", "Received"), ("letter_id", "Reference"), ("sender", "From"), ("subject", "Subject"), ("reply_required", "Reply needed"),
                 ("due", "Reply due"), ("replied_on", "Replied"), ("state", "Status")]
    assert fields_of(fields.LETTER, "letter_id", "received_on", "sender", "subject", "reply_required", "due_on",
                          "replied_on", captions={"due_on": f"Reply &due (blank: {reply_days} days after receipt)"}) == [Field("letter_id", "Re&ference", read_only_when_editing=True), Field("received_on", "&Received on", "date"),
                 Field("sender", "Fro&m (sender)"), Field("subject", "&Subject"),
                 Field("reply_required", "Reply &needed", "bool"),
                 Field("due_on", f"Reply &due (blank: {reply_days} days after receipt)", "date"),
                 Field("replied_on", "Re&plied on", "date")]
    assert fields_of(fields.MEETING) == [Field("meeting_id", "Meeting &ID", read_only_when_editing=True), Field("date", "&Date", "date"),
                 Field("format", "&Format", "choice", choices_of(MEETING_FORMATS)), Field("title", "&Title"),
                 Field("location", "&Location")]
    assert columns_of(fields.MEETING, "date", "meeting_id", "format", "title", "location") == [("date", "Date"), ("meeting_id", "Meeting ID"), ("format", "Format"), ("title", "Title"), ("location", "Location")]
    assert columns_of(fields.ATTENDANCE, "role", ("name", "Person"), "ce_credit") == [("role", "Attended for"), ("name", "Person"), ("ce_credit", "CE credit requested")]
    assert fields_of(fields.ATTENDANCE, "role", "staff_id", "ce_credit", choices={"staff_id": P}) == [Field("role", "Attended &for", "choice", choices_of(ATTENDANCE_ROLES)),
                         Field("staff_id", "&Person", "choice", P),
                         Field("ce_credit", "&CE credit requested", "choice", choices_of(CE_CREDITS, "(none)"))]
    assert columns_of(fields.DOSIMETRY, "case_id", ("project", "Project"), "submitted_on", ("staff_name", "By"),
                           "technique", "total_dose_gy", "fractions", ("per_fraction", "Gy per fraction"),
                           ("metrics_text", "Metrics")) == [("case_id", "Case"), ("project", "Project"), ("submitted_on", "Submitted"), ("staff_name", "By"),
                 ("technique", "Technique"), ("total_dose_gy", "Total dose (Gy)"), ("fractions", "Fractions"),
                 ("per_fraction", "Gy per fraction"), ("metrics_text", "Metrics")]
    assert fields_of(fields.DOSIMETRY, choices={"staff_id": P}) == [Field("case_id", "&Case ID", read_only_when_editing=True),
                         Field("submitted_on", "&Submitted on", "date"),
                         Field("staff_id", "Submitted &by", "choice", P),
                         Field("technique", "&Technique", "choice", tuple((t, t) for t in TECHNIQUES)),
                         Field("total_dose_gy", "Total &dose (Gy)", "float"), Field("fractions", "&Fractions", "int"),
                         Field("metrics", "&Metrics (e.g. mean_heart_dose_gy=1.2;lung_v20_pct=18)")]
