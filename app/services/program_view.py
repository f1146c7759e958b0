"""What the Programs screen shows, as typed figures (real dates and numbers), read from the
evaluation at the as-of date, and the programs' names as every page and the self-audit write them.

The screen used to render the command line's JSON (``programs --json``), so its dates arrived as
ISO text whatever the facility chose; here they stay dates until the screen words them. The
program names are written once (``DATA_HISTORY`` ...): the screen and the self-audit's table
(``app.reports.audit_rules``) say the same thing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from app.calculators.program_numbers import bcbsm_numbers
from app.rules.programs import ProgramFigures
from app.rules.years import YearState, calendar_year_state, vbr_year
from app.services.findings import evaluate_at, program_figures_of
from app.storage.database import Database

#: The programs' names, on the Programs screen and in the self-audit
DATA_HISTORY = "Data history (Gold Card and CQI VBR prerequisite)"
VBR = "CQI VBR"
FTE_ESTIMATE = "FTE funding estimate"
P4P_PAYMENT = "BCBSM P4P payment"
MVC_QUESTIONNAIRE = "MVC participation-bonus questionnaire"


def met_words(met: bool) -> str:  # noqa: FBT001
    """The data history's verdict: "met" or "not met"."""
    return "met" if met else "not met"


def eligible_words(eligible: bool) -> str:  # noqa: FBT001
    """An oncologist's CQI VBR verdict: "eligible" or "not eligible"."""
    return "eligible" if eligible else "not eligible"


@dataclass(frozen=True)
class Uplift:
    """A CQI VBR uplift range and the document it comes from (``resources/programs/bcbsm.toml``)."""

    range: str
    source: str


@dataclass(frozen=True)
class MvcMeasure:
    """How MVC's P4P measure is built in some program years, and what this app scores of it."""

    years: str
    structure: str
    scored: str
    not_public: str
    source: str


@dataclass(frozen=True)
class ProgramsView:
    """The Programs screen at the as-of date: the program figures of the evaluation, the CQI VBR
    year around the date, and the payers' numbers with their sources."""

    as_of: dt.date
    figures: ProgramFigures
    #: the as-of date's own calendar year, seen from it (the data history's contribution years end before it)
    year_state: YearState
    vbr_start: dt.date
    vbr_end: dt.date
    uplift: tuple[Uplift, ...]
    mvc_measures: tuple[MvcMeasure, ...]

    @property
    def vbr_state(self) -> str:
        """"in progress" while the as-of date is inside the CQI VBR year, else "complete"."""
        return "in progress" if self.vbr_start <= self.as_of < self.vbr_end else "complete"

    @property
    def questionnaire_days_past(self) -> int:
        """Days the MVC questionnaire's due date lies before the as-of date (0: not past)."""
        return max((self.as_of - self.figures.mvc_questionnaire_due).days, 0)


def programs_view(db: Database, as_of: dt.date, rate_per_fte: Decimal | None = None) -> ProgramsView:
    """The Programs screen's figures at ``as_of`` from the evaluation of that date (the window's
    kept one when there is one: ``app.services.findings.evaluate_at``)."""
    figures = program_figures_of(evaluate_at(db, as_of), rate_per_fte=rate_per_fte)
    numbers = bcbsm_numbers()
    month, day = (int(x) for x in numbers["vbr"]["year_starts"].split("-"))
    start, end = vbr_year(as_of, month, day)
    return ProgramsView(
        as_of=as_of, figures=figures, year_state=calendar_year_state(as_of.year, as_of), vbr_start=start, vbr_end=end,
        uplift=tuple(Uplift(u["range"], u["source"]) for u in numbers["vbr"]["uplift"]),
        mvc_measures=tuple(MvcMeasure(m["years"], m["structure"], m["scored"], m["not_public"], m["source"])
                           for m in numbers["mvc"]["program_years"]))
