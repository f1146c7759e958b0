"""A rule is one spec (``app.rules.spec``): every rule declares all its parts, each part names only
its own rules, and everything that once listed the rules is derived from the specs."""

from __future__ import annotations

import dataclasses
import datetime as dt
import importlib
import pkgutil

import pytest

import app.rules
from app.demo.generator import DemoOptions, generate_demo
from app.reports.evidence import next_step
from app.rules import engine, meetings
from app.rules.spec import KINDS, Count, RuleEntry, RuleSpec, RuleSpecError, TileSpec
from app.services import reviews
from app.services.findings import load_snapshot
from tests.template import copy_of
from tests.unit.rules_builders import AS_OF, POLICY, snapshot

D = dt.date


def test_every_catalogued_rule_has_a_kind_a_title_a_next_step_and_a_rule_function() -> None:
    evaluating = {entry.id: spec.evaluate for spec in engine.SPECS for entry in spec.rules}
    for rule, kind, title in engine.CATALOGUE:
        assert kind in KINDS and title.strip(), rule
        assert callable(evaluating[rule]) and evaluating[rule] in engine.RULES, rule
        step = next_step(rule)
        assert step and "\n" not in step and step.endswith("."), rule
    assert [rule for rule, *_ in engine.CATALOGUE] == [
        e.id for kind in KINDS for e in engine.ENTRIES.values() if e.kind == kind]
    assert len(engine.CATALOGUE) == len(engine.ENTRIES) == len(engine.NEXT_STEPS)


def test_every_spec_a_rule_module_declares_is_collected_by_the_engine() -> None:
    """Declaring a spec and forgetting its line in ``engine.SPECS`` fails here."""
    declared = []
    for info in pkgutil.iter_modules(app.rules.__path__):
        module = importlib.import_module(f"app.rules.{info.name}")
        declared += [(info.name, name) for name, value in vars(module).items()
                     if isinstance(value, RuleSpec) and value not in engine.SPECS]
    assert not declared, f"declared but not in engine.SPECS: {declared}"


def test_every_measured_rule_has_a_forecast_and_the_lists_follow_the_specs() -> None:
    assert tuple(spec.evaluate for spec in engine.SPECS) == engine.RULES
    assert tuple(spec.measure for spec in engine.SPECS if spec.measure) == engine.MEASURED
    assert tuple(f for spec in engine.SPECS for f in spec.forecasts) == engine.FORECASTS
    for spec in engine.SPECS:
        if spec.measure is not None:
            assert spec.forecasts, spec.ids
    # the rule functions' order is the findings', the measures' and the forecasts' (check --json)
    assert [f.__name__ for f in engine.FORECASTS] == [
        "zero_forecasts", "decline_forecasts", "selective_forecasts", "missed_forecasts", "substitution_forecasts",
        "lag_forecasts", "reply_forecasts", "vacancy_forecasts", "volume_forecasts"]


def test_the_review_onsets_and_the_tiles_come_from_the_specs() -> None:
    assert reviews.ONSET == {"QIP-ENR-ZERO": "window_start", "QIP-DATA-LAG": "last_activity",
                             "QIP-ROLE-VACANT": "vacant_since", "PART-ROLE-VACANT": "vacant_since"}
    assert {e.id: e.onset for e in engine.ENTRIES.values() if e.onset} == reviews.ONSET
    assert [t.id for t in engine.TILES] == [
        "QIP-ENR-ZERO", "QIP-ENR-DECLINE", "QIP-ENR-SELECTIVE", "QIP-MTG-MISSED", meetings.ATTENDANCE_TILE,
        "QIP-DATA-LAG", "QIP-CORR-NORESPONSE", "QIP-ROLE-VACANT", "PART-VOLUME"]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    path = tmp_path_factory.mktemp("specs") / "demo.sqlite3"
    db = copy_of(path, "forecast-demo-3", lambda db: generate_demo(db, DemoOptions(years=3, seed=3, as_of=AS_OF)))
    yield db
    db.dispose()


def test_each_part_of_a_spec_names_only_that_specs_rules(demo) -> None:  # type: ignore[no-untyped-def]
    """On a demo facility at several dates (and a hand-built one): a rule function's findings, its
    measures and its forecasts are all of the rule IDs its spec declares, of the declared kind."""
    seen: set[str] = set()
    cases = [(snapshot(), POLICY, AS_OF)]
    for day in (D(2024, 3, 31), D(2024, 12, 31), AS_OF):
        snap, policy = load_snapshot(demo, day)
        cases.append((snap, policy, day))
    for snap, policy, day in cases:
        for spec in engine.SPECS:
            for f in spec.evaluate(snap, policy, day):
                assert f.rule in spec.ids and f.kind == engine.ENTRIES[f.rule].kind, f
                seen.add(f.rule)
            measured = spec.measure(snap, policy, day) if spec.measure else []
            assert {m.rule for m in measured} <= set(spec.ids)
            forecast = {f.rule for fc in spec.forecasts for f in fc(snap, policy, day)}
            assert forecast <= set(spec.ids) and {m.rule for m in measured} <= forecast
    assert {"QIP-ENR-ZERO", "QIP-ENR-SELECTIVE", "QIP-CORR-NORESPONSE", "ENR-REASON-OTHER", "CE-VIRTUAL"} <= seen
    assert any(r.startswith("ATT-") for r in seen)  # not vacuous: the demo breaks most rules


def _entry(rule: str = "TEST-RULE", **changes) -> RuleEntry:  # type: ignore[no-untyped-def]
    fields = {"id": rule, "kind": "qip", "title": "A test rule", "next_step": "Do the next thing."} | changes
    return RuleEntry(**fields)


def _nothing(snapshot, policy, as_of):  # type: ignore[no-untyped-def]
    return []


@pytest.mark.parametrize(("build", "says"), [
    (lambda: _entry(kind="quality"), "kind 'quality'"),
    (lambda: _entry(title=" "), "no title"),
    (lambda: _entry(next_step=""), "next step"),
    (lambda: _entry(next_step="Two\nlines."), "next step"),
    (lambda: _entry(next_step="No full stop"), "next step"),
    (lambda: RuleSpec((), _nothing), "no rule ID"),
    (lambda: RuleSpec((_entry(),), _nothing, measure=_nothing), "needs its forecast"),
    (lambda: RuleSpec((_entry(),), _nothing, tiles=(TileSpec("OTHER", "A tile", lambda e: Count(1), lambda e: ""),)),
     "follows OTHER"),
])
def test_a_rule_missing_a_part_is_refused_with_the_rule_named(build, says) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(RuleSpecError, match=says) as caught:
        build()
    assert "TEST-RULE" in str(caught.value) or "_nothing" in str(caught.value)


def test_a_rule_id_declared_twice_is_refused() -> None:
    twice = dataclasses.replace(engine.SPECS[0])
    with pytest.raises(RuleSpecError, match="QIP-ENR-ZERO is declared twice"):
        engine._entries((engine.SPECS[0], twice))
