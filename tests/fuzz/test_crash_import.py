"""Kill -9 at random moments of ``mroqc-desk import``: untouched or complete, never stuck.

A workbook of 2,000 cases (four lookup chunks per sheet) is imported through the real command line, into a new file
(this file) and into an existing one (``test_crash_import_existing.py``: the two run on two
workers), and the process is killed at a random moment (16 trials each, seeded, each bounded in time, one
in each sixteenth of the import's run: ``harness.kill_moments``). Afterwards a new file either does not exist or passes ``verify`` and holds
the whole workbook; an existing file passes ``verify`` and holds either its old rows or all the
new ones; and the same import run again succeeds (nothing is stuck).
"""

from __future__ import annotations

import random
import shutil
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.storage.models import Case, DataEntry
from tests.fuzz import harness
from tests.fuzz.harness import kill_moments, run_cli, start
from tests.fuzz.test_fuzz_import import NEW_ADMIN, NEW_PASSWORD
from tests.support import reopen
from tests.unit.test_workbook import VALID

pytestmark = pytest.mark.slow(40)  # seconds on a quiet two-core machine: its file runs first

TRIALS_EACH = 16  # one kill in each sixteenth of the run (25 uniform draws left gaps and clustered)
CASES = 2000  # four lookup chunks per sheet (LOOKUP_CHUNK 500): kills still land between chunks
TRIAL_TIMEOUT = 120.0


def big_workbook(path: Path) -> Path:
    """VALID plus ``CASES`` cases with a data-entry row each, as an .xlsx."""
    from app.storage.tabular import Sheet, write_xlsx

    sheets = {name: [list(r) for r in rows] for name, rows in VALID.items()}
    header = sheets["cases"][0]
    for i in range(CASES):
        row = dict.fromkeys(header, "")
        row.update(case_id=f"K{i:05d}", project=("breast", "lung", "prostate")[i % 3], eligible_on="2024-03-01",
                   status="pending")
        sheets["cases"].append([row[h] for h in header])
        sheets["data_entry"].append(["2024-03-05", f"K{i:05d}", "abstraction", "S3"])
    write_xlsx(path, [Sheet(n, rows[0], rows[1:], empty_note="") for n, rows in sheets.items()])
    return path


def counts(path: Path, name: str, password: str) -> tuple[int, int]:
    db = reopen(path, name, password)
    try:
        with db.reader() as s:
            return s.scalar(select(func.count()).select_from(Case)), s.scalar(select(func.count()).select_from(DataEntry))
    finally:
        db.dispose()


def killed_at_random(args: list[str], stdin: str, delay: float) -> str:
    """Start the command, SIGKILL it after ``delay`` seconds (if still running); its end as text."""
    child = start(args, stdin)
    status = None
    while status is None:
        code = child.poll()
        if code is not None:
            status = f"exit {code}"
        elif time.monotonic() - child.started >= delay:
            child.kill()
            child.wait()
            status = "killed"
        else:
            child.pause(0.005)
    child.outputs()
    return status


def report(part: str, figures: dict) -> None:
    """The figures of ``part``, printed and (``MROQC_CRASH_REPORT``) written."""
    harness.report("MROQC_CRASH_REPORT", part, figures)


def verify(path: Path, name: str, password: str) -> int:
    return run_cli(["verify", "--db", str(path), "--user", name, "--password-stdin"], password + "\n", TRIAL_TIMEOUT).code


def test_kill_during_a_new_file_import_leaves_no_file_or_a_complete_one(tmp_path: Path) -> None:
    rng = random.Random(13)
    workbook = big_workbook(tmp_path / "big.xlsx")

    reference = tmp_path / "reference" / "facility.sqlite3"
    reference.parent.mkdir()
    new_args = ["import", "--db", str(reference), "--admin", NEW_ADMIN, "--password-stdin", str(workbook)]
    full = run_cli(new_args, NEW_PASSWORD + "\n", TRIAL_TIMEOUT)
    assert full.code == 0, full.stderr
    complete_new = counts(reference, NEW_ADMIN, NEW_PASSWORD)
    window = full.seconds * 1.1

    failures: list[str] = []
    outcomes: dict[str, int] = {}
    leftovers: list[str] = []
    deadline = time.monotonic() + 900
    for trial, moment in enumerate(kill_moments(rng, TRIALS_EACH, window)):
        if time.monotonic() > deadline:
            failures.append(f"out of time after {trial} new-file trials")
            break
        target = tmp_path / "new" / f"t{trial}" / "facility.sqlite3"
        target.parent.mkdir(parents=True)
        args = ["import", "--db", str(target), "--admin", NEW_ADMIN, "--password-stdin", str(workbook)]
        outcome = killed_at_random(args, NEW_PASSWORD + "\n", moment)
        state = "complete" if target.exists() else "absent"
        outcomes[f"new {outcome}, {state}"] = outcomes.get(f"new {outcome}, {state}", 0) + 1
        if target.exists():
            if verify(target, NEW_ADMIN, NEW_PASSWORD) != 0:
                failures.append(f"new-file trial {trial} ({outcome}): verify failed")
            elif counts(target, NEW_ADMIN, NEW_PASSWORD) != complete_new:
                failures.append(f"new-file trial {trial} ({outcome}): the file exists but is incomplete")
        extra = sorted(p.name for p in target.parent.iterdir()
                       if p.name not in (target.name, target.name + ".keys") and not p.name.endswith(".lock"))
        if extra or (not target.exists() and any(target.parent.iterdir())):
            leftovers.append(f"t{trial}: {sorted(p.name for p in target.parent.iterdir())}")
        if not target.exists():  # never stuck: the same import succeeds afterwards
            again = run_cli(args, NEW_PASSWORD + "\n", TRIAL_TIMEOUT)
            if again.code != 0:
                failures.append(f"new-file trial {trial}: the import run again failed: {again.stderr.strip()[:200]}")
        shutil.rmtree(target.parent)

    figures = {"trials": TRIALS_EACH, "full_import_seconds": round(full.seconds, 2), "outcomes": outcomes,
               "leftover_files": leftovers, "failures": failures}
    report("new file", figures)
    assert not failures, "\n".join(failures)


def test_what_a_killed_new_file_import_left_is_removed_by_the_next_one(tmp_path: Path) -> None:
    """A killed build leaves its hidden temporary files (named with its process ID, encrypted under
    a key that was never saved); the next command creating that file removes them."""
    workbook = big_workbook(tmp_path / "big.xlsx")
    target = tmp_path / "new" / "facility.sqlite3"
    target.parent.mkdir()
    args = ["import", "--db", str(target), "--admin", NEW_ADMIN, "--password-stdin", str(workbook)]
    full = run_cli(args, NEW_PASSWORD + "\n", TRIAL_TIMEOUT)
    assert full.code == 0
    shutil.rmtree(target.parent)
    target.parent.mkdir()
    outcome = killed_at_random(args, NEW_PASSWORD + "\n", full.seconds * 0.6)
    assert outcome == "killed"
    assert not target.exists()
    again = run_cli(args, NEW_PASSWORD + "\n", TRIAL_TIMEOUT)
    assert again.code == 0 and target.exists()
    assert sorted(p.name for p in target.parent.iterdir() if ".building-" in p.name) == []
