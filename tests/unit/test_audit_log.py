"""Reading the audit log back: filters, paging and readable descriptions."""

from __future__ import annotations

import datetime as dt

from app.domain.permissions import Permission
from app.services import audit_log
from app.services.facility import FacilityDetails, save_facility
from app.storage.models import Case
from tests.support import ADMIN, as_role


def _add_cases(db, n: int, user: str) -> None:
    with as_role(db, "coordinator", user).transaction(Permission.CASES) as session:
        for i in range(n):
            session.add(Case(case_id=f"AUD-{i:03d}", project="breast", eligible_on=dt.date(2025, 1, 2), status="pending"))


def test_filters_by_person_table_and_record(db) -> None:
    before = audit_log.count_entries(db, audit_log.AuditQuery())  # the administrator, the facility
    _add_cases(db, 5, "dana")
    assert audit_log.count_entries(db, audit_log.AuditQuery()) == before + 5
    assert audit_log.count_entries(db, audit_log.AuditQuery(user="dana")) == 5
    assert audit_log.count_entries(db, audit_log.AuditQuery(table="facility")) == 1
    assert audit_log.count_entries(db, audit_log.AuditQuery(record="AUD-003")) == 1
    users, tables = audit_log.filter_choices(db)
    assert users == ["dana", ADMIN] and tables == ["cases", "facility", "facility_certificates", "user_certificates", "users"]


def test_date_filter_is_inclusive_of_the_last_day(db) -> None:
    today = dt.datetime.now(dt.UTC).date()
    everything = audit_log.count_entries(db, audit_log.AuditQuery())
    assert everything and audit_log.count_entries(db, audit_log.AuditQuery(date_from=today, date_to=today)) == everything
    assert audit_log.count_entries(db, audit_log.AuditQuery(date_to=today - dt.timedelta(days=1))) == 0


def test_paging_is_newest_first(db) -> None:
    _add_cases(db, 5, "dana")
    page = audit_log.fetch_entries(db, audit_log.AuditQuery(table="cases"), 0, 2)
    assert [e["record_key"] for e in page] == ["AUD-004", "AUD-003"]


def test_update_reads_as_before_and_after(db) -> None:
    save_facility(db, FacilityDetails(name="Renamed RO", radiation_oncologists=4, joined_on=dt.date(2019, 3, 1),
                                      baseline_year=2019), today=dt.date(2026, 1, 1))
    [latest] = audit_log.fetch_entries(db, audit_log.AuditQuery(table="facility"), 0, 1)
    assert audit_log.describe_change(latest) == "name: Lakeside Cancer Center → Renamed RO"
