"""What is true at an as-of date, evaluated once per (as-of date, data version).

The Dashboard, Findings, Programs, the Staff warnings and Correspondence all speak of the same
date; loading a full snapshot for each of them said the same thing several times, slowly, and
let a screen built earlier keep an older policy than its neighbours. An ``EvaluationCache`` is the
one owner of "what is true at D" for a window: the window's change hub (``ui.hub``) makes one and
shares it, and ``app.services.findings.evaluate_at`` then answers from it.

The data version is a counter every committed change of facility data bumps: the database tells
its listeners of every commit, here or (through ``app.storage.watch``) at another workstation,
and names the tables written (``app.storage.changes``). An evaluation is kept under the version
read *before* it started, so one that raced a commit is never served after that commit.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from app.rules.correspondence import due_date, letter_status
from app.rules.policy_file import PolicyInForce
from app.rules.snapshot import Letter
from app.services.findings import (
    Evaluation,
    evaluate_fresh,
    share_evaluations,
    shared_evaluations,
    stop_sharing_evaluations,
)
from app.services.letters import LetterRow, list_letters
from app.services.policies import policy_in_force
from app.storage.changes import DataChanged
from app.storage.database import Database

if TYPE_CHECKING:
    from app.services.quality import QualityReport

#: As-of dates kept per data version: the window's date, the digest's today and a date or two
#: the coordinator steps through; each evaluation is a few aggregates, never a row per case.
KEEP_DATES = 4
#: Date-free parts of reports kept per data version (``kept``): a few per rule file in force.
KEEP_PARTS = 8

Key = tuple[dt.date, int]
T = TypeVar("T")


class EvaluationCache:
    """One evaluation per (as-of date, data version) of one database, safe to read from the
    background worker and the GUI thread at once (a second reader of a date being evaluated waits
    for that evaluation instead of starting its own)."""

    def __init__(self, db: Database, evaluate: Callable[[Database, dt.date], Evaluation] = evaluate_fresh,
                 *, keep: int = KEEP_DATES) -> None:
        self.db = db
        self._evaluate = evaluate
        self._keep = keep
        self._version = 0
        self._lock = threading.Lock()
        self._evaluations: OrderedDict[Key, Evaluation] = OrderedDict()
        self._in_force: dict[Key, PolicyInForce] = {}
        self._busy: dict[Key, threading.Lock] = {}
        #: other evaluations of a date kept the same way (``report``: the data-quality report)
        self._reports: OrderedDict[tuple[str, dt.date, int], object] = OrderedDict()
        self._reports_busy: dict[tuple[str, dt.date, int], threading.Lock] = {}
        #: what a report reads of the data alone, whatever its date (``kept``)
        self._kept: OrderedDict[tuple[str, Hashable, int], object] = OrderedDict()
        #: evaluations made (not served from the cache): what a test or the benchmark counts
        self.evaluated = 0
        self._closed = False  # closed: no longer hears of changes, so keeps nothing
        self._unsubscribe = db.subscribe(self.changed)

    @property
    def data_version(self) -> int:
        """Bumped by every committed change of facility data (sign-ins and exports do not count)."""
        return self._version

    def changed(self, change: DataChanged) -> None:
        """A change committed (from any thread): nothing evaluated before it is served again."""
        if not change.facility_data:
            return
        with self._lock:
            self._version += 1
            self._evaluations.clear()
            self._in_force.clear()
            self._busy.clear()
            self._reports.clear()
            self._reports_busy.clear()
            self._kept.clear()

    def evaluation(self, as_of: dt.date) -> Evaluation:
        """What is true at ``as_of`` on the data as it stands: evaluated once per data version."""
        if self._closed:
            return self._evaluate(self.db, as_of)
        with self._lock:
            key = (as_of, self._version)
            found = self._evaluations.get(key)
            if found is not None:
                self._evaluations.move_to_end(key)
                return found
            busy = self._busy.setdefault(key, threading.Lock())
        with busy:  # a concurrent reader of the same key waits here, then finds it kept
            with self._lock:
                found = self._evaluations.get(key)
            if found is not None:
                return found
            result = self._evaluate(self.db, as_of)
            with self._lock:
                self.evaluated += 1
                if key[1] == self._version and not self._closed:  # a commit meanwhile: serve it to this caller only
                    self._evaluations[key] = result
                    while len(self._evaluations) > self._keep:
                        self._evaluations.popitem(last=False)
                self._busy.pop(key, None)
        return result

    def report(self, name: str, as_of: dt.date, compute: Callable[[Database, dt.date], T]) -> T:
        """``compute(db, as_of)`` once per (``name``, as-of date, data version), as ``evaluation``
        is: the Dashboard's readiness tile and the Data quality screen read one data-quality report
        of a date, not one each."""
        if self._closed:
            return compute(self.db, as_of)
        with self._lock:
            key = (name, as_of, self._version)
            if key in self._reports:
                self._reports.move_to_end(key)
                return self._reports[key]  # type: ignore[return-value]
            busy = self._reports_busy.setdefault(key, threading.Lock())
        with busy:  # a concurrent reader of the same key waits here, then finds it kept
            with self._lock:
                if key in self._reports:
                    return self._reports[key]  # type: ignore[return-value]
            result = compute(self.db, as_of)
            with self._lock:
                if key[2] == self._version and not self._closed:  # a commit meanwhile: this caller's only
                    self._reports[key] = result
                    while len(self._reports) > self._keep:
                        self._reports.popitem(last=False)
                self._reports_busy.pop(key, None)
        return result

    def kept(self, name: str, key: Hashable, compute: Callable[[], T]) -> T:
        """``compute()``, once per (``name``, ``key``, data version): what a report reads of the data
        alone, the same at every as-of date (a data-quality pass's repeated MRNs and doses out of
        range: a third of the pass at 200,000 cases), so stepping the date does not read it again.
        ``key`` names what else the value depends on (the rules it was read for)."""
        if self._closed:
            return compute()
        with self._lock:
            full = (name, key, self._version)
            if full in self._kept:
                self._kept.move_to_end(full)
                return self._kept[full]  # type: ignore[return-value]
        value = compute()
        with self._lock:
            if full[2] == self._version and not self._closed:  # a commit meanwhile: this caller's only
                self._kept[full] = value
                while len(self._kept) > KEEP_PARTS:
                    self._kept.popitem(last=False)
        return value

    def kept_report(self, name: str, as_of: dt.date) -> object | None:
        """The ``report`` of (``name``, ``as_of``) on the data as it stands if it is kept, else None
        (never computed here)."""
        with self._lock:
            return None if self._closed else self._reports.get((name, as_of, self._version))

    def in_force(self, as_of: dt.date) -> PolicyInForce:
        """The policy ``as_of`` is judged by: the evaluation's own when that date is evaluated,
        else resolved once per data version (a screen that needs only the policy does not pay for
        a whole evaluation)."""
        with self._lock:
            key = (as_of, self._version)
            kept = self._evaluations.get(key)
            if kept is not None:
                return kept.in_force
            found = self._in_force.get(key)
        if found is not None:
            return found
        resolved = policy_in_force(self.db, as_of)
        with self._lock:
            if key[1] == self._version and not self._closed:
                self._in_force[key] = resolved
        return resolved

    def share(self) -> EvaluationCache:
        """Make this the database's evaluation for every ``evaluate_at`` of this process."""
        share_evaluations(self)
        return self

    def close(self) -> None:
        """The window closes: stop hearing of changes and stop serving evaluations."""
        self._unsubscribe()
        stop_sharing_evaluations(self)
        with self._lock:
            self._closed = True
            self._evaluations.clear()
            self._in_force.clear()
            self._reports.clear()
            self._kept.clear()


def quality_at(db: Database, as_of: dt.date) -> QualityReport:
    """The data-quality report at ``as_of`` (``app.services.quality.evaluate_quality``): the
    window's when its evaluation cache keeps one of this date and data version, else made now.
    At 200,000 cases it takes most of a second; the Dashboard's readiness tile has usually made
    it already when Data quality is opened."""
    from app.services.quality import evaluate_quality

    shared = shared_evaluations(db)
    if isinstance(shared, EvaluationCache):
        return shared.report("quality", as_of, evaluate_quality)
    return evaluate_quality(db, as_of)


def kept_quality(db: Database, as_of: dt.date) -> QualityReport | None:
    """The data-quality report at ``as_of`` if the window keeps it for the data as it stands, else
    None: for a screen that shows it at once when it is there and otherwise asks for it apart."""
    shared = shared_evaluations(db)
    return shared.kept_report("quality", as_of) if isinstance(shared, EvaluationCache) else None  # type: ignore[return-value]


def in_force_at(db: Database, as_of: dt.date) -> PolicyInForce:
    """The policy in force at ``as_of``: the window's evaluation cache's when it keeps one for this
    database, else read now (``app.services.policies.policy_in_force``)."""
    shared = shared_evaluations(db)
    return shared.in_force(as_of) if isinstance(shared, EvaluationCache) else policy_in_force(db, as_of)


@dataclass(frozen=True)
class LetterStanding:
    """A letter and where it stood at the as-of date: its reply due date and status by the policy
    in force then, read exactly as QIP-CORR-NORESPONSE reads them (``app.rules.correspondence``)."""

    letter: LetterRow
    #: None when no reply is needed
    due: dt.date | None
    status: str


def letters_at(db: Database, as_of: dt.date) -> tuple[PolicyInForce, list[LetterStanding]]:
    """Every letter (newest first) with its due date and status at ``as_of``, and the policy in
    force then that decided them (its ``reply_days`` is the default reply time the form names)."""
    in_force = in_force_at(db, as_of)
    policy = in_force.policy
    standings = []
    for row in list_letters(db):
        letter = Letter(row.received_on, row.subject, row.reply_required, row.due_on, row.replied_on)
        standings.append(LetterStanding(row, due_date(letter, policy) if letter.reply_required else None,
                                        letter_status(letter, policy, as_of)))
    return in_force, standings
