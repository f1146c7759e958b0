"""The data-quality rules over the whole register: set-based SQL, then readiness per submission
period and project, with the explanations kept for warnings.

Every record kind is read in one statement that selects only the records failing at least one of
its rules (each rule's condition is a SQL expression, one flag column per rule), so a
200,000-case register is scanned once per kind, never looped over in Python; the duplicate MRNs
come from one window-function pass (``LAG`` over MRN and project) and the missing dosimetry from
one anti-join. The pure ``app.rules.quality.detail`` then words each failing record and confirms
it (the SQL narrows, the rule decides), so the form, an import and the register say the same.

A warning is *reviewed* when it carries an explanation, kept as the findings' reviews are
(``app.services.reviews``, table ``finding_reviews``: every explanation a new row, audited, never
lost); an error is corrected, never explained. Readiness of a period and project: red with an
error, yellow with a warning not reviewed, green otherwise (``app.rules.quality.Cell``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    String,
    case,
    column,
    exists,
    extract,
    false,
    func,
    or_,
    select,
    table,
    text,
)
from sqlalchemy.orm import Session

from app.domain.dates import check_plausible
from app.domain.records import SITE_IS_PROJECT, CaseRecord
from app.domain.vocabulary import PROJECTS, label
from app.rules.findings import Finding
from app.rules.quality import (
    FACILITY,
    SEVERITY_ORDER,
    Cell,
    Period,
    Problem,
    detail,
    duplicate_text,
    duplicates,
    periods_between,
    problem,
    readiness_cells,
    record_problems,
    subject_of,
    worst,
)
from app.rules.quality_file import (
    Age,
    DateOrder,
    DaysAfter,
    DoseRange,
    DosimetryMissing,
    Duplicate,
    NotAfterAsOf,
    OneOf,
    QualityInForce,
    QualityRules,
    Required,
    Rule,
    quality_in_force,
)
from app.services.policies import policy_at
from app.services.reviews import Review, ReviewError, mark_many_reviewed, review_states, subject_key
from app.storage.database import Database
from app.storage.errors import NoFacility
from app.storage.models import (
    Attendance,
    Case,
    Correspondence,
    DosimetrySubmission,
    Facility,
    FindingReview,
    Meeting,
    Staff,
)

#: The kind of finding a data-quality problem is when it is explained (``finding_reviews``).
KIND = "quality"


@dataclass(frozen=True)
class RuleCount:
    rule: Rule
    count: int
    open: int


@dataclass
class QualityReport:
    """Every problem at the as-of date, its explanation, and readiness per period and project."""

    as_of: dt.date
    facility: str
    in_force: QualityInForce
    #: the month-day each submission period starts on (the facility's enrollment period, else the policy's)
    period_start: str
    periods: list[Period]
    problems: list[Problem]
    #: per problem (same order): its current explanation (warnings only), else None
    reviews: list[Review | None]
    #: per problem: every explanation kept, newest first
    history: list[tuple[Review, ...]] = field(default_factory=list)
    cells: list[Cell] = field(default_factory=list)

    @property
    def rules(self) -> QualityRules:
        return self.in_force.rules

    @property
    def errors(self) -> int:
        return sum(p.severity == "error" for p in self.problems)

    @property
    def open_warnings(self) -> int:
        return sum(p.severity == "warning" and r is None for p, r in zip(self.problems, self.reviews, strict=True))

    @property
    def status(self) -> str:
        """The whole register's readiness: the worst of its cells."""
        return worst(c.status for c in self.cells)

    @property
    def ready(self) -> bool:
        """No error, and every warning explained (``quality`` exits 0)."""
        return self.status == "green"

    def counts(self) -> list[RuleCount]:
        """Each rule of the file with its problems and those still open (errors, warnings not reviewed)."""
        total: dict[str, int] = {}
        still: dict[str, int] = {}
        for p, r in zip(self.problems, self.reviews, strict=True):
            total[p.rule] = total.get(p.rule, 0) + 1
            still[p.rule] = still.get(p.rule, 0) + (p.severity == "error" or (p.severity == "warning" and r is None))
        return [RuleCount(rule, total.get(rule.id, 0), still.get(rule.id, 0)) for rule in self.rules.rules]

    def cell(self, period: Period, project: str) -> Cell | None:
        return next((c for c in self.cells if c.period == period and c.project == project), None)

    def period_status(self, period: Period) -> str:
        return worst(c.status for c in self.cells if c.period == period)

    def project_status(self, project: str) -> str:
        return worst(c.status for c in self.cells if c.project == project)


# ---- SQL: one condition per rule ------------------------------------------------------------------

def _days(dialect: str, start: Any, end: Any) -> ColumnElement:
    """Whole days from ``start`` to ``end`` (both dates) in the database's own arithmetic."""
    if dialect == "sqlite":
        return func.julianday(end) - func.julianday(start)
    return end - start  # PostgreSQL: date - date is an integer number of days


def _status(statuses: tuple[str, ...], d: dt.date) -> ColumnElement:
    """A case's status as it stood at ``d`` is one of ``statuses`` (``app.rules.snapshot.status_at``)."""
    if not statuses:
        return ~false()
    enrolled = Case.enrolled_on.is_not(None) & (Case.enrolled_on <= d)
    parts = {"enrolled": enrolled, "not_enrolled": ~enrolled & (Case.status == "not_enrolled"),
             "pending": ~enrolled & (Case.status != "not_enrolled")}
    return or_(*[parts[s] for s in statuses])


def _projects(projects: tuple[str, ...], column: Any = Case.project) -> ColumnElement:
    return column.in_(projects) if projects else ~false()


def _age_below(dialect: str, birth: Any, on: Any, years: int) -> ColumnElement:
    """The patient is younger than ``years`` on ``on`` (``app.rules.quality.age_years``: whole
    years, the birthday itself counting). On SQLite, where dates are ISO text, the birth date moved
    ``years`` on is compared with ``on`` as text (no date parsing per row: a 29 February birthday
    compares as it reads, as the rule does); elsewhere the year difference, less one before the
    birthday."""
    if dialect == "sqlite":
        moved = func.printf("%04d", func.cast(func.substr(birth, 1, 4), Integer) + years, type_=String).concat(
            func.substr(birth, 5, type_=String))
        return moved > on
    before_birthday = (extract("month", on) * 100 + extract("day", on)) < (extract("month", birth) * 100
                                                                           + extract("day", birth))
    return (extract("year", on) - extract("year", birth) - case((before_birthday, 1), else_=0)) < years


COLUMNS: dict[str, dict[str, Any]] = {
    "case": {"case_id": Case.case_id, "project": Case.project, "primary_site": Case.primary_site,
             "eligible_on": Case.eligible_on, "status": Case.status, "enrolled_on": Case.enrolled_on,
             "payer": Case.payer, "birth_date": Case.birth_date},
    "dosimetry": {"case_id": DosimetrySubmission.case_id, "project": Case.project, "case_eligible_on": Case.eligible_on,
                  "submitted_on": DosimetrySubmission.submitted_on, "technique": DosimetrySubmission.technique,
                  "total_dose_gy": DosimetrySubmission.total_dose_gy, "fractions": DosimetrySubmission.fractions},
    "attendance": {"meeting_id": Attendance.meeting_id, "meeting_date": Meeting.date, "role": Attendance.role,
                   "staff_id": Attendance.staff_id, "staff_name": Staff.name},
    "letter": {"letter_id": Correspondence.letter_id, "subject": Correspondence.subject,
               "received_on": Correspondence.received_on, "due_on": Correspondence.due_on,
               "replied_on": Correspondence.replied_on},
}


#: The columns only a role that may read identifiers selects (``reads_identifiers``).
IDENTIFYING = frozenset({"birth_date", "mrn"})


def _condition(rule: Rule, rules: QualityRules, d: dt.date, dialect: str,
               eligible: tuple[dt.date, dt.date] | None = None) -> ColumnElement | None:
    """``rule``'s condition on its record's row (None: judged apart, over several records).
    ``eligible``: the register's earliest and latest eligible dates, which let a cheap comparison
    with a constant set aside the birth dates no eligible date can make implausible before the
    exact test runs on the rest (SQLite stops at the first false term of an AND)."""
    cols = COLUMNS[rule.record]
    check = rule.check
    # each AND puts its cheapest, rarest term first: SQLite stops at the first false one, and a
    # string comparison per row is most of a scan's cost
    if isinstance(check, Required):
        column = cols[check.field]
        return or_(column.is_(None), column == "") & _projects(check.projects) & _status(check.statuses, d)
    if isinstance(check, OneOf):
        column = cols[check.field]
        return _projects(check.projects) & or_(column.is_(None), column.not_in(check.values))
    if isinstance(check, DaysAfter):
        start, end = cols[check.start], cols[check.end]
        days = _days(dialect, start, end)
        condition = start.is_not(None) & end.is_not(None) & _status(check.statuses, d) & (days > check.more_than)
        return condition & (days <= check.at_most) if check.at_most is not None else condition
    if isinstance(check, Age):
        birth, on = cols["birth_date"], cols["eligible_on"]
        young, old = _age_below(dialect, birth, on, check.min_years), ~_age_below(dialect, birth, on, check.max_years + 1)
        if eligible is not None:  # necessary conditions: born after the earliest eligible date less min_years,
            # or before the latest less max_years (a year's margin either side)
            young = (birth >= dt.date(eligible[0].year - check.min_years - 1, 1, 1)) & young
            old = (birth < dt.date(eligible[1].year - check.max_years + 1, 1, 1)) & old
        return birth.is_not(None) & (young | old)
    if isinstance(check, NotAfterAsOf):
        return or_(*[cols[f] > d for f in check.fields])
    if isinstance(check, DateOrder):
        first, then = cols[check.first], cols[check.then]
        return first.is_not(None) & then.is_not(None) & (then < first)
    if isinstance(check, DoseRange):
        per_fraction = DosimetrySubmission.total_dose_gy / DosimetrySubmission.fractions
        measured = per_fraction if check.measure == "per_fraction" else DosimetrySubmission.total_dose_gy
        outside = []
        for entry in rules.dose_ranges:
            low, high = entry.per_fraction_gy if check.measure == "per_fraction" else entry.total_gy
            outside.append((Case.project == entry.project) & DosimetrySubmission.technique.in_(entry.techniques)
                           & ((measured < low) | (measured > high)))
        return (DosimetrySubmission.fractions > 0) & or_(false(), *outside)
    return None  # DosimetryMissing, Duplicate


#: On SQLite the dose ranges are a small temporary table of this connection, joined on (project,
#: technique) through its primary key: one lookup per submission instead of an OR over every range
#: (about a third of the time at 100,000 submissions). Created in the reader's transaction, so it
#: goes with it; nothing of the facility's database is written.
RANGES_TABLE = "dq_dose_ranges"


#: How a pass reads what is the same at every as-of date: ``(name, key, read)`` → what ``read()``
#: returns, read now or kept per data version (``app.services.evaluations.EvaluationCache.kept``).
Keep = Callable[[str, Hashable, Callable[[], Any]], Any]


def _read_now(name: str, key: Hashable, read: Callable[[], Any]) -> Any:
    return read()


def _dose_rows_sqlite(session: Session, file: QualityRules) -> list[dict[str, Any]]:
    """The submissions outside their range (per fraction or total), by a join with the ranges."""
    session.execute(text(f"CREATE TEMP TABLE IF NOT EXISTS {RANGES_TABLE} (project TEXT NOT NULL, "
                         "technique TEXT NOT NULL, pf_low REAL, pf_high REAL, total_low REAL, total_high REAL, "
                         "PRIMARY KEY (project, technique))"))
    session.execute(text(f"DELETE FROM {RANGES_TABLE}"))
    rows = [{"project": e.project, "technique": t, "pf_low": e.per_fraction_gy[0], "pf_high": e.per_fraction_gy[1],
             "total_low": e.total_gy[0], "total_high": e.total_gy[1]} for e in file.dose_ranges for t in e.techniques]
    if not rows:
        return []
    session.execute(text(f"INSERT INTO {RANGES_TABLE} VALUES (:project, :technique, :pf_low, :pf_high, :total_low, "
                         ":total_high)"), rows)
    r = table(RANGES_TABLE, *[column(name) for name in rows[0]])
    total, fractions = DosimetrySubmission.total_dose_gy, DosimetrySubmission.fractions
    per_fraction = total / fractions
    stmt = (_base("dosimetry").join(r, (r.c.project == Case.project) & (r.c.technique == DosimetrySubmission.technique))
            .where(fractions > 0, or_(per_fraction < r.c.pf_low, per_fraction > r.c.pf_high, total < r.c.total_low,
                                      total > r.c.total_high)))
    names = list(COLUMNS["dosimetry"])
    return [dict(zip(names, row, strict=True)) for row in session.execute(stmt)]


def _base(record: str, identified: bool = True) -> Any:
    cols = {k: c for k, c in COLUMNS[record].items() if identified or k not in IDENTIFYING}
    stmt = select(*[c.label(k) for k, c in cols.items()])
    if record == "dosimetry":
        stmt = stmt.select_from(DosimetrySubmission).join(Case, Case.case_id == DosimetrySubmission.case_id)
    elif record == "attendance":
        stmt = (stmt.select_from(Attendance).join(Meeting, Meeting.meeting_id == Attendance.meeting_id)
                .outerjoin(Staff, Staff.staff_id == Attendance.staff_id))
    return stmt


def _failing(session: Session, record: str, rules: list[Rule], file: QualityRules, d: dt.date,
             dialect: str, identified: bool = True, keep: Keep = _read_now) -> list[dict[str, Any]]:
    """Every row of ``record`` failing at least one of ``rules``: one statement whose WHERE is the
    rules' conditions joined by OR (SQLite stops at the first that holds), only those rows returned.
    Which rules each fails is then the rules' own word (``detail``), on these few rows."""
    eligible = None
    if record == "case":  # two index seeks: each a scalar subquery of its own, since SQLite seeks the
        # index only for a lone min() or max(); both in one SELECT scanned an index of every case
        # (9-25 ms at 200,000 cases, against 0.1 ms)
        low, high = session.execute(select(select(func.min(Case.eligible_on)).scalar_subquery(),
                                           select(func.max(Case.eligible_on)).scalar_subquery())).one()
        eligible = (low, high) if low is not None else None
    merged: dict[tuple[str, str, tuple[str, ...]], DaysAfter] = {}
    for rule in rules:  # day spans of the same two dates: one span test, from the smallest lower bound
        c = rule.check
        if isinstance(c, DaysAfter):
            key = (c.start, c.end, c.statuses)
            low = min(c.more_than, merged[key].more_than) if key in merged else c.more_than
            merged[key] = DaysAfter(c.start, c.end, low, None, c.statuses)
    spans = [Rule(f"span-{i}", "", record, "info", "", "", c) for i, c in enumerate(merged.values())]  # type: ignore[arg-type]
    kept = [rule for rule in rules if not isinstance(rule.check, DaysAfter)] + spans
    found: list[dict[str, Any]] = []
    if dialect == "sqlite" and any(isinstance(rule.check, DoseRange) for rule in kept):
        # the same at every as-of date: kept per data version where the window keeps them
        found = list(keep("quality: doses out of range", file.dose_ranges, lambda: _dose_rows_sqlite(session, file)))
        kept = [rule for rule in kept if not isinstance(rule.check, DoseRange)]
    conditions = [(rule, _condition(rule, file, d, dialect, eligible)) for rule in kept]
    conditions = [(rule, c) for rule, c in conditions if c is not None]
    if not conditions:
        return found
    stmt = _base(record, identified).where(or_(*[c for _, c in conditions]))
    names = [k for k in COLUMNS[record] if identified or k not in IDENTIFYING]
    seen = {str(subject_of(record, v)) for v in found}  # a submission both out of range and dated ahead: once
    for row in session.execute(stmt):
        values = dict(zip(names, row, strict=True))
        if str(subject_of(record, values)) not in seen:
            found.append(values)
    return found


def _missing_dosimetry(session: Session, rule: Rule, check: DosimetryMissing, d: dt.date) -> list[dict[str, Any]]:
    """Enrolled cases of the check's projects without a submission dated by ``d``, enrolled more
    than its days before: one anti-join on the index of (project, enrollment date)."""
    submitted = exists().where(DosimetrySubmission.case_id == Case.case_id, DosimetrySubmission.submitted_on <= d)
    stmt = select(Case.case_id, Case.project, Case.eligible_on, Case.enrolled_on).where(
        Case.project.in_(check.projects), Case.enrolled_on.is_not(None),
        Case.enrolled_on < d - dt.timedelta(days=check.days_after_enrollment), ~submitted)
    return [{"case_id": cid, "project": project, "eligible_on": eligible, "enrolled_on": enrolled,
             "status": "enrolled", "has_submission": False}
            for cid, project, eligible, enrolled in session.execute(stmt)]


def _duplicates(session: Session, check: Duplicate, dialect: str) -> list[tuple[dict[str, Any], dict[str, Any], int]]:
    """Each case whose MRN and project repeat the case just before it (by eligible date, then ID)
    within ``within_days``. The MRN and project pairs held by more than one case come from one
    ``GROUP BY`` over the index on (MRN, project, …) — SQLite's window functions cost several times
    more per row — and only their cases are read and paired (``app.rules.quality.duplicates``)."""
    mrn = getattr(Case, check.field)
    twice = (select(mrn.label("value"), Case.project.label("project")).where(mrn.is_not(None), mrn != "")
             .group_by(mrn, Case.project).having(func.count() > 1).subquery())
    rows = session.execute(select(Case.case_id, Case.project, Case.eligible_on, mrn).join(
        twice, (twice.c.value == mrn) & (twice.c.project == Case.project)))
    cases = [{"case_id": cid, "project": project, "eligible_on": on, check.field: value} for cid, project, on, value in rows]
    return duplicates(check, cases)


def _facility(session: Session) -> Facility:
    facility = session.scalars(select(Facility).limit(1)).first()
    if facility is None:
        raise NoFacility("The database has no facility yet; set it up first.")
    return facility


def period_start_of(session: Session, as_of: dt.date) -> str:
    """The month-day submission periods start on: the facility's enrollment period, else the policy's."""
    facility = _facility(session)
    return facility.enrollment_period_start or policy_at(session, as_of).policy.period_start


def reads_identifiers(session: Session) -> bool:
    """Whether this connection may read patients' birth dates and MRNs. On a shared database the
    server decides (column privileges: physics leads and reviewers may not); on a file, whoever the
    app let in reads the columns it needs here."""
    if session.get_bind().dialect.name != "postgresql":
        return True
    return bool(session.scalar(text("SELECT has_column_privilege('cases', 'birth_date', 'SELECT') "
                                    "AND has_column_privilege('cases', 'mrn', 'SELECT')")))


def _ages_from_server(session: Session, check: Age) -> list[dict[str, Any]]:
    """The cases whose age at eligibility is outside ``check``'s years, as the server works them out
    for a role that may not read birth dates (``mroqc_age_outside``: the age, never the date)."""
    rows = session.execute(text("SELECT case_id, project, eligible_on, status, enrolled_on, age_years "
                                "FROM mroqc_age_outside(:low, :high)"),
                           {"low": check.min_years, "high": check.max_years})
    return [dict(row._mapping) for row in rows]


def _same_mrn_from_server(session: Session, check: Duplicate) -> list[tuple[dict[str, Any], dict[str, Any], int]]:
    """``_duplicates`` for a role that may not read MRNs: the server names the cases that share an
    MRN and project (``mroqc_same_mrn``: a group, never the MRN); the rule pairs them as usual."""
    rows = session.execute(text("SELECT case_id, project, eligible_on, mrn_group FROM mroqc_same_mrn()"))
    cases = [{"case_id": cid, "project": project, "eligible_on": on, check.field: group}
             for cid, project, on, group in rows]
    return duplicates(check, cases)


def find_problems(session: Session, rules: QualityRules, as_of: dt.date, month_day: str,
                  keep: Keep = _read_now) -> list[Problem]:
    """Every problem in the register at ``as_of``, sorted by severity, rule, period and record.
    ``keep``: how what does not depend on ``as_of`` is read (the repeated MRNs, the doses out of
    range): at once, or kept for the data as it stands by the window's evaluation cache."""
    dialect = session.get_bind().dialect.name
    identified = reads_identifiers(session)
    found: list[Problem] = []
    by_record: dict[str, list[Rule]] = {}
    for rule in rules.rules:
        by_record.setdefault(rule.record, []).append(rule)
    for record, members in by_record.items():
        alone = [rule for rule in members if not isinstance(rule.check, DosimetryMissing | Duplicate)]
        if not identified and record == "case":  # the server judges the ages, apart
            for rule in [r for r in alone if isinstance(r.check, Age)]:
                for values in _ages_from_server(session, rule.check):  # type: ignore[arg-type]
                    text_ = detail(rule, values, as_of, rules)
                    if text_ is not None:
                        found.append(problem(rule, values, text_, as_of, month_day))
            alone = [r for r in alone if not isinstance(r.check, Age)]
        for values in _failing(session, record, alone, rules, as_of, dialect, identified, keep):
            for rule in alone:  # the rules decide which fail: the SQL only narrows
                text = detail(rule, values, as_of, rules)
                if text is not None:
                    found.append(problem(rule, values, text, as_of, month_day))
    for rule in rules.rules:
        if isinstance(rule.check, DosimetryMissing):
            for values in _missing_dosimetry(session, rule, rule.check, as_of):
                text = detail(rule, values, as_of, rules)
                if text is not None:
                    found.append(problem(rule, values, text, as_of, month_day))
        elif isinstance(rule.check, Duplicate):
            pairs = keep("quality: same MRN", (rule.check, dialect, identified),
                         lambda: _duplicates(session, rule.check, dialect) if identified  # noqa: B023 - read at once
                         else _same_mrn_from_server(session, rule.check))  # noqa: B023
            for later, earlier, days in pairs:
                found.append(problem(rule, later, duplicate_text(earlier, days), as_of, month_day))
    return sorted(found, key=lambda p: (SEVERITY_ORDER[p.severity], p.rule, p.period, sorted(p.subject.items())))


def as_finding(p: Problem) -> Finding:
    """A problem as the finding its explanation is kept for (``app.services.reviews``)."""
    return Finding(p.rule, KIND, p.severity, p.subject, p.message)


def evaluate_quality(db: Database, as_of: dt.date) -> QualityReport:
    """Every data-quality rule in force at ``as_of`` over the whole register, each warning's
    explanation, and readiness per submission period and project."""
    # here, not at the top: the workbook import loads this module, and needs none of the rules
    from app.services.findings import shared_evaluations

    check_plausible(as_of, "the as-of date")
    in_force = quality_in_force(as_of)
    with db.reader() as session:
        facility = _facility(session)
        month_day = period_start_of(session, as_of)
        first = min(facility.joined_on, session.scalar(select(func.min(Case.eligible_on))) or facility.joined_on)
        shared = shared_evaluations(db)  # the window's: what is the same at every date, read once per data version
        problems = find_problems(session, in_force.rules, as_of, month_day,
                                 shared.kept if shared is not None else _read_now)
        name = facility.name
    reviews, history = _explanations(db, problems, as_of)
    periods = periods_between(min(first, as_of), as_of, month_day)
    cells = readiness_cells(problems, {i for i, r in enumerate(reviews) if r is not None}, periods, PROJECTS)
    shown = set(periods)
    periods += sorted({c.period for c in cells} - shown, reverse=True)
    return QualityReport(as_of, name, in_force, month_day, periods, problems, reviews, history, cells)


def _explanations(db: Database, problems: list[Problem], as_of: dt.date
                  ) -> tuple[list[Review | None], list[tuple[Review, ...]]]:
    """Per problem, its current explanation (warnings only) and every one kept, newest first: the
    reviews of the file's warning rules read once; only the problems of a rule that has any are
    keyed (``app.services.reviews.review_states`` for the few, not thousands of JSON keys)."""
    reviews: list[Review | None] = [None] * len(problems)
    history: list[tuple[Review, ...]] = [()] * len(problems)
    rules = sorted({p.rule for p in problems if p.severity == "warning"})
    if not rules:
        return reviews, history
    with db.reader() as session:
        explained = set(session.scalars(select(FindingReview.rule).where(FindingReview.rule.in_(rules)).distinct()))
    chosen = [i for i, p in enumerate(problems) if p.severity == "warning" and p.rule in explained]
    for i, state in zip(chosen, review_states(db, [as_finding(problems[i]) for i in chosen], as_of), strict=True):
        reviews[i], history[i] = state.current, state.history
    return reviews, history


def problem_keys(db: Database, as_of: dt.date) -> set[tuple[str, str]]:
    """(rule, subject) of every problem at ``as_of``: what an import compares before and after."""
    in_force = quality_in_force(as_of)
    with db.reader() as session:
        if session.scalars(select(Facility).limit(1)).first() is None:
            return set()
        month_day = period_start_of(session, as_of)
        return {(p.rule, subject_key(p.subject)) for p in find_problems(session, in_force.rules, as_of, month_day)}


def brought_in(db: Database, as_of: dt.date, before: set[tuple[str, str]]) -> list[Problem]:
    """The problems at ``as_of`` that were not there before (``problem_keys``): what an import brought in."""
    with db.reader() as session:
        if session.scalars(select(Facility).limit(1)).first() is None:
            return []
        month_day = period_start_of(session, as_of)
        found = find_problems(session, quality_in_force(as_of).rules, as_of, month_day)
    return [p for p in found if (p.rule, subject_key(p.subject)) not in before]


def brought_in_words(problems: list[Problem]) -> str:
    """One sentence on the data-quality problems an import brought in (empty when none): how many
    of each severity, and per rule; the rows it refused are said apart (they are not written)."""
    if not problems:
        return ""
    by_severity = {s: sum(p.severity == s for p in problems) for s in ("error", "warning", "info")}
    counts: dict[str, int] = {}
    for p in problems:
        counts[p.rule] = counts.get(p.rule, 0) + 1
    parts = [f"{n} {word}{'s' * (n != 1)}" for word, n in (("error", by_severity["error"]),
                                                            ("warning", by_severity["warning"]),
                                                            ("note", by_severity["info"])) if n]
    rules = ", ".join(f"{rule} {n}" for rule, n in sorted(counts.items()))
    return (f"It brought in {len(problems)} data-quality problem(s) ({', '.join(parts)}: {rules}); the Data quality "
            "screen and 'mroqc-desk quality' list them.")


def problem_json(p: Problem) -> dict[str, Any]:
    """A problem as an import's ``--json`` lists it (no patient identifier: the record by its ID)."""
    return {"rule": p.rule, "severity": p.severity, "record": p.subject, "project": p.project, "message": p.message}


def screening_problems(db: Database, plan: Any, as_of: dt.date) -> list[Problem]:
    """The data-quality problems the screening list's new and updated cases would bring in, judged
    on each planned case as a form judges one (only the planned cases: a new case is pending, and
    an update may change the eligible date, payer, name or birth date); an update's problems that the
    case already had are not counted."""
    rules = quality_in_force(as_of).rules
    month_day = _month_day(db, as_of)
    found: list[Problem] = []
    for new in plan.new_cases:
        found += record_problems(rules, "case", {**new, "has_submission": False}, as_of, month_day)
    for update in plan.updates:
        seen = plan.seen.get(update.case_id)
        if seen is None:
            continue
        before = {"case_id": seen.case_id, "project": seen.project, "eligible_on": seen.eligible_on,
                  "payer": seen.payer, "birth_date": seen.birth_date, "primary_site": seen.project,
                  "status": "pending", "has_submission": True}
        after = {**before, **{k: v for k, v in update.after.items() if k in before}}
        had = {p.rule for p in record_problems(rules, "case", before, as_of, month_day)}
        found += [p for p in record_problems(rules, "case", after, as_of, month_day) if p.rule not in had]
    return found


def explain(db: Database, problems: list[Problem], note: str, as_of: dt.date, *,
            at: dt.datetime | None = None) -> list[Review]:
    """Keep ``note`` as the explanation of each warning in ``problems`` (one audited transaction,
    one row each: the history stays). An error is corrected, not explained: refused."""
    if not problems:
        raise ReviewError("Choose the warnings to explain.")
    not_warnings = [p for p in problems if p.severity != "warning"]
    if not_warnings:
        p = not_warnings[0]
        words = "an error is corrected, never explained away" if p.severity == "error" else "a note needs no explanation"
        raise ReviewError(f"{p.rule} is {'an error' if p.severity == 'error' else 'a note'}: {words}. "
                          "Choose warnings only.")
    return mark_many_reviewed(db, [as_finding(p) for p in problems], note, as_of, at=at)


# ---- one record, as it is typed ----------------------------------------------------------------------

def _month_day(db: Database, as_of: dt.date) -> str:
    with db.reader() as session:
        try:
            return period_start_of(session, as_of)
        except NoFacility:
            return "01-01"


def check_case(db: Database, record: CaseRecord, as_of: dt.date) -> list[Problem]:
    """The data-quality problems of a case as typed (the case form), with the register's own
    knowledge: whether it has a dosimetry submission, and the cases of the same MRN and project."""
    rules = quality_in_force(as_of).rules

    site = record.primary_site or (record.project if record.project in SITE_IS_PROJECT else None)  # as saved
    values = {"case_id": record.case_id or "(new)", "project": record.project, "primary_site": site,
              "eligible_on": record.eligible_on, "status": record.status, "enrolled_on": record.enrolled_on,
              "payer": record.payer, "birth_date": record.birth_date, "mrn": record.mrn}
    month_day = _month_day(db, as_of)
    with db.reader() as session:
        values["has_submission"] = bool(record.case_id) and session.scalar(
            select(func.count()).select_from(DosimetrySubmission).where(
                DosimetrySubmission.case_id == record.case_id, DosimetrySubmission.submitted_on <= as_of)) > 0
        same = []
        if record.mrn and record.project and record.eligible_on:
            same = [{"case_id": cid, "project": record.project, "eligible_on": on, "mrn": record.mrn}
                    for cid, on in session.execute(select(Case.case_id, Case.eligible_on).where(
                        Case.mrn == record.mrn, Case.project == record.project, Case.case_id != record.case_id))]
    found = record_problems(rules, "case", values, as_of, month_day) if values["eligible_on"] else []
    for rule in rules.rules:
        if isinstance(rule.check, Duplicate) and same:
            for later, earlier, days in duplicates(rule.check, [*same, values]):
                if later is values or earlier is values:
                    other = earlier if later is values else later
                    found.append(problem(rule, values, f"the same MRN as case {other['case_id']} of the same project, "
                                                       f"eligible {days} days apart", as_of, month_day))
                    break
    return sorted(found, key=lambda p: (SEVERITY_ORDER[p.severity], p.rule))


def check_submission(db: Database, values: dict[str, Any], as_of: dt.date) -> list[Problem]:
    """The data-quality problems of a dosimetry submission as typed (its case's project read)."""
    rules = quality_in_force(as_of).rules
    with db.reader() as session:
        row = session.execute(select(Case.project, Case.eligible_on).where(Case.case_id == values.get("case_id"))).first()
    if row is None or values.get("submitted_on") is None:
        return []
    v = {**values, "project": row[0], "case_eligible_on": row[1]}
    return record_problems(rules, "dosimetry", v, as_of, _month_day(db, as_of))


def check_attendance(db: Database, meeting_id: str | None, role: str | None, staff_id: str | None,
                     as_of: dt.date) -> list[Problem]:
    """The data-quality problems of an attendance as typed (its meeting's date read)."""
    if not (meeting_id and role and staff_id):
        return []
    rules = quality_in_force(as_of).rules
    with db.reader() as session:
        day = session.scalar(select(Meeting.date).where(Meeting.meeting_id == meeting_id))
        name = session.scalar(select(Staff.name).where(Staff.staff_id == staff_id))
    if day is None:
        return []
    v = {"meeting_id": meeting_id, "meeting_date": day, "role": role, "staff_id": staff_id, "staff_name": name}
    return record_problems(rules, "attendance", v, as_of, _month_day(db, as_of))


def check_letter(db: Database, values: dict[str, Any], as_of: dt.date) -> list[Problem]:
    """The data-quality problems of a letter as typed."""
    if values.get("received_on") is None:
        return []
    rules = quality_in_force(as_of).rules
    v = {"letter_id": values.get("letter_id") or "(new)", **values}
    return record_problems(rules, "letter", v, as_of, _month_day(db, as_of))


def problem_lines(problems: list[Problem], rules: QualityRules | None = None) -> list[str]:
    """What a form shows under its fields: the rule's title first, its ID in brackets, what it means
    for readiness, the sentence and what to do."""
    lines = []
    for p in problems:
        rule = rules.rule(p.rule) if rules is not None else None
        title = rule.title if rule is not None else p.rule
        effect = {"error": "an error: saved, but the period is not ready until it is corrected",
                  "warning": "a warning: saved; correct it or explain it on the Data quality screen",
                  "info": "a note"}[p.severity]
        text = p.message.split(": ", 1)[-1]
        lines.append(f"{'✕' if p.severity == 'error' else '!' if p.severity == 'warning' else 'i'} {title} "
                     f"[{p.rule}], {effect}: {text}" + (f" {rule.action}" if rule is not None and p.severity != "info" else ""))
    return lines


def form_words(problems: list[Problem], as_of: dt.date) -> str:
    """The lines of ``problem_lines`` as one text (empty when nothing is wrong)."""
    if not problems:
        return ""
    return "Data quality:\n" + "\n".join(problem_lines(problems, quality_in_force(as_of).rules))


# ---- the JSON of ``quality --json`` ------------------------------------------------------------------

def _review_json(review: Review | None) -> dict[str, Any] | None:
    if review is None:
        return None
    return {"by": review.reviewed_by, "at": review.reviewed_at.isoformat(), "as_of": review.as_of.isoformat(),
            "note": review.note, "line": review.line}


def to_json(report: QualityReport) -> dict[str, Any]:
    """``quality --json`` (docs/cli.md): readiness, the cells per period and project, each rule with
    its problems (each naming its record)."""
    by_rule: dict[str, list[dict[str, Any]]] = {}
    for p, review in zip(report.problems, report.reviews, strict=True):
        by_rule.setdefault(p.rule, []).append({
            "record": p.subject, "project": p.project, "period": p.period.label, "message": p.message,
            "reviewed": _review_json(review)})
    return {
        "as_of": report.as_of.isoformat(), "facility": report.facility, "rules_in_force": report.in_force.to_json(),
        "ready": report.ready, "readiness": report.status,
        "counts": {"errors": report.errors, "warnings": sum(p.severity == "warning" for p in report.problems),
                   "warnings_open": report.open_warnings, "info": sum(p.severity == "info" for p in report.problems)},
        "periods": [{"period": period.label, "from": period.start.isoformat(), "to": period.end.isoformat(),
                     "readiness": report.period_status(period),
                     "projects": [{"project": c.project, "readiness": c.status, "errors": c.errors,
                                   "warnings": c.warnings, "reviewed": c.reviewed, "info": c.info}
                                  for c in report.cells if c.period == period]}
                    for period in report.periods],
        "rules": [{"rule": rc.rule.id, "title": rc.rule.title, "record": rc.rule.record, "severity": rc.rule.severity,
                   "action": rc.rule.action, "source": " ".join(rc.rule.source.split()), "count": rc.count,
                   "open": rc.open, "problems": by_rule.get(rc.rule.id, [])} for rc in report.counts()],
    }


def project_words(project: str) -> str:
    return "Facility-wide" if project == FACILITY else label(project)
