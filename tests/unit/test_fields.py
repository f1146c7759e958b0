"""Each record's fields are declared once (``app.domain.fields``): the storage model, the typed
records, the workbook sheets and the patient-identifier set must agree with that declaration."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from sqlalchemy import String

from app.domain import fields, records
from app.domain.fields import PHI_CASE_FIELDS, RECORDS, RecordSpec
from app.storage import audit, server_roles
from app.storage.database import Database
from app.storage.models import Base, Case
from app.workbook.schema import SHEETS, SPECS

RECORD_TABLES = sorted(RECORDS.items())


@pytest.mark.parametrize(("table", "record"), RECORD_TABLES, ids=[t for t, _ in RECORD_TABLES])
def test_every_field_is_a_column_of_its_table_with_the_declared_length(table: str, record: RecordSpec) -> None:
    """The model's ``String(n)`` is the field's max length; free text (``Text``) has none."""
    columns = Base.metadata.tables[table].c
    for f in record:
        assert f.key in columns, f"{table}.{f.key} is declared but not stored"
        length = getattr(columns[f.key].type, "length", None)
        if f.kind in ("text", "id", "choice"):
            assert isinstance(columns[f.key].type, String)
            assert f.max_length == length, f"{table}.{f.key}: declared {f.max_length}, stored String({length})"
        else:
            assert f.max_length is None


@pytest.mark.parametrize(("table", "record"), RECORD_TABLES, ids=[t for t, _ in RECORD_TABLES])
def test_every_choice_fits_its_column_and_a_required_field_is_never_null(table: str, record: RecordSpec) -> None:
    columns = Base.metadata.tables[table].c
    for f in record:
        if f.choices:
            assert max(len(c) for c in f.choices) <= (f.max_length or 0), f"{table}.{f.key}: a choice is too long"
        if f.required:
            assert not columns[f.key].nullable, f"{table}.{f.key} is required but may be stored empty"


def test_each_sheet_has_the_columns_its_record_declares() -> None:
    for sheet in SHEETS:
        record = RECORDS[sheet.table]
        assert tuple(c.name for c in sheet.columns) == record.keys
        for column in sheet.columns:
            f = record[column.name]
            assert column.required == f.required
            assert column.phi == f.identifies_patient
            assert column.choices == (() if f.open_choices else f.choices)
            assert column.past == f.past
            if f.max_length:
                assert column.max_length == f.max_length


def test_the_workbook_keeps_its_kinds_and_ranges() -> None:
    """Unchanged from the hand-written sheets: a technique and a primary site are free text in
    the workbook (the forms offer a list), a year keeps its bounds."""
    assert SPECS["dosimetry"].column("technique").kind == "text"
    assert SPECS["cases"].column("primary_site").kind == "text"
    assert SPECS["cases"].column("project").kind == "enum"
    assert SPECS["cases"].column("note").max_length == 4000
    year = SPECS["program_years"].column("year")
    assert (year.kind, year.low, year.high) == ("year", 1990, 2100)
    assert SPECS["staff"].column("staff_id").kind == "id"


@pytest.mark.parametrize(("record_type", "spec"), [(records.StaffRecord, fields.STAFF), (records.CaseRecord, fields.CASE),
                                                     (records.DosimetryRecord, fields.DOSIMETRY)])
def test_the_typed_records_have_the_declared_fields(record_type: type, spec: RecordSpec) -> None:
    names = [f.name for f in dataclasses.fields(record_type) if f.name != "version"]
    assert sorted(names) == sorted(spec.keys)


def test_a_staff_row_is_the_declared_fields_in_order() -> None:
    person = records.StaffRecord("RO-01", "Dr. A", "radiation_oncologist", pgip_member_since=dt.date(2024, 1, 1))
    assert tuple(person.row()) == fields.STAFF.keys
    assert person.row()["pgip_member_since"] == dt.date(2024, 1, 1)


# ---- the patient identifiers: one list ------------------------------------------------------------

def test_the_patient_identifiers_are_the_case_fields_marked_so() -> None:
    assert PHI_CASE_FIELDS == ("mrn", "name", "birth_date")
    assert all(not r.patient_identifiers for r in RECORDS.values() if r is not fields.CASE)


def test_storage_defers_exactly_the_patient_identifiers() -> None:
    deferred = {c.key for c in Case.__mapper__.column_attrs if c.deferred and c.group == "phi"}
    assert deferred == set(PHI_CASE_FIELDS)


def test_the_audit_log_and_the_shared_database_hide_exactly_the_patient_identifiers() -> None:
    assert {"cases": frozenset(PHI_CASE_FIELDS)} == audit.PHI_COLUMNS
    assert {t: set(c) for t, c in server_roles.PHI_COLUMNS.items()} == {"cases": set(PHI_CASE_FIELDS)}


def test_the_workbook_marks_exactly_the_patient_identifiers() -> None:
    marked = {(s.name, c.name) for s in SHEETS for c in s.columns if c.phi}
    assert marked == {("cases", key) for key in PHI_CASE_FIELDS}


def test_exports_leave_out_exactly_the_patient_identifiers_unless_asked(db: Database) -> None:
    from app.exports.submissions import Period, enrollment_sheet
    from app.workbook.exporter import workbook_sheets

    def cases_headers(identified: bool) -> list[str]:
        return next(list(s.headers) for s in workbook_sheets(db, identified) if s.name == "cases")

    assert [h for h in cases_headers(True) if h not in cases_headers(False)] == list(PHI_CASE_FIELDS)
    period = Period.of(None, dt.date(2025, 1, 1))
    plain, identified = enrollment_sheet(db, period).headers, enrollment_sheet(db, period, identified=True).headers
    assert [h for h in identified if h not in plain] == list(PHI_CASE_FIELDS)


# ---- what the declarations alone say is wrong ----------------------------------------------------

def test_required_and_choices_come_from_the_declarations_in_the_old_words_and_order() -> None:
    person = records.StaffRecord(" ", "", "wizard", physician_title="cmo", email="nobody")
    assert records.validate_staff(person) == {
        "staff_id": "required", "name": "required",
        "profession": f"'wizard' is not one of: {', '.join(fields.STAFF['profession'].choices)}",
        "physician_title": "only a physician has a physician title", "email": "not an e-mail address",
    }
    assert list(records.validate_meeting("", None, "")) == ["meeting_id", "date", "format"]
    assert records.validate_meeting("M-1", dt.date(2025, 1, 1), "in_person") == {}
    assert records.validate_attendance("attendee", " ", "nope") == {
        "staff_id": "required", "ce_credit": f"'nope' is not one of: {', '.join(fields.ATTENDANCE['ce_credit'].choices)}"}
    assert records.validate_letter(None, " ", None, None) == {"received_on": "required", "subject": "required"}
    payers = ", ".join(fields.CASE["payer"].choices)
    assert records.validate_case(records.CaseRecord("", "", None, status="", payer="x")) == {
        "case_id": "required", "project": "required", "status": "required",
        "payer": f"'x' is not one of: {payers}", "eligible_on": "required"}
    assert list(records.validate_dosimetry(records.DosimetryRecord("", None, "", "", None, None))) == [
        "case_id", "staff_id", "technique", "submitted_on", "total_dose_gy", "fractions"]
    assert "technique" not in records.validate_dosimetry(records.DosimetryRecord("C", None, "S", "Any words", 1, 1))


def test_the_data_quality_identifiers_are_patient_identifiers() -> None:
    from app.services.quality import IDENTIFYING

    assert set(IDENTIFYING) <= set(PHI_CASE_FIELDS)


def test_the_facility_keys_are_the_facility_fields() -> None:
    from app.workbook.schema import FACILITY_KEYS

    assert tuple(c.name for c in FACILITY_KEYS) == fields.FACILITY.keys
    oncologists = next(c for c in FACILITY_KEYS if c.name == "radiation_oncologists")
    assert (oncologists.low, oncologists.high) == (0, 500)
    assert next(c for c in FACILITY_KEYS if c.name == "kind").max_length == 20
