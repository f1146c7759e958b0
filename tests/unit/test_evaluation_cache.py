"""The evaluation cache: one evaluation per (as-of date, data version), no Qt needed."""

from __future__ import annotations

import datetime as dt
import threading

from app.services import letters
from app.services.evaluations import EvaluationCache, in_force_at
from app.services.findings import evaluate_at, evaluate_fresh, shared_evaluations
from app.storage.changes import DataChanged
from app.storage.database import Database

D = dt.date(2025, 6, 30)


def counting(calls: list[dt.date]):  # type: ignore[no-untyped-def]
    def evaluate(db: Database, as_of: dt.date):  # type: ignore[no-untyped-def]
        calls.append(as_of)
        return evaluate_fresh(db, as_of)
    return evaluate


def test_one_evaluation_per_date_until_a_change_commits(db: Database) -> None:
    calls: list[dt.date] = []
    cache = EvaluationCache(db, counting(calls))
    first = cache.evaluation(D)
    assert cache.evaluation(D) is first and calls == [D]
    cache.evaluation(D - dt.timedelta(days=1))
    assert calls == [D, D - dt.timedelta(days=1)]
    version = cache.data_version
    letters.save_letter(db, D - dt.timedelta(days=40), "A request", True)  # every commit says what it wrote
    assert cache.data_version == version + 1
    again = cache.evaluation(D)
    assert again is not first and calls == [D, D - dt.timedelta(days=1), D]
    assert [f.rule for f in again.findings if f.rule == "QIP-CORR-NORESPONSE"] == ["QIP-CORR-NORESPONSE"]
    cache.close()


def test_bookkeeping_keeps_the_evaluation(db: Database) -> None:
    calls: list[dt.date] = []
    cache = EvaluationCache(db, counting(calls))
    cache.evaluation(D)
    db.announce(DataChanged(frozenset({"users", "sign_in_failures", "exports"})))
    cache.evaluation(D)
    assert calls == [D]
    db.announce(DataChanged(frozenset({"cases"}), elsewhere=True))  # another workstation's change
    cache.evaluation(D)
    assert calls == [D, D]
    cache.close()


def test_an_evaluation_that_raced_a_commit_is_not_kept(db: Database) -> None:
    calls: list[dt.date] = []

    def evaluate_then_commit(database: Database, as_of: dt.date):  # type: ignore[no-untyped-def]
        result = counting(calls)(database, as_of)
        if len(calls) == 1:  # a save lands while the first evaluation runs
            database.announce(DataChanged(frozenset({"correspondence"})))
        return result

    cache = EvaluationCache(db, evaluate_then_commit)
    cache.evaluation(D)
    cache.evaluation(D)
    assert calls == [D, D]
    cache.close()


def test_readers_of_one_date_at_once_share_one_evaluation(db: Database) -> None:
    calls: list[dt.date] = []
    started, release = threading.Event(), threading.Event()

    def slow(database: Database, as_of: dt.date):  # type: ignore[no-untyped-def]
        started.set()
        release.wait(10)
        return counting(calls)(database, as_of)

    cache = EvaluationCache(db, slow)
    results = []
    threads = [threading.Thread(target=lambda: results.append(cache.evaluation(D))) for _ in range(3)]
    for t in threads:
        t.start()
    started.wait(10)
    release.set()
    for t in threads:
        t.join(30)
    assert calls == [D] and len(results) == 3 and all(r is results[0] for r in results)
    cache.close()


def test_evaluate_at_answers_from_the_shared_cache_only_while_shared(db: Database) -> None:
    cache = EvaluationCache(db).share()
    assert shared_evaluations(db) is cache
    assert evaluate_at(db, D) is evaluate_at(db, D) is cache.evaluation(D)
    assert evaluate_at(db, D, fte_year=2024) is not cache.evaluation(D)  # another FTE year: its own snapshot
    assert in_force_at(db, D) is cache.evaluation(D).in_force
    cache.close()
    assert shared_evaluations(db) is None
    assert evaluate_at(db, D) is not evaluate_at(db, D)  # ``check`` and scripts: fresh every time
    assert in_force_at(db, D).policy == cache.in_force(D).policy


def test_a_closed_cache_keeps_nothing(db: Database) -> None:
    """The window closed: the cache hears of no change any more, so it evaluates every time."""
    calls: list[dt.date] = []
    cache = EvaluationCache(db, counting(calls)).share()
    cache.evaluation(D)
    cache.close()
    cache.evaluation(D)
    cache.evaluation(D)
    assert calls == [D, D, D] and shared_evaluations(db) is None


def test_the_quality_report_is_made_once_per_date_and_data_version(db: Database) -> None:
    """Issue 28: the Dashboard's readiness tile and the Data quality screen read one report."""
    from app.services import quality
    from app.services.evaluations import quality_at

    made: list[dt.date] = []

    def counted(database: Database, as_of: dt.date):  # type: ignore[no-untyped-def]
        made.append(as_of)
        return quality.evaluate_quality(database, as_of)

    cache = EvaluationCache(db).share()
    first = cache.report("quality", D, counted)
    assert cache.report("quality", D, counted) is first and made == [D]
    assert quality_at(db, D) is first  # what the screens ask for
    letters.save_letter(db, D - dt.timedelta(days=40), "A request", True)
    assert cache.report("quality", D, counted) is not first and made == [D, D]
    cache.close()
    assert quality_at(db, D) is not first  # no window keeps it: made each time


def test_the_self_audit_reads_the_quality_report_the_window_keeps(db: Database, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Issue 28: the self-audit's data-quality page is the report the Dashboard's readiness tile
    made of that date (the whole-register pass, most of a 200,000-case preview), not one of its own."""
    from app.reports.audit_service import build_report
    from app.services import quality
    from app.services.evaluations import quality_at

    passes: list[dt.date] = []
    find = quality.find_problems

    def counted(session, rules, as_of, month_day, *keep):  # type: ignore[no-untyped-def]
        passes.append(as_of)
        return find(session, rules, as_of, month_day, *keep)

    monkeypatch.setattr(quality, "find_problems", counted)
    cache = EvaluationCache(db).share()
    kept = quality_at(db, D)  # the readiness tile's
    report = build_report(db, year=D.year, as_of=D)
    assert passes == [D] and report.quality is not None
    assert report.quality.statement == kept.in_force.statement
    cache.close()
    build_report(db, year=D.year, as_of=D)  # no window keeps one: made for the audit
    assert passes == [D, D]


def test_the_quality_pass_reads_what_no_date_changes_once_per_data_version(db: Database, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Issue 28: stepping the as-of date re-reads only what depends on it. The repeated MRNs and the
    doses out of range are the same at every date: the window keeps them per data version (a third
    of the pass at 200,000 cases), each report the same as one read afresh, and a change reads
    them again."""
    from app.services import quality
    from app.services.reviews import subject_key
    from app.storage.models import Case
    from tests.unit.test_quality_rules import AS_OF, seed

    def keys_of(listing: list[tuple[str, str, str]]) -> set[tuple[str, str]]:
        return {(rule, subject) for rule, subject, _ in listing}

    seed(db)
    reads: list[str] = []
    for name in ("_duplicates", "_dose_rows_sqlite"):
        real = getattr(quality, name)
        monkeypatch.setattr(quality, name, lambda *a, real=real, name=name: reads.append(name) or real(*a))
    def listed(as_of: dt.date) -> list[tuple[str, str, str]]:  # every problem, in the report's order
        return [(p.rule, subject_key(p.subject), p.message) for p in quality.evaluate_quality(db, as_of).problems]

    dates = [AS_OF, AS_OF - dt.timedelta(days=40), AS_OF + dt.timedelta(days=30), AS_OF]
    afresh = {d: listed(d) for d in dates}  # no window: read each time
    assert reads.count("_duplicates") == reads.count("_dose_rows_sqlite") == 4
    assert ("DQ-CASE-DUPLICATE", subject_key({"case": "DUP-B"})) in keys_of(afresh[AS_OF])
    assert ("DQ-DOSE-TOTAL", subject_key({"case": "DOSE-6", "submitted_on": "2026-02-01"})) in keys_of(afresh[AS_OF])
    reads.clear()
    cache = EvaluationCache(db).share()
    assert {d: listed(d) for d in dates} == afresh  # the same problems, none twice
    assert reads == ["_dose_rows_sqlite", "_duplicates"]  # once for the three dates
    dose_ranges = quality.quality_in_force(AS_OF).rules.dose_ranges
    with db.reader() as session:
        out_of_range = quality._dose_rows_sqlite(session, quality.quality_in_force(AS_OF).rules)
    assert cache.kept("quality: doses out of range", dose_ranges, list) == out_of_range  # kept as read, not added to
    reads.clear()
    with db.transaction(None) as session:  # a case repeating DUP-C's MRN within 90 days
        session.add(Case(case_id="DUP-E", project="breast", primary_site="breast", eligible_on=dt.date(2026, 1, 20),
                         status="pending", payer="bcbsm", mrn="M2"))
    after = keys_of(listed(AS_OF))
    assert reads == ["_dose_rows_sqlite", "_duplicates"]
    # DUP-E repeats DUP-C's MRN 19 days on, and DUP-D (91 days after DUP-C) now repeats DUP-E's 72 days on
    assert after - keys_of(afresh[AS_OF]) == {("DQ-CASE-DUPLICATE", subject_key({"case": "DUP-E"})),
                                     ("DQ-CASE-DUPLICATE", subject_key({"case": "DUP-D"}))}
    cache.close()
