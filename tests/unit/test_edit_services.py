"""The edit services behind the coordinator screens: validation, one audited transaction, undo."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from app.domain.records import CaseRecord, DosimetryRecord, StaffRecord, parse_metrics
from app.services import cases, dosimetry, letters, meetings, staff
from app.services.editing import ValidationFailed, undo
from app.storage.models import AuditEntry, Case

D = dt.date


def audit_count(db) -> int:
    with db.reader() as s:
        return s.scalar(select(func.count(AuditEntry.id)))


def new_case(**kw) -> CaseRecord:
    values = {"case_id": "C-1", "project": "breast", "eligible_on": D(2025, 1, 5)}
    return CaseRecord(**{**values, **kw})


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"status": "enrolled"}, "enrolled_on", "needs its enrollment date"),
        ({"status": "enrolled", "enrolled_on": D(2025, 1, 4)}, "enrolled_on", "before the eligible date"),
        ({"enrolled_on": D(2025, 1, 6)}, "enrolled_on", "only an enrolled case"),
        ({"status": "not_enrolled"}, "not_enrolled_reason", "say why"),
        ({"status": "not_enrolled", "not_enrolled_reason": "other"}, "note", "needs a note"),
        ({"status": "not_enrolled", "not_enrolled_reason": "bored"}, "not_enrolled_reason", "not one of"),
        ({"project": "bone_mets", "primary_site": "colon"}, "primary_site", "not an MROQC-eligible primary"),
        ({"project": "bone_mets"}, "primary_site", "needs its primary site"),
        ({"project": "skin"}, "project", "not one of"),
        ({"case_id": "  "}, "case_id", "required"),
    ],
)
def test_invalid_case_is_refused_with_the_field_and_nothing_saved(db, changes, field, words) -> None:
    before = audit_count(db)
    with pytest.raises(ValidationFailed) as error:
        cases.save_case(db, new_case(**changes))
    assert words in error.value.problems[field]
    assert audit_count(db) == before


def test_add_correct_and_undo_a_case_keeps_phi_out_of_the_audit(db) -> None:
    cases.save_case(db, new_case(mrn="MRN-1234", name="Sam Synthetic"))
    change = cases.save_case(db, new_case(status="enrolled", enrolled_on=D(2025, 1, 9), mrn="MRN-9999"), original_id="C-1")
    assert cases.get_case(db, "C-1").status == "enrolled"
    undo(db, change)
    restored = cases.get_case(db, "C-1")
    assert (restored.status, restored.enrolled_on, restored.mrn) == ("pending", None, "MRN-1234")
    with db.reader() as s:
        text = " ".join(str(e.before) + str(e.after) for e in s.scalars(select(AuditEntry)))
    assert "MRN-1234" not in text and "MRN-9999" not in text


def test_duplicate_case_id_is_refused(db) -> None:
    cases.save_case(db, new_case())
    with pytest.raises(ValidationFailed, match="already exists"):
        cases.save_case(db, new_case())


def test_bulk_status_change_is_all_or_nothing(db) -> None:
    cases.save_case(db, new_case(case_id="A", eligible_on=D(2025, 1, 1)))
    cases.save_case(db, new_case(case_id="B", eligible_on=D(2025, 3, 1)))
    with pytest.raises(ValidationFailed, match="case B"):
        cases.set_status(db, ["A", "B"], "enrolled", enrolled_on=D(2025, 2, 1))  # before B's eligible date
    with db.reader() as s:
        assert s.scalar(select(func.count()).select_from(Case).where(Case.status == "enrolled")) == 0
    changes = cases.set_status(db, ["A", "B"], "not_enrolled", reason="declined")
    assert cases.get_case(db, "B").status == "not_enrolled"
    for change in changes:
        undo(db, change)
    assert cases.get_case(db, "A").status == "pending"


def test_delete_and_undo_delete(db) -> None:
    cases.save_case(db, new_case())
    change = cases.delete_case(db, "C-1")
    undo(db, change)
    assert cases.get_case(db, "C-1").project == "breast"


def _person(staff_id: str, name: str, profession: str = "radiation_oncologist") -> StaffRecord:
    return StaffRecord(staff_id=staff_id, name=name, profession=profession)


def test_staff_validation_and_role_warnings(db) -> None:
    with pytest.raises(ValidationFailed, match="only a physician"):
        staff.save_staff(db, StaffRecord(staff_id="X", name="X", profession="nurse", physician_title="cmo"))
    staff.save_staff(db, _person("RO1", "Dr. Ada Synthetic"))
    staff.save_staff(db, _person("RO2", "Dr. Ben Synthetic"))
    staff.save_staff(db, _person("PH1", "Cy Physicist", "physicist"))
    staff.save_role(db, "RO1", "clinical_champion", D(2024, 1, 1), D(2025, 7, 10))
    staff.save_role(db, "RO2", "clinical_champion", D(2025, 7, 1), None)
    staff.save_role(db, "PH1", "physics_lead", D(2024, 1, 1), D(2025, 7, 15))
    with pytest.raises(ValidationFailed, match="before the start"):
        staff.save_role(db, "PH1", "cda", D(2025, 1, 1), D(2024, 1, 1))
    warnings = staff.role_warnings(staff.list_roles(db), D(2025, 7, 1), 30)
    assert any("Clinical champion: Dr. Ada Synthetic and Dr. Ben Synthetic overlap" in w for w in warnings)
    assert any(w.startswith("Physics lead: falls vacant after 2025-07-15") for w in warnings)
    assert "Clinical data abstractor: nobody holds this required role on 2025-07-01." in warnings


def test_attendance_rejects_unknown_people_and_duplicates(db) -> None:
    staff.save_staff(db, _person("RO1", "Dr. Ada Synthetic"))
    meetings.save_meeting(db, "M-1", D(2025, 3, 5), "in_person", "Spring meeting")
    meetings.save_attendance(db, "M-1", "clinical_champion", "RO1")
    with pytest.raises(ValidationFailed, match="already recorded"):
        meetings.save_attendance(db, "M-1", "clinical_champion", "RO1")
    with pytest.raises(ValidationFailed, match="no staff member"):
        meetings.save_attendance(db, "M-1", "cda", "NOBODY")
    with pytest.raises(ValidationFailed, match="remove the meeting's attendance first"):
        meetings.delete_meeting(db, "M-1")
    assert [a.name for a in meetings.list_attendance(db, "M-1")] == ["Dr. Ada Synthetic"]


def test_letters_and_pauses(db) -> None:
    with pytest.raises(ValidationFailed, match="due before"):
        letters.save_letter(db, D(2025, 3, 1), "Data request", True, due_on=D(2025, 2, 1))
    letters.save_letter(db, D(2025, 3, 1), "Data request", True)
    with pytest.raises(ValidationFailed, match="already recorded"):
        letters.save_letter(db, D(2025, 3, 1), "Data request", True)
    with pytest.raises(ValidationFailed, match="whole facility"):
        letters.save_absence(db, "enrollment_pause", D(2025, 1, 1), D(2025, 1, 31), True, staff_id="RO1")
    letters.save_absence(db, "enrollment_pause", D(2025, 1, 1), D(2025, 1, 31), True, project="lung")
    assert letters.list_absences(db)[0].name == "Whole facility"


def test_dosimetry_plausibility_and_missing_list(db) -> None:
    staff.save_staff(db, _person("PH1", "Cy Physicist", "physicist"))
    cases.save_case(db, new_case(status="enrolled", enrolled_on=D(2025, 1, 9)))
    cases.save_case(db, new_case(case_id="C-2", status="enrolled", enrolled_on=D(2025, 1, 9)))
    record = DosimetryRecord("C-1", D(2025, 2, 1), "PH1", "IMRT", 60.0, 1)
    with pytest.raises(ValidationFailed, match="per fraction is implausible"):
        dosimetry.save_submission(db, record)
    with pytest.raises(ValidationFailed, match="from 1 to"):
        dosimetry.save_submission(db, DosimetryRecord("C-1", D(2025, 2, 1), "PH1", "IMRT", 50.0, 0))
    dosimetry.save_submission(db, DosimetryRecord("C-1", D(2025, 2, 1), "PH1", "IMRT", 50.0, 25,
                                                  parse_metrics("mean_heart_dose_gy=1.5; lung_v20_pct=12")))
    count, rows = dosimetry.missing_submissions(db, D(2025, 6, 30))
    assert count == 1 and rows[0][0] == "C-2"
    count, rows = dosimetry.missing_submissions(db, D(2025, 1, 31))  # before C-1's submission of Feb 1
    assert count == 2 and [r[0] for r in rows] == ["C-1", "C-2"]
    assert dosimetry.missing_submissions(db, D(2025, 1, 31), limit=1) == (2, rows[:1])  # the count beyond the limit
    assert dosimetry.missing_submissions(db, D(2025, 1, 31), limit=2) == (2, rows)  # all listed: counted from them
    assert dosimetry.missing_submissions(db, D(2025, 1, 31), limit=None) == (2, rows)
    assert dosimetry.list_submissions(db)[0].metrics == {"mean_heart_dose_gy": 1.5, "lung_v20_pct": 12.0}
    with pytest.raises(ValueError, match="not a number"):
        parse_metrics("v20=lots")


def test_a_meeting_id_is_its_own_date_then_b_c() -> None:
    """Issue 25: the ID offered reads as the meeting's date; a second and third that day get -b, -c."""
    import datetime as dt

    from app.services.meetings import meeting_id_for

    day = dt.date(2026, 10, 15)
    assert meeting_id_for(day, set()) == "M-2026-10-15"
    assert meeting_id_for(day, {"M-2026-12-01", "M-2026-10-15"}) == "M-2026-10-15-b"
    assert meeting_id_for(day, {"M-2026-10-15", "M-2026-10-15-b"}) == "M-2026-10-15-c"
