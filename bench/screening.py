"""Benchmark of ``screen-import``: a 50,000-row list previewed and imported, beside a bare read.

    .venv/bin/python -m bench.screening [--rows 50000] [--runs 3]

Targets (issue 17): preview under 5 s, import under 15 s, for 50,000 rows. The baseline is a bare
``csv.reader`` pass over the same file in the same run, so a slow machine shows as a slow baseline
too. The list is synthetic (made-up MRNs and names); the database is a new encrypted facility
file in a temporary folder. It is a benchmark, not a test: it never fails.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

CODES = ("C50.911", "C50.412", "C34.90", "C34.11", "C61", "C79.51; C50.912", "C79.52, C64.9", "C18.7", "C32.9",
         "C43.9", "C71.9", "C34.90; C61")
PAYERS = ("MEDICARE", "BCBS OF MICHIGAN", "BLUE CARE NETWORK", "MEDICAID", "AETNA", "SELF PAY")
LAST = ("MÜLLER", "NÚÑEZ", "O'BRIEN", "GARCÍA", "SMITH", "NGUYEN", "KOWALSKI", "ØSTERGÅRD", "DUBOIS", "OKAFOR")
FIRST = ("JOSÉ", "RENÉE", "ANA", "JOHN", "THỊ", "EWA", "SØREN", "AIMÉE", "CHINEDU", "MARÍA")


def write_list(path: Path, rows: int, seed: int = 17) -> None:
    """An ARIA-like consult list of ``rows`` rows over about ``rows * 0.8`` patients."""
    rng = random.Random(seed)
    start = dt.date(2025, 1, 1)
    with path.open("w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["Patient ID", "Patient Name", "DOB", "Diagnosis Code", "Diagnosis Description",
                      "Consult Date", "Insurance"])
        for _ in range(rows):
            patient = rng.randrange(int(rows * 0.8))
            born = dt.date(1935, 1, 1) + dt.timedelta(days=(patient * 7919) % 20000)
            consult = start + dt.timedelta(days=rng.randrange(180))
            out.writerow([f"B{patient:07d}", f"{LAST[patient % 10]}, {FIRST[(patient // 10) % 10]}",
                          born.strftime("%m/%d/%Y"), CODES[patient % len(CODES)], "", consult.strftime("%m/%d/%Y"),
                          PAYERS[patient % len(PAYERS)]])


def median_s(action: Callable[[], object], runs: int) -> float:
    samples = []
    for _ in range(runs):
        began = time.perf_counter()
        action()
        samples.append(time.perf_counter() - began)
    return statistics.median(samples)


def new_database(folder: Path):  # type: ignore[no-untyped-def]
    from app.security.signin import create_database
    from app.services.facility import FacilityDetails, save_facility
    from app.storage.database import sqlite_url

    path = folder / f"bench-{time.monotonic_ns()}.sqlite3"
    db, _ = create_database(sqlite_url(path), "bench", "bench password 123")
    save_facility(db, FacilityDetails(name="Benchmark Cancer Center", joined_on=dt.date(2019, 1, 1),
                                      baseline_year=2019), today=dt.date(2025, 6, 30))
    return db


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    from app.screening.service import import_list, preview, read_list

    with tempfile.TemporaryDirectory() as temp:
        folder = Path(temp)
        source = folder / "consults.csv"
        write_list(source, args.rows)

        def bare_read() -> int:
            with source.open(encoding="utf-8", newline="") as handle:
                return sum(1 for _ in csv.reader(handle))

        baseline = median_s(bare_read, args.runs)
        db = new_database(folder)
        shown = preview(db, source)
        counts = shown.plan.counts()
        preview_s = median_s(lambda: preview(db, source), args.runs)

        def fresh_import() -> None:
            target = new_database(folder)
            began = time.perf_counter()
            import_list(target, read_list(source))
            samples.append(time.perf_counter() - began)
            target.dispose()

        samples: list[float] = []
        for _ in range(args.runs):
            fresh_import()
        import_s = statistics.median(samples)
        import_list(db, read_list(source))
        again_s = median_s(lambda: preview(db, source), 1)
        reimport_began = time.perf_counter()
        import_list(db, read_list(source))
        reimport_s = time.perf_counter() - reimport_began
        db.dispose()
    print(f"screen-import benchmark: {args.rows:,} rows ({counts['new']:,} new cases, {counts['unchanged']:,} "
          f"unchanged, {counts['not_eligible']:,} not eligible); median of {args.runs} runs")
    print(f"{'figure':58} {'seconds':>8} {'x bare read':>12}")
    for name, seconds, target in (
        ("bare csv.reader pass over the file (baseline)", baseline, None),
        ("preview: read, map, decide, match (empty register)", preview_s, 5.0),
        ("import: preview + write + audit in one transaction", import_s, 15.0),
        ("preview again, every case now in the register", again_s, 5.0),
        ("re-import of the same file (all unchanged)", reimport_s, 15.0),
    ):
        verdict = "" if target is None else (f"  target < {target:g} s: " + ("met" if seconds < target else "MISSED"))
        print(f"{name:58} {seconds:8.2f} {seconds / baseline:12.1f}{verdict}")


if __name__ == "__main__":
    main()
