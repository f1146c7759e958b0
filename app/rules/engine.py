"""Evaluate every rule of POLICY.md on a snapshot at an as-of date."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from app.rules import correspondence, data_lag, enrollment, meetings, roles
from app.rules.findings import SEVERITY_ORDER, Finding
from app.rules.policy_file import Policy
from app.rules.snapshot import FacilitySnapshot

Rule = Callable[[FacilitySnapshot, Policy, dt.date], list[Finding]]
RULES: tuple[Rule, ...] = (
    enrollment.enrollment_zero,
    enrollment.enrollment_decline,
    enrollment.selective_enrollment,
    meetings.attendance_findings,
    data_lag.data_lag,
    correspondence.correspondence,
    roles.vacancies,
    meetings.ce_findings,
    enrollment.participation_volume,
)

#: Every rule ID with its kind and what it checks: the summary page lists each, fired or not.
CATALOGUE: tuple[tuple[str, str, str], ...] = (
    ("QIP-ENR-ZERO", "qip", "A project went too long without enrollment"),
    ("QIP-ENR-DECLINE", "qip", "Year-to-date enrollment fell too far against last year"),
    ("QIP-ENR-SELECTIVE", "qip", "Cases undecided or not enrolled without an accepted reason"),
    ("ENR-REASON-OTHER", "qip", "Cases not enrolled for reason 'other'"),
    ("QIP-MTG-MISSED", "qip", "A required role uncovered at too many meetings"),
    ("QIP-DATA-LAG", "qip", "Too long without data entry"),
    ("QIP-CORR-NORESPONSE", "qip", "Letters not answered by their due date"),
    ("QIP-ROLE-VACANT", "qip", "A required role has no holder"),
    ("PART-ROLE-VACANT", "qip", "Administrative lead or dosimetry representative vacant"),
    ("ATT-CC-ABSENT", "attendance", "Nobody attended for the clinical champion"),
    ("ATT-PL-ABSENT", "attendance", "Nobody attended for the physics lead"),
    ("ATT-CDA-ABSENT", "attendance", "Nobody attended for the CDA"),
    ("ATT-CC-SUB-INELIGIBLE", "attendance", "Unacceptable substitute for the clinical champion"),
    ("ATT-PL-SUB-INELIGIBLE", "attendance", "Unacceptable substitute for the physics lead"),
    ("ATT-CDA-SUB-INELIGIBLE", "attendance", "Unacceptable substitute for the CDA"),
    ("ATT-CC-SUB-LIMIT", "attendance", "Champion replaced more often than allowed"),
    ("ATT-DOUBLE-ROLE", "attendance", "One person covering two roles at a meeting"),
    ("CE-VIRTUAL", "ce", "CE credit requested for a virtual meeting"),
    ("CE-MDCB-NO-ID", "ce", "MDCB credit requested without a CMD ID"),
    ("PART-VOLUME", "participation", "Too few breast, lung and prostate cases in a year"),
)
KINDS: tuple[str, ...] = ("qip", "attendance", "ce", "participation")


def _order(finding: Finding) -> tuple:
    """Kind, then severity (triggers and violations first), rule, subject (ISO dates sort in time
    order), message: a total order, so the same data always lists the same way."""
    subject = sorted((k, str(v)) for k, v in finding.subject.items())
    return (KINDS.index(finding.kind), SEVERITY_ORDER.get(finding.severity, 9), finding.rule, subject, finding.message)


def evaluate(snapshot: FacilitySnapshot, policy: Policy, as_of: dt.date) -> list[Finding]:
    """Every rule of POLICY.md on ``snapshot`` at ``as_of``: pure, never reads the clock or a database."""
    findings = [f for rule in RULES for f in rule(snapshot, policy, as_of)]
    return sorted(findings, key=_order)
