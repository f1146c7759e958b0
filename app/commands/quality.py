"""``mroqc-desk quality --db PATH [--as-of DATE] [--json]``: the data-quality rules over the
whole register, and whether it is ready to submit.

Exit 0 ready (no error, every warning explained), 1 not ready, 2 unusable input (a bad date, a
missing or foreign database, no facility: one line on standard error, from ``app.cli``). Without
``--json``: the readiness, one line per submission period and project, then each rule with its
problems (the first ``SHOWN`` of each; ``--json`` lists every one). Neither says a patient
identifier (the sentences name records by their IDs).
"""

from __future__ import annotations

import datetime as dt

from app.commands.output import EXIT_FINDINGS, EXIT_OK, print_json
from app.rules.quality import READINESS_WORDS, SEVERITY_WORDS
from app.services.quality import QualityReport, evaluate_quality, project_words, to_json
from app.storage.database import Database

#: Problems printed per rule without ``--json``.
SHOWN = 20
MARK = {"red": "✕", "yellow": "!", "green": "✓"}


def lines(report: QualityReport) -> list[str]:
    """The human output, line by line."""
    out = [f"{report.facility}: as of {report.as_of.isoformat()}, {report.in_force.statement}"]
    warnings = sum(p.severity == "warning" for p in report.problems)
    out.append(f"Readiness: {READINESS_WORDS[report.status]} — {report.errors} error(s), {report.open_warnings} "
               f"of {warnings} warning(s) not explained")
    for period in report.periods:
        cells = [c for c in report.cells if c.period == period]
        out.append(f"  {period.label}: " + "; ".join(f"{project_words(c.project)} {MARK[c.status]} {c.words}"
                                                       for c in cells))
    by_rule: dict[str, list[int]] = {}
    for i, p in enumerate(report.problems):
        by_rule.setdefault(p.rule, []).append(i)
    for count in report.counts():
        rule = count.rule
        if not count.count:
            continue
        out.append("")
        out.append(f"[{SEVERITY_WORDS[rule.severity].lower()}] {rule.title} [{rule.id}]: {count.count} "
                   f"({count.open} open). {rule.action}")
        members = by_rule.get(rule.id, [])
        for i in members[:SHOWN]:
            review = report.reviews[i]
            out.append(f"  {report.problems[i].message}" + (f" — {review.line}" if review else ""))
        if len(members) > SHOWN:
            out.append(f"  … and {len(members) - SHOWN:,} more (--json lists every one)")
    total = len(report.problems)
    out.append("")
    out.append(f"{total} problem(s): {'ready to submit' if report.ready else 'not ready to submit'}.")
    return out


def run(db: Database, as_of: dt.date, as_json: bool) -> int:
    report = evaluate_quality(db, as_of)
    if as_json:
        print_json(to_json(report))
    else:
        print("\n".join(lines(report)))
    return EXIT_OK if report.ready else EXIT_FINDINGS
