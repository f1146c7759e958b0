"""Load test of the shared database: N simulated workstations at once, deliberate collisions included.

    .venv/bin/python -m bench.load --db-url postgresql+psycopg://postgres@127.0.0.1:5432/loadtest \\
        --clients 20 --seconds 60 [--json]

Each client is its own process, signed in as its own coordinator — its own server login
(``DATABASE.loadNN``), so the server's grants, its audit trigger and the person's signature over
each transaction are all in the figures — with the app's own change watcher running (as an open
window has). For ``--seconds`` it does what a CDA's workstation does,
with a think time between actions: opens and filters the register, corrects cases (a form open for
a moment between reading and saving), records attendance, changes the status of two cases at once,
runs the evaluation. A third of the corrections and every bulk change go to a few *hot* cases that
every client works on, so saves collide on purpose.

At the end it reconciles, from what every client did and the database's final state — not from the
app's own bookkeeping:

* **lost updates**: a correction appends its own token to the case's note; every token of a save
  reported as saved must be in the final note, and no two saves may succeed from the same version
  of a record (each would have overwritten the other);
* **conflicts provoked**: attempts that were stale, i.e. another save succeeded from the version
  they were based on; **conflicts detected**: attempts the app refused with a conflict. Equal when
  every stale save was refused and no fresh one was;
* **save latency** (p50/p95 over saves that succeeded) and **refresh latency**: for every save,
  the time until each other client's change watcher heard it (p95), plus notices never heard.

The clock starts only once every workstation's watcher listens (a workstation still signing in
could not hear the first saves: on a busy machine that once counted as 42 notices unheard), and
each keeps listening after the last save until it has heard every change set the audit log holds
from the others, for at most ``DRAIN_SECONDS``: a notice still unheard then is one the product
failed to deliver, whatever the machine's load (``drain_ms_max`` says how long the longest took).

The database is the test's own: an empty one is set up (a synthetic demo facility and one user per
client, each given a server login); one this test set up before is reused. Never point it at a
facility's real database. The address is a superuser's or the database owner's (it sets the
database up); the workstations sign in with their own logins. Roles are the server's, not the
database's: once the database is dropped, drop its roles too (``DATABASE_*`` and ``DATABASE.*``). It is
a benchmark: it prints figures and exits 0 even when they miss the targets (``--strict`` exits 1).
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import datetime as dt
import json
import multiprocessing as mp
import random
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Any

AS_OF = dt.date(2026, 6, 30)
ADMIN = "load-admin"
PASSWORD = "load test password 1"  # the load test's own synthetic database only
HOT_CASES = 6
TARGETS = {"lost_updates": 0, "p95_save_ms": 100.0, "p95_refresh_ms": 2000.0}
#: How long every workstation has to sign in and start listening before the clock starts.
READY_SECONDS = 180.0
#: After the last save, how long a workstation may take to hear every change made elsewhere.
DRAIN_SECONDS = 30.0


def client_name(n: int) -> str:
    return f"load{n:02d}"


# -- set-up -----------------------------------------------------------------------------------


def prepare(url: str, clients: int, demo_years: int = 3) -> list[str]:
    """The facility (set up if the database is empty: ``demo_years`` of a synthetic demo facility's
    records), a user and a meeting per client; the hot cases."""
    import sqlalchemy as sa

    from app.demo.generator import DemoOptions, generate_demo
    from app.security.signin import SignInFailed, create_database, sign_in
    from app.services import meetings, users
    from app.storage.database import create_db_engine
    from app.storage.models import Case, Staff

    engine = create_db_engine(url)
    try:
        with engine.connect() as connection:
            empty = not sa.inspect(connection).get_table_names()
    finally:
        engine.dispose()
    if empty:
        db, _ = create_database(url, ADMIN, PASSWORD,
                                build=lambda d: generate_demo(d, DemoOptions(years=demo_years, seed=11, as_of=AS_OF)))
    else:
        try:
            db = sign_in(url, ADMIN, PASSWORD)
        except SignInFailed:
            raise SystemExit("bench.load: that database was not set up by the load test; give it an empty one") from None
    try:
        existing = {u.name for u in users.list_users(db)}
        with db.reader() as session:
            staff_id = session.scalars(sa.select(Staff.staff_id).order_by(Staff.staff_id)).first()
            hot = list(session.scalars(sa.select(Case.case_id).where(Case.status == "pending")
                                       .order_by(Case.case_id).limit(HOT_CASES)))
        planned = {m.meeting_id for m in meetings.list_meetings(db)}
        for n in range(clients):
            name = client_name(n)
            if name not in existing:
                users.add_user(db, name, "coordinator", PASSWORD)
            meeting_id = f"LOAD-{name}"
            if meeting_id not in planned:
                meetings.save_meeting(db, meeting_id, AS_OF, "virtual", f"Load test {name}")
                meetings.save_attendance(db, meeting_id, "attendee", staff_id)
        return hot
    finally:
        db.dispose()


def snapshot_cases(url: str, case_ids: list[str]) -> dict[str, tuple[int, str]]:
    """(version, note) of each case, read directly."""
    import sqlalchemy as sa

    from app.storage.database import create_db_engine
    from app.storage.models import Case

    engine = create_db_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(sa.select(Case.case_id, Case.version, Case.note)
                                      .where(Case.case_id.in_(case_ids)))
            return {cid: (version, note or "") for cid, version, note in rows}
    finally:
        engine.dispose()


# -- one workstation --------------------------------------------------------------------------


@dataclass
class Attempt:
    """One save: the records and versions it was based on, and what happened."""

    kind: str
    bases: list[tuple[str, int]]  # (record, version it was based on)
    outcome: str  # saved / conflict / error:<type>
    ms: float
    token: str | None = None
    change_set: str | None = None
    saved_at: float | None = None  # wall clock just after it returned


@dataclass
class ClientReport:
    name: str
    attempts: list[Attempt] = field(default_factory=list)
    reads_ms: dict[str, list[float]] = field(default_factory=dict)
    heard: list[tuple[str, float]] = field(default_factory=list)  # (change set, wall clock)
    failed: str | None = None
    #: after the last save anywhere, how long until this watcher had heard every change made elsewhere
    drain_ms: float | None = None


def _client(n: int, url: str, hot: list[str], ready: Any, start: Any, finished: Any, deadline_in: float,
            think_ms: float, results: Any) -> None:
    report = ClientReport(client_name(n))
    signalled = threading.Event()

    def say_ready() -> None:
        if not signalled.is_set():
            signalled.set()
            ready.release()

    try:
        _work(n, url, hot, say_ready, start, finished, deadline_in, think_ms, report)
    except Exception as exc:  # noqa: BLE001 - reported in the figures, never a traceback per process
        report.failed = f"{type(exc).__name__}: {exc}"
    say_ready()  # a workstation that failed to start does not hold the others up
    results.put(dataclasses.asdict(report))


def _drain(db: Any, since: int, heard: Any) -> float | None:
    """Wait until the watcher has heard every change set committed elsewhere after audit entry
    ``since`` (the audit log says which), for at most ``DRAIN_SECONDS``; the milliseconds it took,
    or None when some are still unheard then (``reconcile`` counts them)."""
    import sqlalchemy as sa

    from app.storage.models import AuditEntry

    began = time.monotonic()
    with db.reader() as session:
        expected = {cs for cs in session.scalars(sa.select(AuditEntry.change_set).distinct()
                                                 .where(AuditEntry.id > since)) if cs and cs not in db.own}
    while not expected <= heard():
        if time.monotonic() - began > DRAIN_SECONDS:
            return None
        time.sleep(0.05)
    return (time.monotonic() - began) * 1000


def _work(n: int, url: str, hot: list[str], say_ready: Any, start: Any, finished: Any, deadline_in: float,
          think_ms: float, report: ClientReport) -> None:
    from app.security.signin import sign_in
    from app.services.editing import Conflict
    from app.services.register import RegisterQuery, fetch_page
    from app.storage import audit
    from app.storage.watch import ChangeWatcher

    db = sign_in(url, report.name, PASSWORD)
    heard_lock = threading.Lock()

    class Listening(ChangeWatcher):
        """The app's watcher, noting when it heard each change set another workstation committed."""

        def _announce(self, change_sets):  # type: ignore[no-untyped-def]
            now = time.time()
            with heard_lock:
                report.heard.extend((cs, now) for cs in change_sets if cs and cs not in self.db.own)
            super()._announce(change_sets)

    def heard() -> set[str]:
        with heard_lock:
            return {cs for cs, _ in report.heard}

    watcher = Listening(db).start()
    if not watcher.listening.wait(READY_SECONDS):
        raise RuntimeError("its change watcher never started listening")
    with db.reader() as session:
        since = audit.last_entry(session)  # every change set committed after this entry is to be heard
    everyone = [cid for cid, *_ in fetch_page(db, RegisterQuery(statuses=("pending",)), 0, 400)]
    say_ready()

    def timed_read(what: str, work: Any) -> None:
        t0 = time.perf_counter()
        work()
        report.reads_ms.setdefault(what, []).append((time.perf_counter() - t0) * 1000)

    def attempt(kind: str, bases: list[tuple[str, int]], token: str | None, save: Any, *args: Any,
                **kwargs: Any) -> None:
        t0 = time.perf_counter()
        try:
            save(*args, **kwargs)
        except Conflict:
            outcome = "conflict"
        except Exception as exc:  # noqa: BLE001 - counted as an error in the figures
            outcome = f"error:{type(exc).__name__}"
        else:
            outcome = "saved"
        ms = (time.perf_counter() - t0) * 1000
        saved = outcome == "saved"
        report.attempts.append(Attempt(kind, bases, outcome, ms, token, db.own.latest() if saved else None,
                                       time.time() if saved else None))

    start.wait()
    deadline = time.monotonic() + deadline_in
    try:
        _act(n, db, hot, everyone, deadline, think_ms, report, timed_read, attempt)
    finally:
        # everybody keeps listening until every workstation's last save has been heard
        with contextlib.suppress(threading.BrokenBarrierError):
            finished.wait(timeout=deadline_in + 60)
        try:
            report.drain_ms = _drain(db, since, heard)
        finally:
            watcher.stop()
            db.dispose()


def _act(n: int, db: Any, hot: list[str], everyone: list[str], deadline: float, think_ms: float,
         report: ClientReport, timed_read: Any, attempt: Any) -> None:
    """The workstation's mix until ``deadline``."""
    from app.services import cases, meetings
    from app.services.findings import evaluate_at
    from app.services.register import RegisterQuery, count_cases, fetch_page

    rng = random.Random(n)
    meeting_id = f"LOAD-{report.name}"
    counter = 0
    while time.monotonic() < deadline:
        counter += 1
        roll = rng.random()
        if roll < 0.20:
            timed_read("register", lambda: (count_cases(db, RegisterQuery()),
                                            fetch_page(db, RegisterQuery(), 0, 100)))
        elif roll < 0.35:
            query = RegisterQuery(search=rng.choice("0123456789"), statuses=("pending",), projects=("breast", "lung"))
            timed_read("filter", lambda q=query: (count_cases(db, q), fetch_page(db, q, 0, 100)))
        elif roll < 0.70:  # correct a case: read it, the form is open a moment, save
            case_id = rng.choice(hot) if rng.random() < 0.35 else rng.choice(everyone)
            record = cases.get_case(db, case_id)
            time.sleep(rng.uniform(0, think_ms / 3) / 1000)
            token = f"[{report.name}.{counter}]"
            changed = dataclasses.replace(record, note=f"{record.note or ''}{token}")
            attempt("case", [(case_id, record.version)], token, cases.save_case, db, changed, original_id=case_id)
        elif roll < 0.82:
            row = meetings.list_attendance(db, meeting_id)[0]
            credit = None if row.ce_credit else rng.choice(("mdcb", "arrt", "asrt"))
            attempt("attendance", [(f"attendance {row.id}", row.version)], None, meetings.save_attendance, db,
                    meeting_id, row.role, row.staff_id, credit, attendance_id=row.id, version=row.version)
        elif roll < 0.95:  # the register's bulk status change on two hot cases as it showed them
            chosen = rng.sample(hot, 2)
            shown = {cid: cases.get_case(db, cid) for cid in chosen}
            versions = {cid: record.version for cid, record in shown.items()}
            statuses = {record.status for record in shown.values()}
            if len(statuses) == 1:  # both flip, so the change is a real one (a no-op saves nothing)
                time.sleep(rng.uniform(0, think_ms / 3) / 1000)
                status, reason = ("not_enrolled", "declined") if statuses == {"pending"} else ("pending", None)
                attempt("bulk", sorted(versions.items()), None, cases.set_status, db, chosen, status,
                        reason=reason, versions=versions)
        else:
            timed_read("evaluation", lambda: evaluate_at(db, AS_OF))
        time.sleep(rng.expovariate(1000 / think_ms))


# -- reconciliation ---------------------------------------------------------------------------


def _p(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def reconcile(reports: list[ClientReport], start: dict[str, tuple[int, str]],
              final: dict[str, tuple[int, str]]) -> dict[str, Any]:
    attempts = [a for r in reports for a in r.attempts]
    saved = [a for a in attempts if a.outcome == "saved"]
    # Who succeeded from which version of which record
    winners: dict[tuple[str, int], list[int]] = {}
    for i, a in enumerate(attempts):
        if a.outcome == "saved":
            for base in a.bases:
                winners.setdefault(tuple(base), []).append(i)
    provoked = sum(1 for i, a in enumerate(attempts)
                   if any(j != i for base in a.bases for j in winners.get(tuple(base), [])))
    detected = sum(1 for a in attempts if a.outcome == "conflict")
    doubled = sum(len(w) - 1 for w in winners.values() if len(w) > 1)
    missing = sum(1 for a in saved if a.token and a.bases[0][0] in final and a.token not in final[a.bases[0][0]][1])
    chain_broken = []
    for case_id, (version, _) in final.items():
        moves = sum(1 for a in saved for record, _ in a.bases if record == case_id)
        if case_id in start and version - start[case_id][0] != moves:
            chain_broken.append(case_id)
    heard: dict[str, list[tuple[str, float]]] = {}
    for r in reports:
        for change_set, at in r.heard:
            heard.setdefault(change_set, []).append((r.name, at))
    refresh, unheard = [], 0
    listeners = [r.name for r in reports if r.failed is None]
    for r in reports:
        for a in r.attempts:
            if a.outcome != "saved" or a.change_set is None or a.saved_at is None:
                continue
            by = {name: at for name, at in heard.get(a.change_set, [])}
            for other in listeners:
                if other == r.name:
                    continue
                if other in by:
                    refresh.append(max(0.0, by[other] - a.saved_at) * 1000)
                else:
                    unheard += 1
    reads: dict[str, list[float]] = {}
    for r in reports:
        for what, values in r.reads_ms.items():
            reads.setdefault(what, []).extend(values)
    save_ms = [a.ms for a in saved]
    drains = [r.drain_ms for r in reports if r.failed is None]
    return {
        "clients": len(reports),
        "clients_failed": [f"{r.name}: {r.failed}" for r in reports if r.failed],
        "attempts": len(attempts),
        "saves": len(saved),
        "saves_by_kind": {k: sum(1 for a in saved if a.kind == k) for k in ("case", "attendance", "bulk")},
        "errors": sum(1 for a in attempts if a.outcome.startswith("error")),
        "error_kinds": sorted({a.outcome for a in attempts if a.outcome.startswith("error")}),
        "conflicts_provoked": provoked,
        "conflicts_detected": detected,
        "lost_updates": doubled + missing + len(chain_broken),
        "p50_save_ms": _p(save_ms, 0.50),
        "p95_save_ms": _p(save_ms, 0.95),
        "p50_refresh_ms": _p(refresh, 0.50),
        "p95_refresh_ms": _p(refresh, 0.95),
        "notices_unheard": unheard,
        "drain_ms_max": None if None in drains else max(drains, default=None),
        "p95_read_ms": {what: _p(values, 0.95) for what, values in sorted(reads.items())},
    }


def meets_targets(figures: dict[str, Any]) -> bool:
    return (figures["lost_updates"] == 0 and figures["conflicts_detected"] == figures["conflicts_provoked"]
            and not figures["clients_failed"] and figures["notices_unheard"] == 0
            and (figures["p95_save_ms"] or 0) < TARGETS["p95_save_ms"]
            and (figures["p95_refresh_ms"] or 0) < TARGETS["p95_refresh_ms"])


#: What every workstation loads before it signs in (``_work``'s imports): loaded once by the fork
#: server rather than once per workstation (20 interpreters importing them at once on a 2-core
#: machine took about 20 s before the clock could start).
WORKSTATION_MODULES = ["app.security.signin", "app.services.editing", "app.services.register", "app.storage.audit",
                       "app.storage.watch", "psycopg", "sqlalchemy.dialects.postgresql.psycopg"]


def workstation_processes() -> Any:
    """Where each workstation's process comes from: a fork server (a clean interpreter started for
    this purpose, which has loaded the app's modules and opened nothing) forks one per workstation,
    so each has its own process, connections and memory, as on separate machines, without each
    loading Python and the app again. ``spawn`` where ``fork`` does not exist."""
    if "forkserver" not in mp.get_all_start_methods():
        return mp.get_context("spawn")
    context = mp.get_context("forkserver")
    context.set_forkserver_preload([__name__ if __name__ != "__main__" else "bench.load", *WORKSTATION_MODULES])
    return context


def run(url: str, clients: int, seconds: float, think_ms: float = 150.0, demo_years: int = 3) -> dict[str, Any]:
    hot = prepare(url, clients, demo_years)
    context = workstation_processes()
    ready, start, finished = context.Semaphore(0), context.Event(), context.Barrier(clients)
    results = context.Queue()
    processes = [context.Process(target=_client, args=(n, url, hot, ready, start, finished, seconds, think_ms,
                                                       results), daemon=True)
                 for n in range(clients)]
    for p in processes:
        p.start()
    waiting = time.monotonic()
    # sign-ins (Argon2) and watchers first, then all at once: a slow start only waits longer
    signed_in = sum(ready.acquire(timeout=max(0.0, READY_SECONDS - (time.monotonic() - waiting))) for _ in processes)
    ready_seconds = time.monotonic() - waiting
    before = snapshot_cases(url, hot)  # the others' first versions come from the attempts below
    began = time.monotonic()
    start.set()
    raw = [results.get(timeout=seconds + READY_SECONDS + DRAIN_SECONDS + 120) for _ in processes]
    for p in processes:
        p.join(10)
    reports = [ClientReport(r["name"], [Attempt(**{**a, "bases": [tuple(b) for b in a["bases"]]})
                                        for a in r["attempts"]], r["reads_ms"], [tuple(h) for h in r["heard"]],
                            r["failed"], r["drain_ms"]) for r in raw]
    cases = [a for r in reports for a in r.attempts if a.kind in ("case", "bulk")]
    # a case only the random corrections touched was not read before the start: its first
    # version is the lowest any attempt was based on (each a read of the database at the time)
    first_seen: dict[str, int] = {}
    for a in cases:
        for record, version in a.bases:
            if record not in before:
                first_seen[record] = min(version, first_seen.get(record, version))
    start_versions = {**before, **{record: (version, "") for record, version in first_seen.items()}}
    final = snapshot_cases(url, sorted(start_versions))
    figures = reconcile(reports, start_versions, final)
    figures["seconds"] = seconds
    figures["ready_seconds"] = round(ready_seconds, 1)
    if signed_in < clients:
        figures["clients_failed"].append(f"{clients - signed_in} not listening after {READY_SECONDS:g} s")
    figures["wall_seconds"] = round(time.monotonic() - began, 1)
    figures["saves_per_second"] = round(figures["saves"] / seconds, 1)
    figures["meets_targets"] = meets_targets(figures)
    return figures


def _print(figures: dict[str, Any]) -> None:
    def ms(value: float | None) -> str:
        return "—" if value is None else f"{value:.1f} ms"

    print(f"every workstation listening {figures['ready_seconds']:g} s after launch; then the clock started")
    print(f"{figures['clients']} workstations for {figures['seconds']:g} s: {figures['saves']} saves "
          f"({figures['saves_per_second']}/s; cases {figures['saves_by_kind']['case']}, attendance "
          f"{figures['saves_by_kind']['attendance']}, bulk {figures['saves_by_kind']['bulk']}), "
          f"{figures['errors']} errors {figures['error_kinds'] or ''}")
    print(f"conflicts provoked {figures['conflicts_provoked']}, detected {figures['conflicts_detected']}; "
          f"lost updates {figures['lost_updates']}")
    print(f"save p50 {ms(figures['p50_save_ms'])}, p95 {ms(figures['p95_save_ms'])}; another workstation heard it "
          f"p50 {ms(figures['p50_refresh_ms'])}, p95 {ms(figures['p95_refresh_ms'])}; "
          f"{figures['notices_unheard']} notices never heard")
    drained = figures["drain_ms_max"]
    print(f"every workstation heard every change made elsewhere within {ms(drained)} of the last save"
          if drained is not None else f"some workstation had not heard every change {DRAIN_SECONDS:g} s after the "
          "last save")
    reads = ", ".join(f"{what} {ms(value)}" for what, value in figures["p95_read_ms"].items())
    print(f"reads p95: {reads}")
    for failure in figures["clients_failed"]:
        print(f"client failed: {failure}")
    print("targets (0 lost, detected = provoked, p95 save < 100 ms, p95 refresh < 2 s): "
          f"{'met' if figures['meets_targets'] else 'NOT met'}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.split("\n\n")[0])
    parser.add_argument("--db-url", required=True, help="the load test's own database (empty, or set up by it)")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--think-ms", type=float, default=150.0, help="mean pause between a workstation's actions")
    parser.add_argument("--json", action="store_true", help="the figures as one JSON object")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)
    if args.clients < 2 or args.seconds <= 0:
        print("bench.load: need at least 2 clients and a positive duration", file=sys.stderr)
        return 2
    figures = run(args.db_url, args.clients, args.seconds, args.think_ms)
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        _print(figures)
    return 1 if args.strict and not figures["meets_targets"] else 0


if __name__ == "__main__":
    sys.exit(main())
