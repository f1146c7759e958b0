"""Load and check policy files, and say which one is in force at a date.

A policy file (``resources/policy/<year>.toml``, or one an administrator installed into the
database) holds every *(param)* of POLICY.md and says from which date it is in force
(``effective_from``) and what it supersedes. ``resolve_policy`` picks, from every file known, the
newest one in force at the as-of date: a pure function, so the Dashboard, ``check``, the self-audit
and Settings all say the same thing (``app.services.policies.policy_in_force`` is their way in).
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from functools import cache
from pathlib import Path
from typing import Any, Literal

from app.domain.vocabulary import NOT_ENROLLED_REASONS, PHYSICIAN_TITLES, PROJECTS
from app.paths import resource


class PolicyFileError(ValueError):
    """A policy file that cannot be used; says which file and which key."""


@dataclass(frozen=True)
class Policy:
    """Every *(param)* of POLICY.md for one program year; the rules read numbers only from here."""

    year: int
    #: what the coordinating center calls it ("MROQC QIP policy")
    name: str
    #: the first day on which it is in force
    effective_from: dt.date
    #: the policy it replaces, in the coordinating center's words ("" for none)
    supersedes: str
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
    #: QIP-CORR-NORESPONSE: this many late letters are a trigger; fewer (at least one) a warning
    corr_trigger_letters: int
    #: Staff & roles warns when a required role's every holder leaves within this many days
    vacancy_warning_days: int
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
    "name": "text",
    "effective_from": "date",
    "supersedes": "any_text",
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
    "correspondence.trigger_letters": "positive_int",
    "roles.vacancy_warning_days": "positive_int",
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
    if kind == "date":  # a TOML date (effective_from = 2025-01-01) or the same in quotes
        if isinstance(node, dt.date) and not isinstance(node, dt.datetime):
            return node
        if isinstance(node, str):
            try:
                return dt.date.fromisoformat(node)
            except ValueError:
                pass
        raise fail("a date such as 2025-01-01")
    if not isinstance(node, str):  # text; month_day, fraction, share: text, so numbers stay exact
        raise fail("text in quotes")
    if kind in ("text", "any_text"):
        if kind == "text" and not node.strip():
            raise fail("some text")
        return node.strip()
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


_TABLE = re.compile(r"^\s*\[\s*([A-Za-z0-9_.\s\"-]+?)\s*\]\s*(#.*)?$")
_KEY = re.compile(r"^\s*([A-Za-z0-9_-]+)\s*=")


def key_lines(text: str) -> dict[str, int]:
    """The line (1-based) on which each dotted key is written, for error messages: a hand-edited
    file is fixed faster when the message says where. Reads the plain ``[table]`` / ``key =``
    layout policy files use; a key it cannot place is simply reported without a line."""
    lines: dict[str, int] = {}
    table = ""
    for number, line in enumerate(text.splitlines(), start=1):
        header = _TABLE.match(line)
        if header and not line.lstrip().startswith("[["):
            table = header.group(1).replace(" ", "").replace('"', "") + "."
            lines.setdefault(table[:-1], number)
            continue
        key = _KEY.match(line)
        if key:
            lines.setdefault(table + key.group(1), number)
    return lines


def parse_policy(data: dict[str, Any], source: str, text: str | None = None) -> Policy:
    """A checked ``Policy`` from a parsed TOML document; ``PolicyFileError`` names what is wrong:
    the file, the key and, when the file's ``text`` is given, the line."""
    where = key_lines(text) if text is not None else {}

    def at(path: str) -> str:
        return f"line {where[path]}: " if path in where else ""

    unknown = sorted(set(_leaves(data)) - set(KEYS))
    if unknown:
        raise PolicyFileError(f"{source}: unknown key(s) {', '.join(repr(k) for k in unknown)}"
                              + "".join(f" ({k!r} is on line {where[k]})" for k in unknown if k in where))
    v, problems = {}, []
    for path, kind in KEYS.items():  # every problem at once, so a hand-edited file is fixed in one go
        try:
            v[path] = _value(data, path, kind, source)
        except PolicyFileError as exc:
            problems.append(at(path) + str(exc).removeprefix(f"{source}: "))
    if problems:
        raise PolicyFileError(f"{source}: " + "; ".join(problems))
    return Policy(
        year=v["year"],
        name=v["name"],
        effective_from=v["effective_from"],
        supersedes=v["supersedes"],
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
        corr_trigger_letters=v["correspondence.trigger_letters"],
        vacancy_warning_days=v["roles.vacancy_warning_days"],
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


def read_policy_text(text: str, source: str) -> Policy:
    """A checked ``Policy`` from a file's text (a bundled file, or one an administrator installs)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyFileError(f"{source}: not valid TOML ({exc})") from None
    return parse_policy(data, source, text)


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
