"""The enrollment register: filter, sort and page the cases in SQL, never in Python lists.

A 200,000-case register is read a page at a time: the view asks for the rows it shows, the
count comes from ``count(*)`` over the same filter. Patient identifiers are never searched or
shown here. The search text is cut to ``MAX_SEARCH_CHARS`` (case IDs are at most 64): a pasted
page of text is not a LIKE pattern SQLite refuses as too complex.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Column,
    ColumnElement,
    Select,
    and_,
    case,
    func,
    literal_column,
    null,
    or_,
    select,
    table,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import undefer_group
from sqlalchemy.sql.visitors import InternalTraversal, replacement_traverse

from app.domain.fields import CASE
from app.services import case_state
from app.services.case_state import (
    missing_dosimetry_sql,
    not_enrolled_unexplained_sql,
    pending_past_window_sql,
)
from app.services.cases import may_see_identifiers
from app.services.facility import get_facility
from app.storage import case_search
from app.storage.database import Database
from app.storage.models import Case

#: The case fields the register lists, in display order (never a patient identifier).
REGISTER_FIELDS: tuple[str, ...] = ("case_id", "project", "primary_site", "eligible_on", "status", "enrolled_on",
                                    "not_enrolled_reason", "payer")
#: (key, header) in display order: each header the case field's list heading (``app.domain.fields.CASE``:
#: its ``heading`` where one is declared, else its label without the Alt+letter).
COLUMNS: tuple[tuple[str, str], ...] = tuple((key, CASE[key].column_heading) for key in REGISTER_FIELDS)
SORTABLE = {key: getattr(Case, key) for key, _ in COLUMNS}

#: The register's status flag (one at most per case: each needs a different status), in words.
FLAGS: dict[str, str] = {
    "pending_past_window": "Pending past the decision window",
    "reason_not_accepted": "Not enrolled, reason not accepted",
    "missing_dosimetry": "No dosimetry submission",
}
#: Projects whose enrolled cases need a dosimetry submission (the Dosimetry screen's list too).
DOSIMETRY_PROJECTS = case_state.DOSIMETRY_PROJECTS


@dataclass(frozen=True)
class FlagPolicy:
    """What the flags are judged by: the as-of date and the policy's decision window and accepted
    reasons (``flag_policy`` reads them from the policy file of the facility's program year)."""

    as_of: dt.date
    decision_days: int
    accepted_reasons: tuple[str, ...]


def flag_policy(db: Database, as_of: dt.date) -> FlagPolicy | None:
    """The flags' policy at ``as_of``; None without a facility (no flags then)."""
    from app.services.evaluations import in_force_at

    facility = get_facility(db)
    if facility is None:
        return None
    policy = in_force_at(db, as_of).policy  # the window's, when it keeps the evaluation of that date
    return FlagPolicy(as_of, policy.selective_decision_days, policy.accepted_reasons)


def flag_conditions(p: FlagPolicy) -> dict[str, ColumnElement[bool]]:
    """Each flag as a SQL condition at the as-of date (a case's status as it stood then), each
    held to its Python reference in ``app.services.case_state``."""
    return {
        "pending_past_window": pending_past_window_sql(p.as_of, p.decision_days),
        "reason_not_accepted": not_enrolled_unexplained_sql(p.accepted_reasons),
        "missing_dosimetry": missing_dosimetry_sql(p.as_of),
    }


def flag_column(p: FlagPolicy | None) -> ColumnElement:
    """The flag's key per row (NULL: none), computed by the database for the rows of a page."""
    if p is None:
        return null()
    return case(*[(condition, key) for key, condition in flag_conditions(p).items()], else_=None)


#: Characters of the search text that are looked for, the rest ignored. No case ID is longer than
#: its column (64), so every case the whole text is part of is still found; a longer text would
#: reach SQLite's LIKE, which refuses a pattern of 50,000 bytes ("LIKE or GLOB pattern too complex").
MAX_SEARCH_CHARS = 200


#: The trigram index of the case IDs (SQLite, migration 0016): each ID's every three characters.
CASE_ID_SEARCH = table(case_search.TABLE, Column("case_id"))
#: Characters of a search text from which the trigram index can find its candidates; a shorter
#: text matches a good part of the register anyway, and is looked for in every case ID.
TRIGRAM = 3
#: Candidates up to which a count reads them from the trigram index (about 3 µs apiece, encrypted)
#: rather than every case ID (about 0.1 µs apiece: 95 ms at a million cases).
COUNT_FROM_INDEX_UP_TO = 20_000
#: Candidates up to which a page (or Ctrl+K's list) is read from them, each case fetched and the few
#: sorted (about 6 µs apiece), rather than along the sort's index, ``LIKE`` tested on each entry until
#: the page is full: beyond it one ID in 500 or more matches and a page of 500 is met within the
#: first quarter of a million entries; below it a text matching few or no cases would walk them all.
PAGE_FROM_INDEX_UP_TO = 2_000


def _matching(text: str) -> ColumnElement[bool]:
    """The trigram index's entries holding ``text``: the text as one phrase, quoted, its own
    quotes doubled (a ``LIKE`` on the index would not use it with an ``ESCAPE``)."""
    return literal_column(case_search.TABLE).op("MATCH")('"' + text.replace('"', '""') + '"')


def trigram_candidates(db: Database, text: str, up_to: int) -> int | None:
    """How many case IDs the trigram index offers for ``text``, counted up to ``up_to`` + 1 and no
    further (a few ms whatever the count); None where the index cannot answer (PostgreSQL, a
    text shorter than ``TRIGRAM``)."""
    if not db.is_sqlite or len(text) < TRIGRAM:
        return None
    offered = select(literal_column("1")).select_from(CASE_ID_SEARCH).where(_matching(text)).limit(up_to + 1)
    with db.engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(offered.subquery())) or 0)


def case_id_contains(text: str, dialect: str, *, from_index: bool = False) -> ColumnElement[bool]:
    """Cases whose ID holds ``text``, in any case of ASCII letters (the register's and Ctrl+K's
    text filter; ``text`` already cut to ``MAX_SEARCH_CHARS``).

    ``LIKE`` decides, as it always did. ``from_index`` (SQLite, a text of ``TRIGRAM`` characters or
    more; ``index_answers`` says when) first finds the candidates in ``case_id_search``, the text as
    a phrase: the index folds case beyond ASCII, so they include every case the ``LIKE``
    matches, and only they are read. PostgreSQL's ``ILIKE`` reads the register's indexes."""
    if dialect != "sqlite":
        return Case.case_id.icontains(text, autoescape=True)
    # SQLite's LIKE ignores ASCII case already; lower() would defeat its fast path.
    like = Case.case_id.contains(text, autoescape=True)
    if not from_index:
        return like
    candidates = select(CASE_ID_SEARCH.c.case_id).where(_matching(text))
    return and_(Case.case_id.in_(candidates), like)


def _search_text(query: RegisterQuery) -> str:
    return query.search.strip()[:MAX_SEARCH_CHARS].rstrip()


def index_answers(db: Database, text: str, up_to: int, *, matched: int | None = None) -> bool:
    """Whether the cases whose ID holds ``text`` are best found from the trigram index: it can
    answer, and it offers no more than ``up_to`` candidates. ``matched``: the cases already known
    to match (a page's ``total``): more than ``up_to`` of them, and the candidates are too."""
    if not text or (matched is not None and matched > up_to):
        return False
    offered = trigram_candidates(db, text, up_to)
    return offered is not None and offered <= up_to


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
    #: what the flag column is judged by (None: no flags); ``flags``: only cases with one of these
    flag_policy: FlagPolicy | None = None
    flags: tuple[str, ...] = ()
    #: only cases enrolled on these dates (the Dashboard chart's bar: a project's month); None: any
    enrolled_from: dt.date | None = None
    enrolled_to: dt.date | None = None


#: Cases a flag filter matches above which a page is read along its sort order's index, the flag
#: checked on each row read (``_unindexed``). Below it the flag's own index finds its cases, which are
#: then sorted: each is read from wherever it lies in the file, about 10 µs apiece encrypted, so
#: 20,000 of them cost some 200 ms; above it, one case in 50 or more matches, and a page of 500 is
#: met within the first 25,000 entries of the sort's index, most of them tested on the index alone.
WALK_AFTER = 20_000


class _Unindexed(ColumnElement[Any]):
    """A column SQLite may not search an index by (``+column``, its documented way): the flag's
    terms then filter the rows of the sort's index walk instead of choosing another index."""

    inherit_cache = True
    _traverse_internals = [("column", InternalTraversal.dp_clauseelement)]

    def __init__(self, column: ColumnElement[Any]) -> None:
        self.column = column
        self.type = column.type


@compiles(_Unindexed)
def _as_column(element: _Unindexed, compiler: Any, **kw: Any) -> str:
    return str(compiler.process(element.column, **kw))


@compiles(_Unindexed, "sqlite")
def _as_unindexed(element: _Unindexed, compiler: Any, **kw: Any) -> str:
    return "+" + str(compiler.process(element.column, **kw))


def _unindexed(condition: ColumnElement[bool]) -> ColumnElement[bool]:
    """``condition`` with each of its case columns ``_Unindexed`` (the same rows)."""
    table = Case.__table__

    def replace(element: Any) -> Any:
        if isinstance(element, Column) and element.table is table:
            return _Unindexed(element)
        return None

    return replacement_traverse(condition, {}, replace)  # type: ignore[no-any-return]


def _filtered(query: RegisterQuery, stmt: Select, dialect: str, *, walk: bool = False,
              from_index: bool = False) -> Select:
    text = _search_text(query)
    if text:
        stmt = stmt.where(case_id_contains(text, dialect, from_index=from_index))
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
    if query.enrolled_from:
        stmt = stmt.where(Case.enrolled_on >= query.enrolled_from)
    if query.enrolled_to:
        stmt = stmt.where(Case.enrolled_on <= query.enrolled_to)
    if query.flags and query.flag_policy is not None:
        conditions = flag_conditions(query.flag_policy)
        flagged = or_(*[conditions[f] for f in query.flags])
        stmt = stmt.where(_unindexed(flagged) if walk else flagged)
    return stmt


def count_cases(db: Database, query: RegisterQuery) -> int:
    stmt = _filtered(query, select(func.count()).select_from(Case), db.engine.dialect.name,
                     from_index=index_answers(db, _search_text(query), COUNT_FROM_INDEX_UP_TO))
    with db.engine.connect() as conn:
        return conn.scalar(stmt) or 0


def order_by(sort_column: str, descending: bool, *, reverse: bool = False) -> list[ColumnElement[Any]]:
    """The register's ORDER BY: blanks last in either order (read in reverse: first), then the
    column, then the case ID; ``app.storage.models.sort_key`` indexes each column so.

    Flipping every key is an exact reversal; the blanks' key is first, so NULLs never depend on
    where a database puts them."""
    column = SORTABLE[sort_column]
    order = [column.desc(), Case.case_id.desc()] if descending else [column.asc(), Case.case_id.asc()]
    if column.property.columns[0].nullable:
        order.insert(0, column.is_(None).desc() if reverse else column.is_(None).asc())
    return order


def fetch_page(
    db: Database, query: RegisterQuery, offset: int, limit: int, total: int | None = None
) -> list[tuple[Any, ...]]:
    """Rows ``offset`` to ``offset + limit`` in the query's order: the ``COLUMNS`` values, then the
    case's version (not shown; see ``app.services.editing``), then its flag (a ``FLAGS`` key or None).

    With ``total`` known, a page in the second half is read from the other end in reverse
    order: OFFSET costs a walk over the skipped rows, so the last page is as cheap as the first.

    Each sortable column has an index in this order (``app.storage.models.sort_key``), so a page is
    read along it. A flag filter matching more than ``WALK_AFTER`` cases (``total``, else counted:
    a range of the flag's index) is checked on the rows of that walk, not used to find its cases
    first: SQLite's planner would read all of them from the flag's index and sort them.
    """
    if query.sort_column not in SORTABLE:
        raise ValueError(f"Cannot sort by {query.sort_column!r}.")
    descending = query.descending
    reverse = total is not None and offset > total // 2
    if reverse:
        end = min(offset + limit, total)
        offset, limit, descending = total - end, end - offset, not descending
    order = order_by(query.sort_column, descending, reverse=reverse)
    # the version rides along, last: a save or bulk change from the register passes what it showed
    walk = (bool(query.flags) and query.flag_policy is not None and db.is_sqlite
            and (total if total is not None else count_cases(db, query)) > WALK_AFTER)
    stmt = _filtered(query, select(*SORTABLE.values(), Case.version, flag_column(query.flag_policy)),
                     db.engine.dialect.name, walk=walk,
                     from_index=index_answers(db, _search_text(query), PAGE_FROM_INDEX_UP_TO, matched=total)
                     ).order_by(*order)
    with db.engine.connect() as conn:
        rows = [tuple(row) for row in conn.execute(stmt.offset(offset).limit(limit))]
    return rows[::-1] if reverse else rows


# --- finding one case from anywhere (Ctrl+K) -----------------------------------------------------

#: Cases a search lists at most: it finds one case, it does not replace the register's filters.
FIND_LIMIT = 20
#: Characters of a name before it is looked for: a name has no index, so each word scans the
#: register once; one or two letters would match most of it and tell nobody anything.
NAME_MIN_CHARS = 3


@dataclass(frozen=True)
class CaseHit:
    """A case a search found and what it was found by (``case_id``, ``mrn`` or ``name``). The MRN
    and name are filled only when asked for by a person who may see them (``revealed``); the
    register never shows them otherwise."""

    case_id: str
    project: str
    primary_site: str | None
    eligible_on: dt.date
    status: str
    found_by: str
    mrn: str | None = None
    name: str | None = None

    @property
    def revealed(self) -> bool:
        return self.mrn is not None or self.name is not None


def find_cases(db: Database, text: str, *, reveal: bool = False, limit: int = FIND_LIMIT) -> list[CaseHit]:
    """The cases whose ID holds ``text``, and, for a person who may see patient identifiers
    (``app.services.cases.may_see_identifiers``), whose MRN starts with it or whose name holds
    each of its words. The exact ID first, then the newest eligible.

    Each part reads an index: the case ID from (eligible_on, case_id), newest first, stopping at
    ``limit``; the MRN a range on (mrn, project, …); only a name scans the register, and only for a
    text of ``NAME_MIN_CHARS`` or more. ``reveal`` fills in the MRN and name of each hit."""
    text = " ".join(text.split())[:MAX_SEARCH_CHARS]
    if not text:
        return []
    identifiers = may_see_identifiers(db)
    dialect = db.engine.dialect.name
    found: dict[str, str] = {}
    with db.reader() as session:
        exact = session.scalar(select(Case.case_id).where(Case.case_id == text))
        if exact is not None:
            found[exact] = "case_id"
        by_id = case_id_contains(text, dialect, from_index=index_answers(db, text, PAGE_FROM_INDEX_UP_TO))
        newest = (Case.eligible_on.desc(), Case.case_id.desc())
        for (case_id,) in session.execute(select(Case.case_id).where(by_id).order_by(*newest).limit(limit)):
            found.setdefault(case_id, "case_id")
        if identifiers and len(found) < limit:
            # a prefix as a range, so the MRN index is read (LIKE ignores case and would not be)
            mrn = select(Case.case_id).where(Case.mrn >= text, Case.mrn < text + "\U0010ffff")
            for (case_id,) in session.execute(mrn.order_by(Case.mrn).limit(limit)):
                found.setdefault(case_id, "mrn")
        words = text.split()
        if identifiers and len(found) < limit and len(text) >= NAME_MIN_CHARS:
            name = select(Case.case_id).where(*[
                Case.name.contains(w, autoescape=True) if dialect == "sqlite" else Case.name.icontains(w, autoescape=True)
                for w in words])
            for (case_id,) in session.execute(name.order_by(*newest).limit(limit)):
                found.setdefault(case_id, "name")
        if not found:
            return []
        show = reveal and identifiers
        stmt = select(Case).where(Case.case_id.in_(list(found)[:limit]))
        if show:
            stmt = stmt.options(undefer_group("phi"))
        cases = {c.case_id: c for c in session.scalars(stmt)}
    hits = [CaseHit(c.case_id, c.project, c.primary_site, c.eligible_on, c.status, found[c.case_id],
                    c.mrn if show else None, c.name if show else None) for c in cases.values()]
    hits.sort(key=lambda h: (h.case_id != exact, -h.eligible_on.toordinal(), h.case_id))
    return hits[:limit]
