"""Issue 13's targets for a new database: every file of the fuzz corpus imported through the real
command line into a new ``--db`` file must exit 0, 1 or 2 with a clear answer and no traceback,
within ``MAX_RSS_MB``, and a refused import leaves no file behind (``test_fuzz_import.py`` has the
same for an existing database and the harness's notes)."""

from __future__ import annotations

import collections
import shutil
from pathlib import Path

import pytest

from tests.fuzz.corpus import build
from tests.fuzz.harness import clear_answer, run_cli
from tests.fuzz.test_fuzz_import import (
    MAX_RSS_MB,
    NEW_ADMIN,
    NEW_PASSWORD,
    fresh_interpreter_for_first_of_each_family,
    report,
)

pytestmark = pytest.mark.slow(25)  # seconds on a quiet two-core machine: its file runs first


def test_every_corpus_file_gets_a_clear_answer_in_a_new_database(tmp_path: Path) -> None:
    corpus = build(tmp_path / "corpus", seed=13)
    failures: list[str] = []
    codes: collections.Counter[str] = collections.Counter()
    peak = 0.0
    stuck: list[str] = []
    for item, real in fresh_interpreter_for_first_of_each_family(corpus, share=1):
        target = tmp_path / "new" / item.name.replace(".", "-") / "facility.sqlite3"
        target.parent.mkdir(parents=True)
        run = run_cli(["import", "--db", str(target), "--admin", NEW_ADMIN, "--password-stdin", str(item.path)],
                      NEW_PASSWORD + "\n", real=real)
        codes[f"new:{run.code}"] += 1
        peak = max(peak, run.max_rss_mb)
        problem = clear_answer(run)
        left = sorted(p.name for p in target.parent.iterdir())
        if problem is None and run.code != 0 and left:
            problem = f"a refused import left {left}"
            stuck.append(item.name)
        if problem is None and run.code == 0 and not target.exists():
            problem = "exit 0 but no database"
        if problem is None and run.max_rss_mb > MAX_RSS_MB:
            problem = f"used {run.max_rss_mb:.0f} MB"
        if problem:
            failures.append(f"{item.name} (new database): {problem}")
        shutil.rmtree(target.parent)

    report("new database", {"inputs": len(corpus), "runs": len(corpus), "exit_codes": dict(sorted(codes.items())),
                            "max_rss_mb": round(peak, 1), "files_left_by_refused_new_db": stuck, "failures": failures})
    assert not failures, "\n".join(failures)
