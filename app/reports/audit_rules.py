"""The rule-driven parts of the self-audit: findings, rule summary, attendance matrix, programs."""

from __future__ import annotations

from typing import Any

from app.reports.audit_report import (
    AttendanceCell,
    AttendanceRow,
    AuditReport,
    ProgramRow,
    QualityExplanation,
    QualityRow,
    QualityRuleRow,
    QualitySummary,
    RuleStatus,
)
from app.rules.engine import CATALOGUE
from app.rules.meetings import attendance_verdicts
from app.rules.quality import READINESS_WORDS, worst
from app.services.evaluations import quality_at
from app.services.findings import Evaluation, evaluate_at, program_figures_of
from app.services.program_view import (
    DATA_HISTORY,
    FTE_ESTIMATE,
    MVC_QUESTIONNAIRE,
    P4P_PAYMENT,
    VBR,
    eligible_words,
    met_words,
)
from app.services.reviews import Review, review_states
from app.storage.database import Database

NOTE_WITHHELD = "(note withheld: free text may name the patient; export with identifiers to include it)"


def withhold_free_text(finding: dict[str, Any]) -> dict[str, Any]:
    """A finding without the case note a coordinator typed (ENR-REASON-OTHER quotes it).

    A note is free text: it may hold a name or an MRN, so a de-identified audit leaves it out."""
    evidence = finding.get("evidence") or {}
    note = evidence.get("note")
    if not note:
        return finding
    return {**finding, "message": finding["message"].replace(note, NOTE_WITHHELD),
            "evidence": {**evidence, "note": NOTE_WITHHELD}}


def add_rule_content(db: Database, report: AuditReport, evaluation: Evaluation | None = None) -> None:
    """Findings, the rule summary, the attendance matrix and program figures at the report's as-of
    date, from ``evaluation`` (the one ``build_report`` resolved the policy with) or one made now."""
    if evaluation is None:
        evaluation = evaluate_at(db, report.as_of)
    snapshot, policy = evaluation.snapshot, evaluation.policy
    report.policy_year = str(policy.year)
    report.policy_statement = evaluation.in_force.statement
    findings = [f.to_json() for f in evaluation.findings]
    for finding, state in zip(findings, review_states(db, evaluation.findings, report.as_of), strict=True):
        if state.current is not None:  # the facility's explanation: "explained by … on …"
            finding["review"] = {"line": state.current.line, "by": state.current.reviewed_by,
                                 "at": state.current.reviewed_at.isoformat(), "note": state.current.note}
    if not report.identified:
        findings = [withhold_free_text(f) for f in findings]
    report.findings = findings
    counts: dict[str, list] = {}
    order = {"info": 0, "warning": 1, "trigger": 2, "violation": 2}
    for f in findings:
        entry = counts.setdefault(f["rule"], [0, "clear"])
        entry[0] += 1
        if entry[1] == "clear" or order[f["severity"]] > order.get(entry[1], 0):
            entry[1] = f["severity"]
    report.rules = [RuleStatus(rule, kind, title, counts.get(rule, [0, "clear"])[1], counts.get(rule, [0, "clear"])[0])
                    for rule, kind, title in CATALOGUE]
    for mv in attendance_verdicts(snapshot, policy, report.year, report.as_of):
        cells = {}
        for role, rv in mv.roles.items():
            if not rv.attendees:
                cells[role] = AttendanceCell("Absent", True)
                continue
            parts = []
            for a in rv.attendees:
                kind = "Holder" if a.holder else "Substitute"
                text = f"{kind}: {a.name}" + (f" - not acceptable: {a.reason}" if not a.acceptable else "")
                parts.append(text)
            double = any(a.staff_id in mv.double_roles for a in rv.attendees)
            cells[role] = AttendanceCell("; ".join(parts) + (" (covering two roles)" if double else ""),
                                         not rv.covered or double)
        report.attendance.append(AttendanceRow(mv.meeting.date, mv.meeting.format, mv.meeting.title or "", cells))
    figures = program_figures_of(evaluation)
    h, fte = figures.data_history, figures.fte
    report.programs = [
        ProgramRow(DATA_HISTORY, met_words(h.met).capitalize(),
                   f"baseline {h.baseline_year}; contribution years {', '.join(map(str, h.contribution_years)) or 'none'}"
                   + ("; " + "; ".join(h.reasons) if h.reasons else "")),
        *[ProgramRow(f"{VBR}: {v.name}", eligible_words(v.eligible).capitalize(), "; ".join(v.unmet) or "all conditions met")
          for v in figures.vbr],
        ProgramRow(f"{FTE_ESTIMATE} {fte.year}", f"{fte.fte} FTE",
                   f"{fte.cases} enrolled cases / {fte.cases_per_fte}; {fte.staffing}"
                   + (f"; non-BCBSM share {fte.non_bcbsm_share:.1%} (projected {fte.projected_non_bcbsm_share:.0%})"
                      if fte.non_bcbsm_share is not None else "")),
        ProgramRow(P4P_PAYMENT, figures.p4p_payment.isoformat(), f"payment for {report.as_of.year} performance"),
        ProgramRow(MVC_QUESTIONNAIRE, figures.mvc_questionnaire_due.isoformat(), "due date"),
    ]


def add_quality_content(db: Database, report: AuditReport) -> None:
    """The data-quality page: readiness per project in the submission periods of the audit's year,
    the count of each rule there, and every explanation kept for its warnings (the note as written:
    the screen asks that it names no patient), grouped by note. The report of the as-of date is
    the window's when it keeps one for this data version (``quality_at``: the Dashboard's readiness
    tile made it; 0.45-0.6 s of a 200,000-case preview's 1.15 s), else made now."""
    quality = quality_at(db, report.as_of)
    start, end = report.period
    periods = [p for p in quality.periods if p.start <= end and p.end >= start]
    rows = []
    for project in (*[c.project for c in quality.cells if c.period == periods[0]],) if periods else ():
        cells = [c for c in quality.cells if c.period in periods and c.project == project]
        rows.append(QualityRow(project, worst(c.status for c in cells), sum(c.errors for c in cells),
                               sum(c.warnings for c in cells), sum(c.reviewed for c in cells), sum(c.info for c in cells)))
    inside = [i for i, p in enumerate(quality.problems) if p.period in periods]
    rules = []
    for rule in quality.rules.rules:
        mine = [i for i in inside if quality.problems[i].rule == rule.id]
        still = [i for i in mine if quality.problems[i].severity == "error"
                 or (quality.problems[i].severity == "warning" and quality.reviews[i] is None)]
        rules.append(QualityRuleRow(rule.id, rule.title, rule.severity, len(mine), len(still)))
    grouped: dict[tuple[str, str, str], list[str]] = {}
    lines: dict[tuple[str, str, str], Review] = {}
    for i in inside:
        review = quality.reviews[i]
        if review is None:
            continue
        key = (review.note, review.reviewed_by, review.reviewed_local.date().isoformat())
        lines.setdefault(key, review)
        grouped.setdefault(key, []).append(f"{quality.problems[i].rule} {_record_words(quality.problems[i].subject)}")
    earlier = [p for p in quality.periods if p.end < start and quality.period_status(p) != "green"]
    report.quality = QualitySummary(
        statement=quality.in_force.statement,
        status=worst(r.status for r in rows),
        periods=", ".join(f"{p.label} ({p.start.isoformat()} to {p.end.isoformat()})" for p in periods),
        rows=rows, rules=rules,
        explanations=[QualityExplanation(lines[k].line, tuple(grouped[k])) for k in grouped],
        earlier="; ".join(f"{p.label}: {READINESS_WORDS[quality.period_status(p)].lower()}" for p in earlier))


def _record_words(subject: dict[str, Any]) -> str:
    if "letter" in subject:
        return f"letter {subject['letter']}"
    if "meeting" in subject:
        return f"meeting {subject['meeting']} ({subject.get('staff', '')})"
    if "submitted_on" in subject:
        return f"case {subject['case']} (submitted {subject['submitted_on']})"
    return f"case {subject.get('case', '')}"
