"""A finding's evidence as the coordinator reads it: sentences, a few labelled facts, tables of
the records behind it, and one line on what to do next.

The one presentation of evidence: the Findings screen draws it with Qt, the self-audit PDF with
reportlab (``app.reports.audit_pdf``); both read ``present``. Plain text only (no markup): each
drawer escapes for its own medium.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from app.domain.vocabulary import CODES, label
from app.rules.engine import NEXT_STEPS

#: Plain values listed in one fact (dates, staff IDs); records and case IDs get a table.
EVIDENCE_ITEMS = 200
#: Evidence keys whose list of plain values names cases: shown as a table of cases.
CASE_ID_LISTS = ("eligible_case_ids",)


#: Evidence keys whose label() would not read well (IDs in capitals)
HEADINGS = {"case_id": "Case ID", "eligible_case_ids": "Eligible case IDs", "meeting_id": "Meeting ID",
            "staff_id": "Staff ID"}


def heading(key: str) -> str:
    """An evidence key as a heading: ``case_id`` → "Case ID", ``window_start`` → "Window start"."""
    return HEADINGS.get(key) or label(key)


def evidence_value(value: Any) -> str:
    """A stored code (``bone_mets``, ``not_enrolled``) in words; anything else as it is."""
    if value is None:
        return "-"
    if isinstance(value, str) and value in CODES:
        return label(value)
    return str(value)


def evidence_text(value: Any) -> str:
    """A fact as a person reads it: ``key: value`` pairs, lists comma-separated, "none" for an
    empty list (never ``[]``, ``{…}`` or ``null``)."""
    if value is None:
        return "-"
    if isinstance(value, dict):
        return ", ".join(f"{label(k).lower()}: {evidence_value(v)}" for k, v in value.items()) or "none"
    if isinstance(value, list | tuple):
        if not value:
            return "none"
        text = ", ".join(evidence_text(v) if isinstance(v, dict) else evidence_value(v) for v in value[:EVIDENCE_ITEMS])
        more = len(value) - EVIDENCE_ITEMS
        return text + (f"\n… and {more} more" if more > 0 else "")
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str | int | float):
        return evidence_value(value)
    return json.dumps(value, default=str)


@dataclass(frozen=True)
class EvidenceTable:
    """Records listed by a finding (cases, letters, months): ``columns`` are the record keys,
    ``headers`` their labels, ``caption`` says how many (and how many more exist)."""

    key: str
    caption: str
    columns: tuple[str, ...]
    records: tuple[dict[str, Any], ...]

    @property
    def headers(self) -> tuple[str, ...]:
        return tuple(heading(c) for c in self.columns)

    def texts(self) -> list[list[str]]:
        return [[evidence_value(r.get(c)) for c in self.columns] for r in self.records]

    @property
    def case_ids(self) -> list[str]:
        return [str(r["case_id"]) for r in self.records if r.get("case_id")] if "case_id" in self.columns else []


@dataclass(frozen=True)
class EvidenceView:
    rule: str
    severity: str
    heading: str            # "QIP-ENR-ZERO: project lung"
    message: str            # the rule's sentence
    facts: tuple[tuple[str, str], ...]
    tables: tuple[EvidenceTable, ...]
    next_step: str

    @property
    def case_ids(self) -> list[str]:
        """Every case the evidence names, in its tables' order, once each."""
        seen: dict[str, None] = {}
        for table in self.tables:
            for cid in table.case_ids:
                seen.setdefault(cid, None)
        return list(seen)

    @property
    def case_table(self) -> EvidenceTable | None:
        """The table of cases to work through, if the finding lists any."""
        return next((t for t in self.tables if t.case_ids), None)


def subject_text(subject: dict[str, Any]) -> str:
    return ", ".join(f"{k} {evidence_value(v)}" for k, v in subject.items())


def _table(key: str, records: list[dict[str, Any]], evidence: dict[str, Any]) -> EvidenceTable:
    columns: list[str] = []
    for record in records:
        columns += [c for c in record if c not in columns]
    total = evidence.get(f"{key.removesuffix('s')}_count")  # "cases" -> "case_count", when the rule gives it
    if key in CASE_ID_LISTS:
        total = evidence.get("eligible_cases_seen")
    caption = f"{heading(key)}: {len(records)}"
    if isinstance(total, int) and total > len(records):
        caption += f" listed of {total} (the rest are in the facility's records)"
    return EvidenceTable(key, caption, tuple(columns), tuple(records))


def is_record_list(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def present(finding: dict[str, Any]) -> EvidenceView:
    """The view of one finding as ``Finding.to_json`` gives it (dates as ISO text)."""
    evidence = finding.get("evidence") or {}
    facts, tables = [], []
    for key, value in evidence.items():
        if is_record_list(value):
            tables.append(_table(key, value, evidence))
        elif key in CASE_ID_LISTS and isinstance(value, list) and value:
            tables.append(_table(key, [{"case_id": v} for v in value], evidence))
        else:
            facts.append((heading(key), evidence_text(value)))
    subject = subject_text(finding.get("subject") or {})
    return EvidenceView(finding["rule"], finding.get("severity", ""),
                        finding["rule"] + (f": {subject}" if subject else ""), finding.get("message", ""),
                        tuple(facts), tuple(tables), next_step(finding["rule"]))


def next_steps() -> dict[str, str]:
    """Rule ID → what to do next, as each rule declares it (``RuleEntry.next_step``)."""
    return dict(NEXT_STEPS)


def next_step(rule: str) -> str:
    return NEXT_STEPS.get(rule, "")
