"""The enrollment register: filter, sort and page the cases in SQL, never in Python lists.

A 200,000-case register is read a page at a time: the view asks for the rows it shows, the
count comes from ``count(*)`` over the same filter. Patient identifiers are never searched or
shown here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select

from app.storage.database import Database
from app.storage.models import Case

#: (key, header) in display order.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("case_id", "Case ID"),
    ("project", "Project"),
    ("primary_site", "Primary site"),
    ("eligible_on", "Eligible on"),
    ("status", "Status"),
    ("enrolled_on", "Enrolled on"),
    ("not_enrolled_reason", "Not-enrolled reason"),
    ("payer", "Payer"),
)
SORTABLE = {key: getattr(Case, key) for key, _ in COLUMNS}


@dataclass(frozen=True)
class RegisterQuery:
    search: str = ""
    projects: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    eligible_from: dt.date | None = None
    eligible_to: dt.date | None = None
    sort_column: str = "eligible_on"
    descending: bool = True
    #: only these cases (a finding's list, "show all these cases in the register"); empty: any
    case_ids: tuple[str, ...] = ()


def _filtered(query: RegisterQuery, stmt: Select, dialect: str) -> Select:
    text = query.search.strip()
    if text:
        # SQLite's LIKE ignores ASCII case already; lower() would defeat its fast path.
        match = Case.case_id.contains(text, autoescape=True) if dialect == "sqlite" else Case.case_id.icontains(
            text, autoescape=True)
        stmt = stmt.where(match)
    if query.projects:
        stmt = stmt.where(Case.project.in_(query.projects))
    if query.statuses:
        stmt = stmt.where(Case.status.in_(query.statuses))
    if query.eligible_from:
        stmt = stmt.where(Case.eligible_on >= query.eligible_from)
    if query.eligible_to:
        stmt = stmt.where(Case.eligible_on <= query.eligible_to)
    if query.case_ids:
        stmt = stmt.where(Case.case_id.in_(query.case_ids))
    return stmt


def count_cases(db: Database, query: RegisterQuery) -> int:
    stmt = _filtered(query, select(func.count()).select_from(Case), db.engine.dialect.name)
    with db.engine.connect() as conn:
        return conn.scalar(stmt) or 0


def fetch_page(
    db: Database, query: RegisterQuery, offset: int, limit: int, total: int | None = None
) -> list[tuple[Any, ...]]:
    """Rows ``offset`` to ``offset + limit`` in the query's order: the ``COLUMNS`` values, then the
    case's version (not shown; see ``app.services.editing``).

    With ``total`` known, a page in the second half is read from the other end in reverse
    order: OFFSET costs a walk over the skipped rows, so the last page is as cheap as the first.
    """
    if query.sort_column not in SORTABLE:
        raise ValueError(f"Cannot sort by {query.sort_column!r}.")
    column = SORTABLE[query.sort_column]
    descending = query.descending
    reverse = total is not None and offset > total // 2
    if reverse:
        end = min(offset + limit, total)
        offset, limit, descending = total - end, end - offset, not descending
    order = [column.desc(), Case.case_id.desc()] if descending else [column.asc(), Case.case_id.asc()]
    # Flipping both keys is an exact reversal: each database puts NULLs at one fixed end.
    # the version rides along, last: a save or bulk change from the register passes what it showed
    stmt = _filtered(query, select(*SORTABLE.values(), Case.version), db.engine.dialect.name).order_by(*order)
    with db.engine.connect() as conn:
        rows = [tuple(row) for row in conn.execute(stmt.offset(offset).limit(limit))]
    return rows[::-1] if reverse else rows
