"""Load and check policy files, and say which one is in force at a date.

A policy file (``resources/policy/<year>.toml``, or one an administrator installed into the
database) holds every *(param)* of POLICY.md and says from which date it is in force
(``effective_from``) and what it supersedes. ``resolve_policy`` picks, from every file known, the
newest one in force at the as-of date: a pure function, so the Dashboard, ``check``, the self-audit
and Settings all say the same thing (``app.services.policies.policy_in_force`` is their way in).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal

from msgspec import Meta

from app.domain.vocabulary import NOT_ENROLLED_REASONS, PHYSICIAN_TITLES, PROJECTS
from app.paths import resource
from app.typed_toml import As, from_data, key, key_lines, read_text

__all__ = ["Policy", "PolicyFileError", "key_lines", "parse_policy", "read_policy_text"]


class PolicyFileError(ValueError):
    """A policy file that cannot be used; says which file, which key and on which line."""


# ---- how the policy's values are written (each key below names one of these) --------------------

def _must_be(what: str, found: Any) -> ValueError:
    return ValueError(f"must be {what} (found {found!r})")


def _text(required: bool) -> As:
    """Text in quotes, trimmed; ``required``: not empty."""
    def read(value: Any) -> str:
        if not isinstance(value, str):
            raise _must_be("text in quotes", value)
        if required and not value.strip():
            raise _must_be("some text", value)
        return value.strip()
    return As(read)


def _month_day(value: Any) -> str:
    if not isinstance(value, str):
        raise _must_be("text in quotes", value)
    try:
        dt.date.fromisoformat(f"2024-{value}")   # a leap year, so "02-29" is a month-day
    except ValueError:
        raise _must_be('a month-day such as "01-01"', value) from None
    return value


def _ratio(kind: type[Fraction] | type[Decimal], above_zero: bool) -> As:
    """A number written as text so it stays exact ("1/5", "0.84"), between 0 and 1."""
    def read(value: Any) -> Fraction | Decimal:
        if not isinstance(value, str):
            raise _must_be("text in quotes", value)
        try:
            number = kind(value)
        except (ValueError, ArithmeticError, ZeroDivisionError):
            raise _must_be('a number written as text, such as "1/5" or "0.84"', value) from None
        if not (0 < number <= 1 if above_zero else 0 <= number <= 1):
            raise _must_be("between 0 and 1", value)
        return number
    return As(read)


def _codes(vocabulary: tuple[str, ...]) -> As:
    """A list of codes of one vocabulary (``app.domain.vocabulary``), in the file's order."""
    def read(value: Any) -> tuple[str, ...]:
        if not isinstance(value, list) or not all(isinstance(x, str) for x in value):
            raise _must_be("a list of text", value)
        unknown = [x for x in value if x not in vocabulary]
        if unknown:
            raise ValueError(f"has unknown value(s) {', '.join(unknown)}; known: {', '.join(vocabulary)}")
        return tuple(value)
    return As(read)


Count = Annotated[int, Meta(ge=0)]
Positive = Annotated[int, Meta(gt=0)]
Month = Annotated[int, Meta(ge=1, le=12, description="a month number 1 to 12")]
#: a TOML date (effective_from = 2025-01-01) or the same in quotes
Date = Annotated[dt.date, Meta(description="a date such as 2025-01-01")]
Text = Annotated[str, _text(required=True)]
AnyText = Annotated[str, _text(required=False)]
MonthDay = Annotated[str, As(_month_day)]
Ratio = Annotated[Fraction, _ratio(Fraction, above_zero=True)]
Share = Annotated[Decimal, _ratio(Decimal, above_zero=False)]


@dataclass(frozen=True)
class Policy:
    """Every *(param)* of POLICY.md for one program year; the rules read numbers only from here.

    The model of a policy file: each field is one key, declared here once with its type and bounds,
    and ``key(...)`` says where the file writes it. A key the file has and this class lacks is
    refused, so a misspelt key cannot leave the intended one silently missing."""

    year: Count
    #: what the coordinating center calls it ("MROQC QIP policy")
    name: Text
    #: the first day on which it is in force
    effective_from: Date
    #: the policy it replaces, in the coordinating center's words ("" for none)
    supersedes: AnyText
    period_start: MonthDay = key("enrollment.period_start")
    zero_enrollment_days: Count = key("enrollment.zero_enrollment_days")
    decline_fraction: Ratio = key("enrollment.decline_fraction")
    selective_decision_days: Count = key("enrollment.selective_decision_days")
    selective_lookback_days: Count = key("enrollment.selective_lookback_days")
    accepted_reasons: Annotated[tuple[str, ...], _codes(NOT_ENROLLED_REASONS)] = key(
        "enrollment.accepted_not_enrolled_reasons")
    missed_meetings_limit: Count = key("meetings.missed_meetings_limit")
    champion_substitutions_per_year: Count = key("meetings.champion_substitutions_per_year")
    champion_physician_max_oncologists: Count = key("meetings.champion_physician_max_oncologists")
    champion_physician_titles: Annotated[tuple[str, ...], _codes(PHYSICIAN_TITLES)] = key(
        "meetings.champion_physician_titles")
    lag_days: Count = key("data_entry.lag_days")
    reply_days: Count = key("correspondence.reply_days")
    correspondence_lookback_days: Count = key("correspondence.lookback_days")
    #: QIP-CORR-NORESPONSE: this many late letters are a trigger; fewer (at least one) a warning
    corr_trigger_letters: Positive = key("correspondence.trigger_letters")
    #: Staff & roles warns when a required role's every holder leaves within this many days
    vacancy_warning_days: Positive = key("roles.vacancy_warning_days")
    min_cases: Count = key("participation.min_cases")
    participation_lookback_days: Count = key("participation.lookback_days")
    counted_projects: Annotated[tuple[str, ...], _codes(PROJECTS)] = key("participation.counted_projects")
    same_case_days: Positive = key("screening.same_case_days")
    cases_per_fte: Positive = key("programs.cases_per_fte")
    non_bcbsm_share: Share = key("programs.non_bcbsm_share")
    data_history_min_years: Count = key("programs.data_history_min_years")
    pgip_min_years: Count = key("programs.pgip_min_years")
    p4p_payment_month: Month = key("programs.p4p_payment_month")
    mvc_questionnaire_due: MonthDay = key("programs.mvc_questionnaire_due")
    close_days: Count = key("forecast.close_days")
    close_steps: Count = key("forecast.close_steps")
    horizon_days: Positive = key("forecast.horizon_days")


def parse_policy(data: dict[str, Any], source: str, text: str | None = None) -> Policy:
    """A checked ``Policy`` from a parsed TOML document; ``PolicyFileError`` names what is wrong:
    the file, the key and, when the file's ``text`` is given, the line. All problems at once."""
    return from_data(data, source, Policy, PolicyFileError, text)


def read_policy_text(text: str, source: str) -> Policy:
    """A checked ``Policy`` from a file's text (a bundled file, or one an administrator installs)."""
    return read_text(text, source, Policy, PolicyFileError)


def policy_dir() -> Path:
    """Where the bundled policy files live (``resources/policy``)."""
    return resource("policy")


def available_years() -> list[int]:
    """The program years with a bundled policy file: adding ``2027.toml`` adds 2027, no code change."""
    return sorted(int(p.stem) for p in policy_dir().glob("*.toml") if p.stem.isdigit())


@cache
def _read(path: Path, year: int) -> Policy:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PolicyFileError(f"There is no policy file for {year} ({path}).") from None
    policy = read_policy_text(text, path.name)
    if policy.year != year:
        raise PolicyFileError(f"{path.name}: says year = {policy.year}; the file name and the year must agree")
    return policy


def load_policy_file(year: int) -> Policy:
    """The checked bundled policy of one program year (read once per file)."""
    return _read(resource("policy", f"{year}.toml"), year)


def bundled_policies() -> list[Policy]:
    """Every policy file bundled with the app, oldest first."""
    return [load_policy_file(year) for year in available_years()]


Source = Literal["bundled", "installed"]


@dataclass(frozen=True)
class KnownPolicy:
    """A policy file the app knows of: bundled with it, or installed into the facility's database."""

    policy: Policy
    source: Source


@dataclass(frozen=True)
class PolicyInForce:
    """The policy an as-of date is judged by, and what to say about it.

    ``reason``: ``in_force`` (the newest file in force on the date), ``chosen`` (the facility
    chose a program year in Settings), ``before_first`` (the date is older than every file, so
    the oldest is applied). ``newer``: the next file known to take effect after the date, if any.
    """

    policy: Policy
    source: Source
    as_of: dt.date
    reason: Literal["in_force", "chosen", "before_first"]
    newer: Policy | None = None
    #: when ``chosen``: the file that would be in force on the date without the choice
    would_be: Policy | None = None

    @property
    def since(self) -> dt.date:
        return self.policy.effective_from

    @property
    def statement(self) -> str:
        """One sentence for every screen, ``check`` and the self-audit: "MROQC QIP policy in force
        since 2025-01-01 (no newer one installed)" — never "2025 policies for 2026"."""
        p = self.policy
        if self.reason == "before_first":
            return (f"{p.name} in force from {p.effective_from.isoformat()}, applied to this earlier date "
                    "(no earlier policy installed)")
        if self.reason == "chosen":
            text = f"{p.name} of {p.year} (in force from {p.effective_from.isoformat()}), chosen in Settings"
            if self.would_be is not None and self.would_be != p:
                text += (f"; without that choice: {self.would_be.name} in force since "
                         f"{self.would_be.effective_from.isoformat()}")
            return text
        after = (f"a newer one takes effect on {self.newer.effective_from.isoformat()}" if self.newer is not None
                 else "no newer one installed")
        return f"{p.name} in force since {p.effective_from.isoformat()} ({after})"

    def to_json(self) -> dict[str, Any]:
        """``check --json``'s ``policy_in_force`` (docs/cli.md)."""
        return {"name": self.policy.name, "year": self.policy.year,
                "effective_from": self.policy.effective_from.isoformat(), "supersedes": self.policy.supersedes or None,
                "source": self.source, "chosen": self.reason == "chosen",
                "newer_from": self.newer.effective_from.isoformat() if self.newer is not None else None,
                "statement": self.statement}


def _ordered(known: list[KnownPolicy]) -> list[KnownPolicy]:
    """Oldest first by ``effective_from``; on the same date an installed file replaces a bundled
    one (the coordinating center's correction), and a later installation an earlier one."""
    by_date: dict[dt.date, KnownPolicy] = {}
    for item in known:  # callers list bundled files first, then installed ones oldest first
        by_date[item.policy.effective_from] = item
    return [by_date[day] for day in sorted(by_date)]


def resolve_policy(known: list[KnownPolicy], as_of: dt.date, chosen_year: int | None = None) -> PolicyInForce:
    """The policy that judges ``as_of``: the newest file in force on that date; a date older than
    every file gets the oldest (said so); a program year the facility chose in Settings wins
    (its newest file in force on the date, else its first). Pure: the caller passes every file
    it knows and the date; nothing here reads the clock or the disk."""
    files = _ordered(known)
    if not files:
        raise PolicyFileError("No policy file is bundled or installed.")
    in_force = [f for f in files if f.policy.effective_from <= as_of]
    later = [f for f in files if f.policy.effective_from > as_of]
    newer = later[0].policy if later else None
    current = in_force[-1] if in_force else None
    if chosen_year is not None:
        of_year = [f for f in files if f.policy.year == chosen_year]
        if not of_year:
            raise PolicyFileError(f"There is no policy file for {chosen_year} (chosen in Settings).")
        started = [f for f in of_year if f.policy.effective_from <= as_of]
        pick = started[-1] if started else of_year[0]
        return PolicyInForce(pick.policy, pick.source, as_of, "chosen", newer,
                             current.policy if current is not None else files[0].policy)
    if current is None:
        return PolicyInForce(files[0].policy, files[0].source, as_of, "before_first",
                             later[1].policy if len(later) > 1 else None)
    return PolicyInForce(current.policy, current.source, as_of, "in_force", newer)


def load_policy(facility_policy_year: int | None, as_of: dt.date) -> Policy:
    """The bundled policy for ``as_of`` (``resolve_policy`` over the bundled files only): for code
    with no database at hand. With a database, ``app.services.policies.policy_in_force`` also
    knows the files an administrator installed, and is what every screen uses."""
    known = [KnownPolicy(p, "bundled") for p in bundled_policies()]
    if not known:
        raise PolicyFileError(f"No policy files in {policy_dir()}.")
    if facility_policy_year is not None and facility_policy_year not in available_years():
        raise PolicyFileError(f"There is no policy file for {facility_policy_year} ({policy_dir()}).")
    return resolve_policy(known, as_of, facility_policy_year).policy
