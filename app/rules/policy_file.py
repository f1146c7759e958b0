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

from app.domain.vocabulary import NOT_ENROLLED_REASONS, PHYSICIAN_TITLES, PROJECTS
from app.paths import resource


class PolicyFileError(ValueError):
    """A policy file that cannot be used; says which file and which key."""


@dataclass(frozen=True)
class Policy:
    """Every *(param)* of POLICY.md for one program year; the rules read numbers only from here."""

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
    same_case_days: int
    cases_per_fte: int
    non_bcbsm_share: Decimal
    data_history_min_years: int
    pgip_min_years: int
    p4p_payment_month: int
    mvc_questionnaire_due: str
    close_days: int
    close_steps: int
    horizon_days: int


#: Every key a policy file must hold, with its kind. A key not listed here is an error too, so a
#: misspelt key cannot leave the intended one silently missing from a hand-edited file.
KEYS: dict[str, str] = {
    "year": "int",
    "enrollment.period_start": "month_day",
    "enrollment.zero_enrollment_days": "int",
    "enrollment.decline_fraction": "fraction",
    "enrollment.selective_decision_days": "int",
    "enrollment.selective_lookback_days": "int",
    "enrollment.accepted_not_enrolled_reasons": "reasons",
    "meetings.missed_meetings_limit": "int",
    "meetings.champion_substitutions_per_year": "int",
    "meetings.champion_physician_max_oncologists": "int",
    "meetings.champion_physician_titles": "titles",
    "data_entry.lag_days": "int",
    "correspondence.reply_days": "int",
    "correspondence.lookback_days": "int",
    "participation.min_cases": "int",
    "participation.lookback_days": "int",
    "participation.counted_projects": "projects",
    "screening.same_case_days": "positive_int",
    "programs.cases_per_fte": "positive_int",
    "programs.non_bcbsm_share": "share",
    "programs.data_history_min_years": "int",
    "programs.pgip_min_years": "int",
    "programs.p4p_payment_month": "month",
    "programs.mvc_questionnaire_due": "month_day",
    "forecast.close_days": "int",
    "forecast.close_steps": "int",
    "forecast.horizon_days": "positive_int",
}
_CODES = {"reasons": NOT_ENROLLED_REASONS, "titles": PHYSICIAN_TITLES, "projects": PROJECTS}


def _leaves(data: dict[str, Any], prefix: str = "") -> list[str]:
    out = []
    for key, value in data.items():
        path = f"{prefix}{key}"
        out += _leaves(value, path + ".") if isinstance(value, dict) else [path]
    return out


def _value(data: dict[str, Any], path: str, kind: str, source: str) -> Any:
    """One key, checked against its kind; the error names the file and the key."""
    node: Any = data
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            raise PolicyFileError(f"{source}: '{path}' is missing")
        node = node[part]

    def fail(what: str) -> PolicyFileError:
        return PolicyFileError(f"{source}: '{path}' must be {what} (found {node!r})")

    if kind in ("int", "positive_int", "month"):
        if isinstance(node, bool) or not isinstance(node, int) or node < 0:
            raise fail("a whole number ≥ 0")
        if kind == "positive_int" and node == 0:
            raise fail("a whole number > 0")
        if kind == "month" and not 1 <= node <= 12:
            raise fail("a month number 1 to 12")
        return node
    if kind in _CODES:
        if not isinstance(node, list) or not all(isinstance(x, str) for x in node):
            raise fail("a list of text")
        unknown = [x for x in node if x not in _CODES[kind]]
        if unknown:
            raise PolicyFileError(f"{source}: '{path}' has unknown value(s) {', '.join(unknown)}; "
                                  f"known: {', '.join(_CODES[kind])}")
        return tuple(node)
    if not isinstance(node, str):  # month_day, fraction, share: text, so numbers stay exact
        raise fail("text in quotes")
    if kind == "month_day":
        try:
            dt.date.fromisoformat(f"2024-{node}")
        except ValueError:
            raise fail("a month-day such as \"01-01\"") from None
        return node
    try:
        number = Fraction(node) if kind == "fraction" else Decimal(node)
    except (ValueError, ArithmeticError, ZeroDivisionError):
        raise fail("a number written as text, such as \"1/5\" or \"0.84\"") from None
    if not (0 < number <= 1 if kind == "fraction" else 0 <= number <= 1):
        raise fail("between 0 and 1")
    return number


def parse_policy(data: dict[str, Any], source: str) -> Policy:
    """A checked ``Policy`` from a parsed TOML document; ``PolicyFileError`` names what is wrong."""
    unknown = sorted(set(_leaves(data)) - set(KEYS))
    if unknown:
        raise PolicyFileError(f"{source}: unknown key(s) {', '.join(repr(k) for k in unknown)}")
    v, problems = {}, []
    for path, kind in KEYS.items():  # every problem at once, so a hand-edited file is fixed in one go
        try:
            v[path] = _value(data, path, kind, source)
        except PolicyFileError as exc:
            problems.append(str(exc).removeprefix(f"{source}: "))
    if problems:
        raise PolicyFileError(f"{source}: " + "; ".join(problems))
    return Policy(
        year=v["year"],
        period_start=v["enrollment.period_start"],
        zero_enrollment_days=v["enrollment.zero_enrollment_days"],
        decline_fraction=v["enrollment.decline_fraction"],
        selective_decision_days=v["enrollment.selective_decision_days"],
        selective_lookback_days=v["enrollment.selective_lookback_days"],
        accepted_reasons=v["enrollment.accepted_not_enrolled_reasons"],
        missed_meetings_limit=v["meetings.missed_meetings_limit"],
        champion_substitutions_per_year=v["meetings.champion_substitutions_per_year"],
        champion_physician_max_oncologists=v["meetings.champion_physician_max_oncologists"],
        champion_physician_titles=v["meetings.champion_physician_titles"],
        lag_days=v["data_entry.lag_days"],
        reply_days=v["correspondence.reply_days"],
        correspondence_lookback_days=v["correspondence.lookback_days"],
        min_cases=v["participation.min_cases"],
        participation_lookback_days=v["participation.lookback_days"],
        counted_projects=v["participation.counted_projects"],
        same_case_days=v["screening.same_case_days"],
        cases_per_fte=v["programs.cases_per_fte"],
        non_bcbsm_share=v["programs.non_bcbsm_share"],
        data_history_min_years=v["programs.data_history_min_years"],
        pgip_min_years=v["programs.pgip_min_years"],
        p4p_payment_month=v["programs.p4p_payment_month"],
        mvc_questionnaire_due=v["programs.mvc_questionnaire_due"],
        close_days=v["forecast.close_days"],
        close_steps=v["forecast.close_steps"],
        horizon_days=v["forecast.horizon_days"],
    )


def policy_dir() -> Path:
    """Where the bundled policy files live (``resources/policy``)."""
    return resource("policy")


def available_years() -> list[int]:
    """The program years with a policy file: adding ``2027.toml`` adds 2027, no code change."""
    return sorted(int(p.stem) for p in policy_dir().glob("*.toml") if p.stem.isdigit())


@cache
def _read(path: Path, year: int) -> Policy:
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError:
        raise PolicyFileError(f"There is no policy file for {year} ({path}).") from None
    except tomllib.TOMLDecodeError as exc:
        raise PolicyFileError(f"{path.name}: not valid TOML ({exc})") from None
    policy = parse_policy(data, path.name)
    if policy.year != year:
        raise PolicyFileError(f"{path.name}: says year = {policy.year}; the file name and the year must agree")
    return policy


def load_policy_file(year: int) -> Policy:
    """The checked policy of one program year (read once per file)."""
    return _read(resource("policy", f"{year}.toml"), year)


def load_policy(facility_policy_year: int | None, as_of: dt.date) -> Policy:
    """The policy to evaluate D with: the facility's chosen program year if it set one; else the
    newest file not after D's year (rules change by program year, and a past D must be judged by
    the rules of its time); else, for a D older than every file, the oldest file."""
    years = available_years()
    if not years:
        raise PolicyFileError(f"No policy files in {policy_dir()}.")
    if facility_policy_year is not None:
        return load_policy_file(facility_policy_year)
    earlier = [y for y in years if y <= as_of.year]
    return load_policy_file(earlier[-1] if earlier else years[0])
