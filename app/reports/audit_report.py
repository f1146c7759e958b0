"""What the self-audit PDF shows, as plain data: assembled by ``audit_data``, drawn by ``audit_pdf``.

Keeping the report's content separate from its drawing lets tests check the figures without
parsing a PDF, and lets the Reports screen preview the same content.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True)
class RuleStatus:
    rule: str
    kind: str
    title: str
    status: str  # clear / info / warning / trigger / violation
    count: int


@dataclass(frozen=True)
class AttendanceCell:
    text: str  # "Holder: A. Person" / "Substitute: B. Person" / "Absent"
    violation: bool


@dataclass(frozen=True)
class AttendanceRow:
    meeting: dt.date
    format: str
    title: str
    cells: dict[str, AttendanceCell]


@dataclass(frozen=True)
class RosterRow:
    role: str
    person: str
    start: dt.date
    end: dt.date | None


@dataclass(frozen=True)
class LetterRow:
    received_on: dt.date
    subject: str
    due_on: dt.date | None
    replied_on: dt.date | None
    status: str


@dataclass(frozen=True)
class ProgramRow:
    label: str
    value: str
    detail: str


@dataclass(frozen=True)
class Attestation:
    """Who attested the self-audit, in which role, when (UTC), for which as-of date, and how many
    findings it had; ``user`` the signed-in account that signed."""

    name: str
    role: str
    signed_at: dt.datetime
    as_of: dt.date
    findings: int
    blocking: int
    user: str
    staff_id: str | None = None
    #: where the audit log stood when it was signed: ``verify --against`` checks it still extends it
    audit_entry: int | None = None
    audit_hash: str | None = None
    audit_entries: int | None = None


@dataclass(frozen=True)
class QualityRow:
    """One project's (or the facility-wide records') readiness in the audit's submission period."""

    project: str
    status: str  # green / yellow / red
    errors: int
    warnings: int
    reviewed: int
    info: int


@dataclass(frozen=True)
class QualityRuleRow:
    rule: str
    title: str
    severity: str
    count: int
    open: int


@dataclass(frozen=True)
class QualityExplanation:
    """One explanation and the records it was written for (warnings explained with the same note,
    by the same person, the same day, read together)."""

    line: str
    records: tuple[str, ...]


@dataclass
class QualitySummary:
    """The self-audit's page on data quality: is the register ready to submit (app.services.quality)."""

    statement: str
    status: str
    periods: str
    rows: list[QualityRow] = field(default_factory=list)
    rules: list[QualityRuleRow] = field(default_factory=list)
    explanations: list[QualityExplanation] = field(default_factory=list)
    #: problems of earlier periods (not the audit's), by readiness: what is still open before it
    earlier: str = ""


@dataclass
class AuditReport:
    facility: str
    year: int
    as_of: dt.date
    policy_year: str
    generated_at: dt.datetime
    #: the policy in force at ``as_of``, in words ("MROQC QIP policy in force since 2025-01-01 (…)")
    policy_statement: str = ""
    identified: bool = False
    rules: list[RuleStatus] = field(default_factory=list)
    findings: list[dict[str, Any]] = field(default_factory=list)
    #: project → 12 monthly enrollment counts, for the year and the year before.
    enrollment: dict[str, list[int]] = field(default_factory=dict)
    enrollment_previous: dict[str, list[int]] = field(default_factory=dict)
    attendance: list[AttendanceRow] = field(default_factory=list)
    roster: list[RosterRow] = field(default_factory=list)
    data_entry: list[int] = field(default_factory=lambda: [0] * 12)
    data_entry_previous: list[int] = field(default_factory=lambda: [0] * 12)
    letters: list[LetterRow] = field(default_factory=list)
    programs: list[ProgramRow] = field(default_factory=list)
    #: set when a reviewer signs it (``app.reports.signing``); None: blank lines to sign by hand
    attestation: Attestation | None = None
    #: readiness to submit, counts per data-quality rule and the explanations (None: not evaluated)
    quality: QualitySummary | None = None

    @property
    def period(self) -> tuple[dt.date, dt.date]:
        return dt.date(self.year, 1, 1), min(dt.date(self.year, 12, 31), self.as_of)
