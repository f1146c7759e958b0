"""The data-entry log (abstraction, PRO and follow-up sessions, which QIP-DATA-LAG reads) and
what the consortium decided about each program year (performance targets met, which CQI VBR
needs): the same records a workbook import writes, entered from the window."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Connection, Select, String, case, cast, func, or_, select

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


def _columns() -> Select:
    # the columns, not the mapped objects: tens of thousands of sessions, read for a list (seconds saved)
    return (select(DataEntry.id, DataEntry.date, DataEntry.kind, DataEntry.case_id, DataEntry.staff_id, Staff.name,
                   DataEntry.version)
            .outerjoin(Staff, Staff.staff_id == DataEntry.staff_id))


def list_data_entries(db: Database) -> list[DataEntryRow]:
    """Every session, newest first (what a workbook or a check reads; the window's list reads a
    page at a time: ``data_entry_page``)."""
    with db.reader() as session:
        return [DataEntryRow(*row) for row in
                session.execute(_columns().order_by(DataEntry.date.desc(), DataEntry.id.desc()))]


# --- the sessions list, a page at a time (issue 28) ----------------------------------------------
# Half a million sessions at 200,000 cases: the window counts them and reads the page it shows,
# sorted and filtered here in SQL, as the enrollment register reads its cases.

#: Characters of the filter text looked for (a case ID is at most 64; see ``register.MAX_SEARCH_CHARS``).
MAX_SEARCH_CHARS = 200


@dataclass(frozen=True)
class DataEntryQuery:
    """Which sessions the list shows and in what order. ``search``: the text typed in the filter,
    found in the case ID, the kind (in words), who logged it (name or staff ID) or the date
    written as ISO (``2025-06``); ``on``: the day a typed whole date names, in whatever format the
    facility shows dates. ``sort_column``: a key of ``DATA_ENTRY_SORTS``."""

    search: str = ""
    on: dt.date | None = None
    sort_column: str = "date"
    descending: bool = True


def _kind_order() -> ColumnElement:
    """The kind as the list shows it, for sorting: its words' order, not its code's."""
    ranks = {kind: n for n, kind in enumerate(sorted(DATA_ENTRY_KINDS, key=lambda k: label(k).casefold()))}
    return case(ranks, value=DataEntry.kind, else_=len(ranks))


#: What the list sorts by, per column key; a column that may be blank keeps its blanks last.
DATA_ENTRY_SORTS: dict[str, tuple[ColumnElement, bool]] = {
    "date": (DataEntry.date, False),
    "kind": (_kind_order(), False),
    "case_id": (DataEntry.case_id, True),
    "staff_name": (func.lower(Staff.name), True),
}


def _contains(column: ColumnElement, text: str, dialect: str) -> ColumnElement[bool]:
    # SQLite's LIKE ignores ASCII case already; lower() would defeat its fast path
    return column.contains(text, autoescape=True) if dialect == "sqlite" else column.icontains(text, autoescape=True)


def _search_text(query: DataEntryQuery) -> str:
    return query.search.strip()[:MAX_SEARCH_CHARS].rstrip()


def _people(conn: Connection, query: DataEntryQuery) -> list[str]:
    """The staff whose name or ID holds the filter text: looked up in their small table first, so
    the sessions are matched against a short list (or, when nobody matches, not at all) instead of
    a subquery probed for each of half a million rows."""
    text = _search_text(query)
    if not text:
        return []
    dialect = conn.dialect.name
    return list(conn.scalars(select(Staff.staff_id).where(or_(_contains(Staff.name, text, dialect),
                                                              _contains(Staff.staff_id, text, dialect)))))


def _matching(query: DataEntryQuery, stmt: Select, dialect: str, people: list[str]) -> Select:
    """``stmt`` narrowed to the sessions ``query`` finds (``people``: ``_people``'s staff IDs)."""
    text = _search_text(query)
    if not text and query.on is None:
        return stmt
    found: list[ColumnElement[bool]] = []
    if query.on is not None:
        found.append(DataEntry.date == query.on)
    if text:
        words = text.casefold()
        found.append(_contains(DataEntry.case_id, text, dialect))
        kinds = [k for k in DATA_ENTRY_KINDS if words in label(k).casefold() or words in k]
        if kinds:
            found.append(DataEntry.kind.in_(kinds))
        if people:
            found.append(DataEntry.staff_id.in_(people))
        # a date as ISO text: a year, or a part with its dash (2025-06, -06-1); "12" alone would
        # match most dates, and checking every date costs a third of the count
        if all(c.isdigit() or c == "-" for c in text) and ("-" in text or len(text) == 4):
            found.append(_contains(cast(DataEntry.date, String), text, dialect))
    return stmt.where(or_(*found))


def count_data_entries(db: Database, query: DataEntryQuery = DataEntryQuery()) -> int:  # noqa: B008 (frozen)
    """How many sessions ``query`` lists (the list's row count)."""
    with db.engine.connect() as conn:
        stmt = _matching(query, select(func.count()).select_from(DataEntry), conn.dialect.name, _people(conn, query))
        return conn.scalar(stmt) or 0


def data_entry_page(db: Database, query: DataEntryQuery, offset: int, limit: int,
                    total: int | None = None) -> list[DataEntryRow]:
    """Sessions ``offset`` to ``offset + limit`` in the query's order (ties by the session's ID,
    blanks last in either order). With ``total`` known, a page in the second half is read from
    the other end in reverse (``register.fetch_page``'s way): the oldest page is as cheap as the
    newest."""
    if query.sort_column not in DATA_ENTRY_SORTS:
        raise ValueError(f"Cannot sort the data-entry sessions by {query.sort_column!r}.")
    column, nullable = DATA_ENTRY_SORTS[query.sort_column]
    descending = query.descending
    reverse = total is not None and offset > total // 2
    if reverse:
        assert total is not None
        end = min(offset + limit, total)
        offset, limit, descending = total - end, end - offset, not descending
    order = [column.desc(), DataEntry.id.desc()] if descending else [column.asc(), DataEntry.id.asc()]
    # blanks last (read in reverse: first). SQLite puts NULL first ascending and last descending:
    # where that is the place wanted, no key is added, so the column's index (the case's) orders
    # the page instead of a sort of every session; another database is told where, always.
    native = db.engine.dialect.name == "sqlite" and reverse == (not descending)
    if nullable and not native:
        order.insert(0, column.is_(None).desc() if reverse else column.is_(None).asc())
    # the page's IDs first, from the narrowest reading of the order (the date's index alone: a page
    # half a million sessions in takes 2 ms, not 140, when the sessions skipped are not joined and
    # read), then those sessions
    ids = select(DataEntry.id).select_from(DataEntry)
    if query.sort_column == "staff_name":
        ids = ids.outerjoin(Staff, Staff.staff_id == DataEntry.staff_id)
    with db.engine.connect() as conn:
        ids = _matching(query, ids, conn.dialect.name, _people(conn, query))
        chosen = list(conn.scalars(ids.order_by(*order).offset(offset).limit(limit)))
        found = {row.id: DataEntryRow(*row) for row in conn.execute(_columns().where(DataEntry.id.in_(chosen)))}
    rows = [found[i] for i in chosen if i in found]
    return rows[::-1] if reverse else rows


def data_entry_position(db: Database, query: DataEntryQuery, entry_id: int) -> int | None:
    """Where session ``entry_id`` is in the list ``query`` gives (its row), None when the query
    does not list it: a session just added or edited, selected wherever it sorts. The list sorted
    by date counts along the date index; another order counts over the list once."""
    column, nullable = DATA_ENTRY_SORTS.get(query.sort_column, DATA_ENTRY_SORTS["date"])
    with db.engine.connect() as conn:
        people = _people(conn, query)
        mine = conn.execute(_matching(query, _columns().add_columns(column.label("sort_value")),
                                      conn.dialect.name, people).where(DataEntry.id == entry_id)).first()
        if mine is None:
            return None
        value = mine.sort_value
        if value is None:
            # a blank sorts after every value: before it, every non-blank and the blanks before it
            before = or_(column.is_not(None), DataEntry.id > entry_id if query.descending else DataEntry.id < entry_id)
        elif query.descending:
            before = or_(column > value, (column == value) & (DataEntry.id > entry_id))
        else:
            before = or_(column < value, (column == value) & (DataEntry.id < entry_id))
        if value is not None and nullable:
            before = before & column.is_not(None)
        counted = select(func.count()).select_from(DataEntry)
        if query.sort_column == "staff_name":
            counted = counted.outerjoin(Staff, Staff.staff_id == DataEntry.staff_id)
        return conn.scalar(_matching(query, counted, conn.dialect.name, people).where(before)) or 0


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
