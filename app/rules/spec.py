"""A rule as one declaration: what a rule module says about itself so nothing else lists it.

A ``RuleSpec`` is one rule function with the rule IDs it emits (``RuleEntry``: kind, title, what
to do next, onset key), its measure, its forecasts and the Dashboard tiles it feeds
(``TileSpec``). Each rule module declares its specs beside its functions; ``app.rules.engine``
only collects them, and every list that once repeated the rules (``RULES``, ``MEASURED``,
``FORECASTS``, ``CATALOGUE``, the next steps, the review onsets, the Dashboard's tiles) is derived
from them. Adding a rule is then its module (and its policy numbers, tests and docs), nothing more.

A tile's figure is a typed value (``Figure``: numbers, codes, a date), never words: the wording of
the Dashboard (``app.services.dashboard_words``) renders it in the facility's date format.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from app.rules.findings import Finding
from app.rules.forecast import Forecast
from app.rules.measures import Measure, Measures
from app.rules.policy_file import Policy
from app.rules.snapshot import FacilitySnapshot

#: The kinds of rule, in the order findings are listed (and the catalogue with them).
KINDS: tuple[str, ...] = ("qip", "attendance", "ce", "participation")

Evaluate = Callable[[FacilitySnapshot, Policy, dt.date], list[Finding]]
MeasureRule = Callable[[FacilitySnapshot, Policy, dt.date], list[Measure]]
ForecastRule = Callable[[FacilitySnapshot, Policy, dt.date], list[Forecast]]


class RuleSpecError(ValueError):
    """A rule declared without one of its parts (the message names the rule and the part)."""


class Evaluated(Protocol):
    """What a tile reads: one evaluation at an as-of date (``app.services.findings.Evaluation``)."""

    @property
    def as_of(self) -> dt.date: ...

    @property
    def policy(self) -> Policy: ...

    @property
    def snapshot(self) -> FacilitySnapshot: ...

    @property
    def findings(self) -> list[Finding]: ...

    @property
    def measures(self) -> Measures: ...


# --- a tile's figure, as values -------------------------------------------------------------------

@dataclass(frozen=True)
class Count:
    """One number: "3"."""

    value: int


@dataclass(frozen=True)
class OutOf:
    """A number against the one expected: "2 of 150"."""

    value: int
    limit: int


@dataclass(frozen=True)
class Versus:
    """This year's number against last year's: "12 vs 15"."""

    value: int
    against: int


@dataclass(frozen=True)
class PerSubject:
    """A number per project or role, by code: "Breast: 0  Lung: 42"."""

    values: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class Vacant:
    """The required roles nobody holds (none: "all held")."""

    roles: tuple[str, ...]


@dataclass(frozen=True)
class JoinsOn:
    """The facility is not a member yet at the as-of date: the day it joins."""

    day: dt.date


@dataclass(frozen=True)
class NoFigure:
    """No figure to give, and the short phrase that says why ("no active project")."""

    reason: str


@dataclass(frozen=True)
class NotEnoughHistory:
    """The rule's window reaches back before the day the facility's records are kept since: no
    figure yet, and the day its records begin."""

    since: dt.date


Figure = Count | OutOf | Versus | PerSubject | Vacant | JoinsOn | NoFigure | NotEnoughHistory


# --- the declarations ---------------------------------------------------------------------------

@dataclass(frozen=True)
class RuleEntry:
    """One rule ID as coordinators meet it: its kind, what it checks (the catalogue's title), the
    one line on what to do next shown with each of its findings, and (``onset``) the evidence key
    whose date starts a firing spell, for the rules whose reviews follow a spell
    (``app.services.reviews``)."""

    id: str
    kind: str
    title: str
    next_step: str
    onset: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise RuleSpecError(f"{self.id}: kind {self.kind!r} is not one of {', '.join(KINDS)}")
        if not self.title.strip():
            raise RuleSpecError(f"{self.id}: no title")
        if not self.next_step.strip() or "\n" in self.next_step or not self.next_step.endswith("."):
            raise RuleSpecError(f"{self.id}: the next step must be one line ending with a full stop")


@dataclass(frozen=True)
class TileSpec:
    """A Dashboard tile fed by a rule: its title, its figure (None: no tile at that date) and the
    sentence on its threshold (the tooltip). Its state is ``rule``'s findings (or ``state`` for a
    tile standing for a family of rules), else *close* by ``rule``'s forecasts; ``name`` is the
    tile's own ID when it stands for a family (``ATT-*``). ``counts`` is the one line under the
    tile on what it counts and where that is entered, so a coordinator knows what moves it."""

    rule: str
    title: str
    figure: Callable[[Evaluated], Figure | None]
    detail: Callable[[Evaluated], str]
    name: str | None = None
    state: Callable[[Evaluated], str] | None = None
    counts: str = ""

    def __post_init__(self) -> None:
        if self.counts and ("\n" in self.counts or not self.counts.endswith(".")):
            raise RuleSpecError(f"{self.id}: the tile {self.title!r} says what it counts in one line ending with a "
                                "full stop")

    @property
    def id(self) -> str:
        """What the tile is known by (its rule, or its family): a click opens those findings."""
        return self.name or self.rule


@dataclass(frozen=True)
class RuleSpec:
    """One rule function and everything that hangs on it: the IDs it emits, its measure (the
    figure compared with the threshold, rules with one), its forecasts (how far from firing) and
    the Dashboard tiles it feeds."""

    rules: tuple[RuleEntry, ...]
    evaluate: Evaluate
    measure: MeasureRule | None = None
    forecasts: tuple[ForecastRule, ...] = ()
    tiles: tuple[TileSpec, ...] = ()

    def __post_init__(self) -> None:
        name = getattr(self.evaluate, "__name__", repr(self.evaluate))
        if not self.rules:
            raise RuleSpecError(f"{name}: no rule ID")
        if self.measure is not None and not self.forecasts:
            raise RuleSpecError(f"{name}: a measured rule needs its forecast")
        ids = self.ids
        for tile in self.tiles:
            if tile.rule not in ids:
                raise RuleSpecError(f"{name}: the tile {tile.title!r} follows {tile.rule}, not one of its rules")

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(r.id for r in self.rules)
