"""QIP-ROLE-VACANT and PART-ROLE-VACANT: roles with nobody holding them on the as-of date."""

from __future__ import annotations

import datetime as dt

from app.domain.vocabulary import OPTIONAL_ROLES, REQUIRED_ROLES, label
from app.rules.findings import Finding
from app.rules.measures import Measure
from app.rules.policy_file import Policy
from app.rules.snapshot import FacilitySnapshot

RULE_REQUIRED = "QIP-ROLE-VACANT"
RULE_OPTIONAL = "PART-ROLE-VACANT"


def vacancy_measures(snapshot: FacilitySnapshot, policy: Policy, as_of: dt.date) -> list[Measure]:
    """QIP-ROLE-VACANT's figure for each required role: how many hold it on D (it fires at none)."""
    return [Measure(RULE_REQUIRED, {"role": role}, len(snapshot.holders(role, as_of)), 1,
                    not snapshot.holders(role, as_of), {"holders": list(snapshot.holders(role, as_of))})
            for role in REQUIRED_ROLES]


def vacancies(snapshot: FacilitySnapshot, policy: Policy, as_of: dt.date) -> list[Finding]:
    """A finding per role nobody holds on D: a trigger for a required role, a warning for the
    administrative lead or dosimetry representative. Evidence: since when it is vacant."""
    findings = []
    for role in REQUIRED_ROLES + OPTIONAL_ROLES:
        if snapshot.holders(role, as_of):
            continue
        ended = [r for r in snapshot.roles if r.role == role and r.end is not None and r.end < as_of]
        last = max((r.end for r in ended if r.end), default=None)
        required = role in REQUIRED_ROLES
        findings.append(Finding(
            RULE_REQUIRED if required else RULE_OPTIONAL, "qip",
            "trigger" if required else "warning", {"role": role},
            f"Nobody holds the {'required ' if required else ''}role of {label(role).lower()} on {as_of.isoformat()}"
            + (f" (vacant since {(last + dt.timedelta(days=1)).isoformat()})." if last else "."),
            {"vacant_since": last + dt.timedelta(days=1) if last else None},
        ))
    return findings
