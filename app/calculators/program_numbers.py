"""Load the programs' numbers: the MVC calculator's (``resources/programs/calculators.toml``) and
the BCBSM and MVC numbers the Programs screen shows with their sources (``bcbsm.toml``).

Each file has its model below (each key once, with its type); the loaders hand the checked file
on as plain tables, the shape the calculator and the Programs screen read."""

from __future__ import annotations

from functools import cache
from typing import Annotated, Any

import msgspec

from app.paths import resource
from app.typed_toml import read_file


class ProgramFileError(ValueError):
    """A program numbers file cannot be used; says which file, which key and on which line."""


class _Strict(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    pass


Words = Annotated[str, msgspec.Meta(min_length=1)]
#: a z-score band's lower bound, written as text so it stays exact ("0.05")
Band = Annotated[str, msgspec.Meta(pattern=r"^-?\d+(\.\d+)?$")]


class MvcNumbers(_Strict):
    point_bands: Annotated[tuple[Band, ...], msgspec.Meta(min_length=1)]
    conditions_per_measure: Annotated[int, msgspec.Meta(ge=1)]
    conditions: Annotated[tuple[Words, ...], msgspec.Meta(min_length=1)]


class CalculatorNumbers(_Strict):
    """``calculators.toml``: the MVC P4P measure's numbers."""

    mvc: MvcNumbers


class Uplift(_Strict):
    range: Words
    source: Words
    verified: bool


class Vbr(_Strict):
    #: month-day the CQI VBR year starts ("03-01")
    year_starts: Annotated[str, msgspec.Meta(pattern=r"^(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$")]
    uplift: tuple[Uplift, ...]


class MvcProgramYear(_Strict):
    years: Words
    structure: Words
    source: Words
    #: what scores it in this app ("" for nothing)
    scored: str
    #: what is not public, so not scored ("" for nothing)
    not_public: str


class MvcYears(_Strict):
    program_years: tuple[MvcProgramYear, ...]


class BcbsmNumbers(_Strict):
    """``bcbsm.toml``: the CQI VBR year and uplift ranges, MVC's P4P method by program year."""

    vbr: Vbr
    mvc: MvcYears


@cache
def program_numbers() -> dict[str, Any]:
    return msgspec.to_builtins(read_file(resource("programs", "calculators.toml"), CalculatorNumbers,
                                         ProgramFileError))


@cache
def bcbsm_numbers() -> dict[str, Any]:
    """The CQI VBR year and uplift ranges (each with its source) and MVC's P4P method by program year."""
    return msgspec.to_builtins(read_file(resource("programs", "bcbsm.toml"), BcbsmNumbers, ProgramFileError))
