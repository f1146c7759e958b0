"""The cases behind the findings at an as-of date, one row per case: the work list a coordinator
exports from the Findings screen (or ``export finding-cases [--rule RULE]``).

Built from the same presentation the screen and the self-audit show (``app.reports.evidence``);
a case the evidence names by ID only gets its project, eligible date, status at the as-of date
and reason from the register. A case note is free text (it may name the patient): only an
identified export carries it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select

from app.reports.audit_rules import withhold_free_text
from app.reports.evidence import evidence_value, present, subject_text
from app.rules.snapshot import status_at
from app.services.findings import evaluate_at
from app.storage.database import Database
from app.storage.models import Case
from app.storage.tabular import Sheet

HEADERS = ("Rule", "Subject", "Case ID", "Project", "Eligible on", "Status at the as-of date", "Not-enrolled reason",
           "Problem", "Note")
#: SQLite's default limit on bound parameters is 999: look cases up in chunks below it
CHUNK = 500


def _register(db: Database, ids: list[str], as_of: dt.date) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    with db.reader() as session:
        for start in range(0, len(ids), CHUNK):
            for c in session.scalars(select(Case).where(Case.case_id.in_(ids[start:start + CHUNK]))):
                status = status_at(c.status, c.enrolled_on, as_of)
                found[c.case_id] = {"project": c.project, "eligible_on": c.eligible_on, "status": status,
                                    "reason": c.not_enrolled_reason if status == "not_enrolled" else None}
    return found


def finding_cases_sheet(db: Database, as_of: dt.date, identified: bool = False, rule: str | None = None) -> Sheet:
    """Every case a finding lists at ``as_of`` (only ``rule``'s findings when given)."""
    findings = [f.to_json() for f in evaluate_at(db, as_of).findings if rule is None or f.rule == rule]
    if not identified:
        findings = [withhold_free_text(f) for f in findings]
    listed: list[tuple[dict[str, Any], dict[str, Any]]] = []
    for finding in findings:
        view = present(finding)
        records = [r for t in view.tables if t.case_ids for r in t.records]
        if not records and finding["evidence"].get("case_id"):  # ENR-REASON-OTHER: the finding is the case
            records = [finding["evidence"]]
        listed += [(finding, r) for r in records]
    register = _register(db, sorted({str(r["case_id"]) for _, r in listed}), as_of)
    rows = []
    for finding, record in listed:
        known = {**register.get(str(record["case_id"]), {}), **{k: v for k, v in record.items() if v is not None}}
        rows.append([finding["rule"], subject_text(finding["subject"]), str(record["case_id"]),
                     evidence_value(known.get("project")), _date(known.get("eligible_on")),
                     evidence_value(known.get("status")), evidence_value(known.get("reason")) if known.get("reason") else "",
                     known.get("problem") or "", known.get("note") or ""])
    scope = f"{rule}" if rule else "any finding"
    return Sheet("cases", HEADERS, rows, empty_note=f"No case is listed by {scope} as of {as_of.isoformat()}.")


def _date(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return value
    return value
