"""``mvc-score`` and ``mips-estimate``: the calculators on a JSON input file."""

from __future__ import annotations

import argparse
import datetime as dt
import json
from pathlib import Path
from typing import Any

from app.calculators import mips, mvc
from app.commands.output import print_json


class CalculatorFileError(ValueError):
    """The input file cannot be read as JSON."""


def read_json(path: str) -> Any:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CalculatorFileError(f"No file at {path}.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CalculatorFileError(f"Cannot read {path}: {exc}") from None
    except json.JSONDecodeError as exc:
        raise CalculatorFileError(f"{path} is not valid JSON (line {exc.lineno}: {exc.msg}).") from None


def cmd_mvc_score(args: argparse.Namespace) -> int:
    result = mvc.to_json(mvc.score_measure(read_json(args.file)))
    if args.json:
        print_json(result)
        return 0
    for row in result["conditions"]:
        print(
            f"{row['condition']}: improvement z {row['improvement_z']:.2f} → {row['improvement_points']} pts, "
            f"achievement z {row['achievement_z']:.2f} → {row['achievement_points']} pts; scores {row['points']}"
        )
    print(f"Measure total: {result['total']} of 10 points")
    return 0


def cmd_mips_estimate(args: argparse.Namespace) -> int:
    """The estimate under the input's ``performance_year``; without one, the current year's rules
    (never silently an old year's)."""
    result = mips.to_json(mips.estimate(read_json(args.file), default_year=dt.date.today().year))
    if args.json:
        print_json(result)
        return 0
    status = ("final rules" if result["status"] == "final"
              else f"PROVISIONAL rules ({result['status_source']})")
    print(f"MIPS performance year {result['performance_year']} (payment year {result['payment_year']}), {status}")
    if not result["eligible"]:
        print("Exempt from MIPS: " + "; ".join(result["exemptions"]))
    threshold = (f"threshold {result['threshold']}" if result["threshold"] is not None
                 else "no threshold set for this year yet")
    print(f"Estimated final score: {result['final_score']:g} of 100, {threshold} ({result['outcome']})")
    for key, points in result["category_points"].items():
        print(f"  {result['category_names'][key]}: {points:g} (weight {result['weights'][key]})")
    for m in result["quality_measures"]:
        print(f"    measure {m['measure']}: {m['points']:g} points ({m['how']})")
    print(f"  small-practice bonus {result['small_practice_bonus']:g}, complex-patient bonus {result['complex_patient_bonus']:g}")
    for note in result["quality_reporting_notes"]:
        print(f"  quality reporting: {note}")
    for note in result["notes"]:
        print(f"  note: {note}")
    return 0
