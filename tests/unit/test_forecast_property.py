"""A property of every forecast, over random facilities (demo facilities of several seeds, each
with records up to its own last day) and random as-of dates D from that day on: a rule forecast to
fire does fire.

"If nothing changes" is then literally true of the database (nothing is dated after its last day),
so the rule can be judged at any later day on the snapshot loaded for that day:

* ``fires_on`` after D: the rule fires for that subject on ``fires_on`` and not the day before —
  nothing fires earlier than the date the tile gives;
* ``fires_on`` equal to D (distance 0, "fired"): the rule fires for that subject at D;
* never a ``fires_on`` before D.
"""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.demo.generator import DemoOptions, generate_demo
from app.rules import engine, enrollment, roles
from app.services.findings import load_snapshot
from tests.template import copy_of

#: each demo facility's seed and the last day of its records
DEMOS = ((3, dt.date(2025, 6, 30)), (7, dt.date(2024, 2, 14)), (11, dt.date(2026, 11, 20)))
ONE = dt.timedelta(days=1)


class Facilities(list):
    """The open demo databases; said in one word when a failing example is printed (a database's
    fields include its key)."""

    def __repr__(self) -> str:
        return f"<{len(self)} demo facilities {DEMOS}>"

    _repr_pretty_ = lambda self, printer, cycle: printer.text(repr(self))  # noqa: E731 - hypothesis's printer


@pytest.fixture(scope="module")
def facilities(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """Three demo facilities (different seeds and last days, three years each), open."""
    opened = Facilities()
    for seed, last in DEMOS:
        path = tmp_path_factory.mktemp(f"forecast-{seed}") / "demo.sqlite3"
        opened.append(copy_of(path, f"forecast-demo-{seed}",
                              lambda db, s=seed, d=last: generate_demo(db, DemoOptions(years=3, seed=s, as_of=d))))
    yield opened
    for db in opened:
        db.dispose()


def fires(snapshot, policy, rule: str, subject: dict, day: dt.date) -> bool:  # type: ignore[no-untyped-def]
    """The rule's finding for ``subject`` at ``day`` (a trigger or violation; PART-* are warnings).
    A finding may name more than the forecast: the substitution limit is forecast for the champion
    and found for the champion at the meeting that went over it."""
    severity = ("warning",) if rule in (enrollment.RULE_VOLUME, roles.RULE_OPTIONAL) else ("trigger", "violation")
    return any(f.rule == rule and subject.items() <= f.subject.items() and f.severity in severity
               for f in engine.evaluate(snapshot, policy, day))


@settings(max_examples=40, deadline=None, database=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(which=st.integers(min_value=0, max_value=len(DEMOS) - 1), later=st.integers(min_value=0, max_value=200))
def test_a_rule_forecast_to_fire_fires_on_that_day(facilities, which: int, later: int) -> None:
    db, day = facilities[which], DEMOS[which][1] + dt.timedelta(days=later)
    snapshot, policy = load_snapshot(db, day)

    def fires_at(rule: str, subject: dict, on: dt.date) -> bool:
        at, policy_then = load_snapshot(db, on)
        return fires(at, policy_then, rule, subject, on)

    wrong = []
    for f in engine.forecast_all(snapshot, policy, day):
        if f.fires_on is None:
            continue
        where = f"{f.rule} {f.subject} at {day}: fires_on {f.fires_on} ({f.text})"
        if f.fires_on < day:
            wrong.append(f"{where}: before the as-of date")
        elif f.fires_on == day:
            if not fires(snapshot, policy, f.rule, f.subject, day):
                wrong.append(f"{where}: said to fire on the as-of date, and nothing fires")
        elif not fires_at(f.rule, f.subject, f.fires_on):
            wrong.append(f"{where}: does not fire that day")
        elif f.fires_on - ONE > day and fires_at(f.rule, f.subject, f.fires_on - ONE):
            wrong.append(f"{where}: already fires the day before")
    assert not wrong, "\n".join(wrong)
