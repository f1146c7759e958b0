"""The data-entry log (abstraction, PRO and follow-up sessions, which QIP-DATA-LAG reads) and
what the consortium decided about each program year (performance targets met, which CQI VBR
needs): the same records a workbook import writes, entered from the window."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select

from app.domain.permissions import Permission
from app.domain.vocabulary import DATA_ENTRY_KINDS, label
from app.services.editing import Change, delete_one, put, put_numbered, require_valid
from app.storage.database import Database
from app.storage.models import Case, DataEntry, ProgramYear, Staff

#: A program year outside these is a typing mistake (MROQC began in 2010).
FIRST_PROGRAM_YEAR, LAST_PROGRAM_YEAR = 2000, 2100


@dataclass(frozen=True)
class DataEntryRow:
    id: int
    date: dt.date
    kind: str
    case_id: str | None
    staff_id: str | None
    staff_name: str | None
    version: int = 1


def list_data_entries(db: Database) -> list[DataEntryRow]:
    # the columns, not the mapped objects: tens of thousands of sessions, read for a list (seconds saved)
    stmt = (select(DataEntry.id, DataEntry.date, DataEntry.kind, DataEntry.case_id, DataEntry.staff_id, Staff.name,
                   DataEntry.version)
            .outerjoin(Staff, Staff.staff_id == DataEntry.staff_id)
            .order_by(DataEntry.date.desc(), DataEntry.id.desc()))
    with db.reader() as session:
        return [DataEntryRow(*row) for row in session.execute(stmt)]


def validate_data_entry(day: dt.date | None, kind: str | None) -> dict[str, str]:
    problems = {}
    if day is None:
        problems["date"] = "the day of the session is needed"
    if kind not in DATA_ENTRY_KINDS:
        problems["kind"] = f"choose one of: {', '.join(label(k) for k in DATA_ENTRY_KINDS)}"
    return problems


def save_data_entry(db: Database, day: dt.date | None, kind: str | None, case_id: str | None = None,
                    staff_id: str | None = None, *, entry_id: int | None = None, version: int | None = None,
                    overwrite: bool = False) -> Change:
    case_id, staff_id = (case_id or "").strip() or None, staff_id or None
    require_valid(validate_data_entry(day, kind), "data-entry session")
    with db.transaction(Permission.CASES) as session:
        problems = {}
        if case_id and session.get(Case, case_id) is None:
            problems["case_id"] = f"there is no case {case_id}"
        if staff_id and session.get(Staff, staff_id) is None:
            problems["staff_id"] = f"there is no staff member {staff_id}"
        require_valid(problems, "data-entry session")
        change = put_numbered(session, DataEntry, entry_id,
                              {"date": day, "kind": kind, "case_id": case_id, "staff_id": staff_id},
                              version=version, overwrite=overwrite, what="data-entry session",
                              description=f"{label(kind)} session of {day.isoformat()} saved")  # type: ignore[union-attr]
    return change


def delete_data_entry(db: Database, entry_id: int, *, version: int | None = None) -> Change:
    return delete_one(db, Permission.CASES, DataEntry, (entry_id,), "data-entry session",
                      "Data-entry session deleted", version=version)


@dataclass(frozen=True)
class ProgramYearRow:
    year: int
    performance_targets_met: bool
    version: int = 1


def list_program_years(db: Database) -> list[ProgramYearRow]:
    with db.reader() as session:
        return [ProgramYearRow(p.year, p.performance_targets_met, p.version)
                for p in session.scalars(select(ProgramYear).order_by(ProgramYear.year.desc()))]


def validate_program_year(year: int | None) -> dict[str, str]:
    if year is None or not FIRST_PROGRAM_YEAR <= year <= LAST_PROGRAM_YEAR:
        return {"year": f"a program year between {FIRST_PROGRAM_YEAR} and {LAST_PROGRAM_YEAR}"}
    return {}


def save_program_year(db: Database, year: int | None, performance_targets_met: bool, *, original_year: int | None = None,
                      version: int | None = None, overwrite: bool = False) -> Change:
    require_valid(validate_program_year(year), "program year")
    with db.transaction(Permission.PROGRAM_YEARS) as session:
        if original_year is None and session.get(ProgramYear, year) is not None:
            require_valid({"year": f"{year} is already listed; edit it instead"}, "program year")
        obj, before = put(session, ProgramYear, (year,), {"year": year, "performance_targets_met": performance_targets_met},
                          version=version, overwrite=overwrite, what="program year")
        after = obj.version
    met = "met" if performance_targets_met else "not met"
    return Change(ProgramYear, (year,), before, f"Program year {year}: performance targets {met}", after)


def delete_program_year(db: Database, year: int, *, version: int | None = None) -> Change:
    return delete_one(db, Permission.PROGRAM_YEARS, ProgramYear, (year,), "program year",
                      f"Program year {year} deleted", version=version)
