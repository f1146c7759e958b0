"""Load the calculators' program numbers from ``resources/programs/calculators.toml``."""

from __future__ import annotations

import tomllib
from functools import cache
from typing import Any

from app.paths import resource


@cache
def program_numbers() -> dict[str, Any]:
    with resource("programs", "calculators.toml").open("rb") as handle:
        return tomllib.load(handle)
