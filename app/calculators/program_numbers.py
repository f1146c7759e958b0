"""Load the programs' numbers: the MVC calculator's (``resources/programs/calculators.toml``) and
the BCBSM and MVC numbers the Programs screen shows with their sources (``bcbsm.toml``)."""

from __future__ import annotations

import tomllib
from functools import cache
from typing import Any

from app.paths import resource


@cache
def program_numbers() -> dict[str, Any]:
    with resource("programs", "calculators.toml").open("rb") as handle:
        return tomllib.load(handle)


@cache
def bcbsm_numbers() -> dict[str, Any]:
    """The CQI VBR year and uplift ranges (each with its source) and MVC's P4P method by program year."""
    with resource("programs", "bcbsm.toml").open("rb") as handle:
        return tomllib.load(handle)
