"""QIP-ROLE-VACANT and PART-ROLE-VACANT: roles with nobody holding them on the as-of date."""

from __future__ import annotations

import datetime as dt

from app.domain.vocabulary import OPTIONAL_ROLES, REQUIRED_ROLES, label
from app.rules.findings import Finding
from app.rules.forecast import Forecast, as_it_stood, firing
from app.rules.measures import Measure
from app.rules.policy_file import Policy
from app.rules.snapshot import FacilitySnapshot
from app.rules.spec import Evaluated, Figure, RuleEntry, RuleSpec, TileSpec, Vacant

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


# --- forecasts: how far each rule is from firing, and the day it fires if nothing changes ---------

def vacancy_forecasts(snapshot: FacilitySnapshot, policy: Policy, as_of: dt.date) -> list[Forecast]:
    """QIP-ROLE-VACANT (and PART-ROLE-VACANT): the role falls vacant the day after its last
    holder's assignment ends (no end: never, by the calendar)."""
    frozen = as_it_stood(snapshot, as_of)
    out = []
    for role in REQUIRED_ROLES + OPTIONAL_ROLES:
        rule = RULE_REQUIRED if role in REQUIRED_ROLES else RULE_OPTIONAL
        spans = [r for r in frozen.roles if r.role == role and r.covers(as_of)]
        holders = len({r.staff_id for r in spans})
        subject = {"role": role}
        if not spans:
            out.append(firing(rule, subject, 0, 1, "holders", as_of, f"{label(role)}: nobody holds the role: firing."))
            continue
        ends = [r.end for r in spans]
        fires_on = None if None in ends else max(e for e in ends if e is not None) + dt.timedelta(days=1)
        out.append(Forecast(rule, subject, holders, 1, holders, "holders", fires_on,
                            f"{label(role)}: held by {holders} — "
                            + (f"vacant from {fires_on.isoformat()} when the assignment ends." if fires_on
                               else "no end date.")))
    return out


# --- the spec: what the engine, the catalogue, the Findings screen and the Dashboard read ---------

def _vacant_figure(e: Evaluated) -> Figure:
    return Vacant(tuple(m.subject["role"] for m in e.measures.get(RULE_REQUIRED, []) if m.fires))


SPEC = RuleSpec(
    (RuleEntry(RULE_REQUIRED, "qip", "A required role has no holder",
               "Appoint a holder for the role and record the assignment under Staff & roles.", onset="vacant_since"),
     RuleEntry(RULE_OPTIONAL, "qip", "Administrative lead or dosimetry representative vacant",
               "Appoint an administrative lead or dosimetry representative and record the assignment.",
               onset="vacant_since")),
    vacancies, vacancy_measures, (vacancy_forecasts,),
    (TileSpec(RULE_REQUIRED, "Required roles", _vacant_figure, lambda e: "",
              counts="Who holds the clinical champion, physics lead and CDA roles on this date (Staff & roles)."),))
