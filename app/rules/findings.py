"""A finding: one rule firing for one subject, with a sentence and the evidence behind it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

SEVERITY_ORDER = {"trigger": 0, "violation": 0, "warning": 1, "info": 2}


@dataclass(frozen=True)
class Finding:
    rule: str
    kind: str
    severity: str
    subject: dict[str, Any]
    message: str
    evidence: dict[str, Any] = field(default_factory=dict)

    @property
    def blocking(self) -> bool:
        """Triggers and violations make ``check`` exit 1."""
        return self.severity in ("trigger", "violation")

    def to_json(self) -> dict[str, Any]:
        return {"rule": self.rule, "kind": self.kind, "severity": self.severity, "subject": plain(self.subject),
                "message": self.message, "evidence": plain(self.evidence)}


def plain(value: Any) -> Any:
    """JSON-safe: dates as ISO strings, tuples as lists."""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [plain(v) for v in value]
        return sorted(items) if isinstance(value, set | frozenset) else items
    return value


def days_between(start: dt.date, end: dt.date) -> int:
    """Whole days in the half-open range (start, end]."""
    return max(0, (end - start).days)


def day_range(start: dt.date, end: dt.date) -> list[dt.date]:
    """The days of (start, end]."""
    return [start + dt.timedelta(days=i) for i in range(1, days_between(start, end) + 1)]
