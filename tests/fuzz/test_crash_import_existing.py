"""Kill -9 at random moments of ``mroqc-desk import`` into an existing file: afterwards it passes
``verify`` and holds either its old rows or all the new ones, and the same import run again
succeeds (``test_crash_import.py`` has the same for a new file and the notes)."""

from __future__ import annotations

import random
import time
from pathlib import Path

import pytest

from tests.fuzz.harness import kill_moments, run_cli
from tests.fuzz.test_crash_import import (
    CASES,
    TRIAL_TIMEOUT,
    TRIALS_EACH,
    big_workbook,
    counts,
    killed_at_random,
    report,
    verify,
)
from tests.fuzz.test_fuzz_import import base, fresh_copy  # noqa: F401 - fixture
from tests.support import ADMIN, PASSWORD

pytestmark = pytest.mark.slow(35)  # seconds on a quiet two-core machine: its file runs first


def test_kill_during_an_import_into_an_existing_file_leaves_it_untouched_or_complete(base: Path,  # noqa: F811
                                                                                     tmp_path: Path) -> None:
    rng = random.Random(13)
    workbook = big_workbook(tmp_path / "big.xlsx")
    before = counts(base, ADMIN, PASSWORD)
    failures: list[str] = []
    outcomes: dict[str, int] = {}
    deadline = time.monotonic() + 900
    # an import into an existing file takes its own time (no build): the kills spread over that
    work = fresh_copy(base, tmp_path / "existing")
    existing_full = run_cli(["import", "--db", str(work), "--user", ADMIN, "--password-stdin", str(workbook)],
                            PASSWORD + "\n", TRIAL_TIMEOUT)
    assert existing_full.code == 0, existing_full.stderr
    existing_window = existing_full.seconds * 1.1
    for trial, moment in enumerate(kill_moments(rng, TRIALS_EACH, existing_window)):
        if time.monotonic() > deadline:
            failures.append(f"out of time after {trial} existing-file trials")
            break
        work = fresh_copy(base, tmp_path / "existing")
        args = ["import", "--db", str(work), "--user", ADMIN, "--password-stdin", str(workbook)]
        outcome = killed_at_random(args, PASSWORD + "\n", moment)
        if verify(work, ADMIN, PASSWORD) != 0:
            failures.append(f"existing-file trial {trial} ({outcome}): verify failed")
            continue
        found = counts(work, ADMIN, PASSWORD)
        state = "untouched" if found == before else "complete" if found[0] == before[0] + CASES else "partial"
        outcomes[f"existing {outcome}, {state}"] = outcomes.get(f"existing {outcome}, {state}", 0) + 1
        if state == "partial":
            failures.append(f"existing-file trial {trial} ({outcome}): {found} rows, neither {before} nor complete")
        if state == "untouched":
            again = run_cli(args, PASSWORD + "\n", TRIAL_TIMEOUT)
            if again.code != 0:
                failures.append(f"existing-file trial {trial}: the import run again failed: {again.stderr.strip()[:200]}")

    report("existing file", {"trials": TRIALS_EACH, "full_import_seconds": round(existing_full.seconds, 2),
                             "outcomes": outcomes, "failures": failures})
    assert not failures, "\n".join(failures)
