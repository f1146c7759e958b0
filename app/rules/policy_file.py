"""Load and check the policy file of a program year (``resources/policy/<year>.toml``)."""

from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from functools import cache
from pathlib import Path
from typing import Any

from app.paths import resource


class PolicyFileError(ValueError):
    """A policy file that cannot be used; says which file and which key."""


@dataclass(frozen=True)
class Policy:
    year: int
    period_start: str
    zero_enrollment_days: int
    decline_fraction: Fraction
    selective_decision_days: int
    selective_lookback_days: int
    accepted_reasons: tuple[str, ...]
    missed_meetings_limit: int
    champion_substitutions_per_year: int
    champion_physician_max_oncologists: int
    champion_physician_titles: tuple[str, ...]
    lag_days: int
    reply_days: int
    correspondence_lookback_days: int
    min_cases: int
    participation_lookback_days: int
    counted_projects: tuple[str, ...]
    cases_per_fte: int
    non_bcbsm_share: Decimal
    data_history_min_years: int
    pgip_min_years: int
    p4p_payment_month: int
    mvc_questionnaire_due: str


def _get(data: dict[str, Any], path: str, kind: type, source: str) -> Any:
    node: Any = data
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            raise PolicyFileError(f"{source}: '{path}' is missing")
        node = node[part]
    if kind is int and (isinstance(node, bool) or not isinstance(node, int) or node < 0):
        raise PolicyFileError(f"{source}: '{path}' must be a whole number ≥ 0")
    if kind is str and not isinstance(node, str):
        raise PolicyFileError(f"{source}: '{path}' must be text")
    if kind is list and (not isinstance(node, list) or not all(isinstance(x, str) for x in node)):
        raise PolicyFileError(f"{source}: '{path}' must be a list of text")
    return node


def _month_day(text: str, path: str, source: str) -> str:
    try:
        dt.date.fromisoformat(f"2024-{text}")
    except ValueError:
        raise PolicyFileError(f"{source}: '{path}' must be a month-day such as 01-01") from None
    return text


def parse_policy(data: dict[str, Any], source: str) -> Policy:
    g = lambda path, kind: _get(data, path, kind, source)  # noqa: E731
    decline_text, share_text = g("enrollment.decline_fraction", str), g("programs.non_bcbsm_share", str)
    try:
        decline, share = Fraction(decline_text), Decimal(share_text)
    except (ValueError, ArithmeticError):
        raise PolicyFileError(f"{source}: decline_fraction and non_bcbsm_share must be numbers written as text") from None
    if not 0 < decline <= 1 or not 0 <= share <= 1:
        raise PolicyFileError(f"{source}: decline_fraction and non_bcbsm_share must lie between 0 and 1")
    return Policy(
        year=g("year", int),
        period_start=_month_day(g("enrollment.period_start", str), "enrollment.period_start", source),
        zero_enrollment_days=g("enrollment.zero_enrollment_days", int),
        decline_fraction=decline,
        selective_decision_days=g("enrollment.selective_decision_days", int),
        selective_lookback_days=g("enrollment.selective_lookback_days", int),
        accepted_reasons=tuple(g("enrollment.accepted_not_enrolled_reasons", list)),
        missed_meetings_limit=g("meetings.missed_meetings_limit", int),
        champion_substitutions_per_year=g("meetings.champion_substitutions_per_year", int),
        champion_physician_max_oncologists=g("meetings.champion_physician_max_oncologists", int),
        champion_physician_titles=tuple(g("meetings.champion_physician_titles", list)),
        lag_days=g("data_entry.lag_days", int),
        reply_days=g("correspondence.reply_days", int),
        correspondence_lookback_days=g("correspondence.lookback_days", int),
        min_cases=g("participation.min_cases", int),
        participation_lookback_days=g("participation.lookback_days", int),
        counted_projects=tuple(g("participation.counted_projects", list)),
        cases_per_fte=g("programs.cases_per_fte", int) or 1,
        non_bcbsm_share=share,
        data_history_min_years=g("programs.data_history_min_years", int),
        pgip_min_years=g("programs.pgip_min_years", int),
        p4p_payment_month=g("programs.p4p_payment_month", int),
        mvc_questionnaire_due=_month_day(g("programs.mvc_questionnaire_due", str), "programs.mvc_questionnaire_due", source),
    )


def policy_dir() -> Path:
    return resource("policy")


def available_years() -> list[int]:
    return sorted(int(p.stem) for p in policy_dir().glob("*.toml") if p.stem.isdigit())


@cache
def load_policy_file(year: int) -> Policy:
    path = policy_dir() / f"{year}.toml"
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError:
        raise PolicyFileError(f"There is no policy file for {year} ({path}).") from None
    except tomllib.TOMLDecodeError as exc:
        raise PolicyFileError(f"{path.name}: not valid TOML ({exc})") from None
    policy = parse_policy(data, path.name)
    if policy.year != year:
        raise PolicyFileError(f"{path.name}: says year {policy.year}")
    return policy


def load_policy(facility_policy_year: int | None, as_of: dt.date) -> Policy:
    """The facility's chosen year; else the newest file not after the as-of year; else the oldest."""
    years = available_years()
    if not years:
        raise PolicyFileError(f"No policy files in {policy_dir()}.")
    if facility_policy_year is not None:
        return load_policy_file(facility_policy_year)
    earlier = [y for y in years if y <= as_of.year]
    return load_policy_file(earlier[-1] if earlier else years[0])
