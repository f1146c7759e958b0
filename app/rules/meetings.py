"""Attendance policy (ATT-*) and QIP-MTG-MISSED: who covered each required role at each meeting.

``attendance_verdicts`` is the one place that judges a meeting; the rules, the Meetings screen
and the attendance export all read its verdicts.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from app.domain.vocabulary import REQUIRED_ROLES, label
from app.domain.wording import article
from app.rules.findings import Finding
from app.rules.forecast import Forecast, as_it_stood, firing
from app.rules.measures import Measure
from app.rules.policy_file import Policy
from app.rules.snapshot import FacilitySnapshot, MeetingInfo, Person
from app.rules.spec import Count, Evaluated, Figure, PerSubject, RuleEntry, RuleSpec, TileSpec

#: Per required role: (nobody attended, unacceptable substitute). Literal IDs, so a search finds them.
ABSENT_RULE = {"clinical_champion": "ATT-CC-ABSENT", "physics_lead": "ATT-PL-ABSENT", "cda": "ATT-CDA-ABSENT"}
INELIGIBLE_RULE = {"clinical_champion": "ATT-CC-SUB-INELIGIBLE", "physics_lead": "ATT-PL-SUB-INELIGIBLE",
                   "cda": "ATT-CDA-SUB-INELIGIBLE"}
RULE_SUB_LIMIT = "ATT-CC-SUB-LIMIT"
RULE_DOUBLE_ROLE = "ATT-DOUBLE-ROLE"
RULE_MISSED = "QIP-MTG-MISSED"
RULE_CE_VIRTUAL = "CE-VIRTUAL"
RULE_CE_MDCB_NO_ID = "CE-MDCB-NO-ID"


@dataclass(frozen=True)
class Attendee:
    """One person who attended a meeting for a role: its holder that day, or a substitute judged by
    the attendance policy (``reason`` says why not acceptable; ``notes`` carries the policy's
    ``info`` notes, e.g. a champion substitute who does not treat MROQC patients)."""

    staff_id: str
    name: str
    holder: bool
    acceptable: bool
    reason: str = ""  # why a substitute is not acceptable
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class RoleVerdict:
    """One required role at one meeting."""

    meeting: MeetingInfo
    role: str
    holders: tuple[str, ...]
    attendees: tuple[Attendee, ...] = ()

    @property
    def covered(self) -> bool:
        return any(a.holder or a.acceptable for a in self.attendees)

    @property
    def substituted(self) -> bool:
        """Someone other than the holder came for the role (acceptable or not)."""
        return bool(self.attendees) and not any(a.holder for a in self.attendees)

    @property
    def coverage(self) -> str:
        if not self.attendees:
            return "absent"
        return "holder" if any(a.holder for a in self.attendees) else "substitute"

    @property
    def verdict(self) -> str:
        if not self.attendees:
            return "absent"
        if self.covered:
            return "covered"
        return "substitute not acceptable"


@dataclass(frozen=True)
class MeetingVerdict:
    """One meeting: a verdict per required role, and who covered two or more roles."""

    meeting: MeetingInfo
    roles: dict[str, RoleVerdict] = field(default_factory=dict)
    double_roles: dict[str, tuple[str, ...]] = field(default_factory=dict)  # staff_id → roles covered


def judge_substitute(person: Person | None, role: str, snapshot: FacilitySnapshot, policy: Policy,
                     other_roles: tuple[str, ...]) -> tuple[bool, str, tuple[str, ...]]:
    """(acceptable, why not, notes) for someone standing in for ``role``'s holder."""
    if person is None:
        return False, "not a known staff member", ()
    kind = label(person.profession).lower()
    if role == "clinical_champion":
        if person.profession == "radiation_oncologist":
            if not person.treats_mroqc_patients:
                return True, "", ("ideally the substitute is one of this facility's oncologists who treats MROQC patients",)
            return True, "", ()
        if person.profession == "physician" and person.physician_title in policy.champion_physician_titles:
            limit = policy.champion_physician_max_oncologists
            if snapshot.facility.radiation_oncologists <= limit:
                return True, "", ()
            return False, (f"a physician titled {label(person.physician_title)} may substitute only where the facility has "
                           f"at most {limit} radiation oncologists (this one has {snapshot.facility.radiation_oncologists})"), ()
        if person.profession == "physician":
            return False, "only a radiation oncologist, or a CMO, chief of quality or RO-involved physician, may substitute", ()
        return False, f"{article(kind)} may never substitute for the clinical champion", ()
    if role == "physics_lead":
        if person.profession not in ("physicist", "dosimetrist"):
            return False, f"{article(kind)} cannot substitute for the physics lead (a physicist or dosimetrist must)", ()
        if not person.works_on_mroqc:
            return False, f"the {kind} does not work on MROQC", ()
        return True, "", ()
    if other_roles:
        return False, f"already covering {', '.join(label(r) for r in other_roles)} at this meeting", ()
    if person.profession == "cda" or person.works_on_mroqc:
        return True, "", ()
    return False, f"{article(kind)} who does not work on MROQC cannot substitute for the CDA", ()


def attendance_verdicts(snapshot: FacilitySnapshot, policy: Policy, year: int, as_of: dt.date) -> list[MeetingVerdict]:
    """Every meeting of ``year`` dated ≤ D, judged role by role."""
    by_meeting: dict[str, list] = {}
    for a in snapshot.attendance:
        by_meeting.setdefault(a.meeting_id, []).append(a)
    verdicts = []
    for meeting in sorted(snapshot.meetings, key=lambda m: (m.date, m.meeting_id)):
        if meeting.date.year != year or meeting.date > as_of:
            continue
        rows = by_meeting.get(meeting.meeting_id, [])
        covering: dict[str, list[str]] = {}
        for a in rows:
            if a.role in REQUIRED_ROLES:
                covering.setdefault(a.staff_id, []).append(a.role)
        roles = {}
        for role in REQUIRED_ROLES:
            holders = tuple(snapshot.holders(role, meeting.date))
            attendees = []
            for a in rows:
                if a.role != role:
                    continue
                person = snapshot.staff.get(a.staff_id)
                name = person.name if person else a.staff_id
                if a.staff_id in holders:
                    attendees.append(Attendee(a.staff_id, name, True, True))
                    continue
                others = tuple(r for r in covering.get(a.staff_id, []) if r != role)
                ok, why, notes = judge_substitute(person, role, snapshot, policy, others)
                attendees.append(Attendee(a.staff_id, name, False, ok, why, notes))
            roles[role] = RoleVerdict(meeting, role, holders, tuple(attendees))
        doubles = {s: tuple(r) for s, r in covering.items() if len(set(r)) >= 2}
        verdicts.append(MeetingVerdict(meeting, roles, doubles))
    return verdicts


def attendance_findings(snapshot: FacilitySnapshot, policy: Policy, as_of: dt.date) -> list[Finding]:
    """ATT-*-ABSENT, ATT-*-SUB-INELIGIBLE, ATT-CC-SUB-LIMIT, ATT-DOUBLE-ROLE and QIP-MTG-MISSED."""
    findings: list[Finding] = []
    verdicts = attendance_verdicts(snapshot, policy, as_of.year, as_of)
    missed: dict[str, list[dt.date]] = {role: [] for role in REQUIRED_ROLES}
    champion_substitutions = 0
    for mv in verdicts:
        day = mv.meeting.date
        for role, rv in mv.roles.items():
            subject = {"role": role, "meeting": day}
            if not rv.attendees:
                findings.append(Finding(ABSENT_RULE[role], "attendance", "violation", subject,
                                        f"Nobody attended the {day.isoformat()} meeting for the {label(role).lower()}.",
                                        {"meeting_id": mv.meeting.meeting_id, "holders": list(rv.holders)}))
            for a in rv.attendees:
                if not a.holder and not a.acceptable:
                    findings.append(Finding(INELIGIBLE_RULE[role], "attendance", "violation", subject,
                                            f"{a.name} stood in for the {label(role).lower()} on {day.isoformat()}, "
                                            f"but {a.reason}.",
                                            {"meeting_id": mv.meeting.meeting_id, "substitute": a.staff_id,
                                             "reason": a.reason, "holders": list(rv.holders)}))
            if not rv.covered:
                missed[role].append(day)
            if role == "clinical_champion" and rv.substituted:
                champion_substitutions += 1
                if champion_substitutions > policy.champion_substitutions_per_year:
                    findings.append(Finding(
                        RULE_SUB_LIMIT, "attendance", "violation", subject,
                        f"The clinical champion was replaced on {day.isoformat()}: substitution number "
                        f"{champion_substitutions} this year (allowed: {policy.champion_substitutions_per_year}).",
                        {"meeting_id": mv.meeting.meeting_id, "substitution_number": champion_substitutions,
                         "allowed_per_year": policy.champion_substitutions_per_year,
                         "substitutes": [a.staff_id for a in rv.attendees]}))
        for staff_id, roles in sorted(mv.double_roles.items()):
            person = snapshot.staff.get(staff_id)
            findings.append(Finding(
                RULE_DOUBLE_ROLE, "attendance", "violation", {"staff": staff_id, "meeting": day},
                f"{person.name if person else staff_id} attended the {day.isoformat()} meeting for "
                f"{' and '.join(label(r).lower() for r in roles)}; each role needs its own person.",
                {"meeting_id": mv.meeting.meeting_id, "roles": list(roles)}))
    for m in _missed_measures(missed, policy, snapshot, as_of):
        if m.fires:
            findings.append(Finding(
                RULE_MISSED, "qip", "trigger", m.subject,
                f"The {label(m.subject['role']).lower()} was not covered at {m.value} meetings in {as_of.year} "
                f"(more than {m.limit} is a QIP trigger).", m.evidence))
    return findings


def _missed_measures(missed: dict[str, list[dt.date]], policy: Policy, snapshot: FacilitySnapshot,
                     as_of: dt.date) -> list[Measure]:
    """Per role, the year's uncovered meetings. When the records begin after January (and after
    joining), only the meetings since then count: a meeting typed in afterwards without who came
    is not known to have gone uncovered; until those alone fire, there is not enough history."""
    kept = snapshot.facility.history_missing(dt.date(as_of.year, 1, 1))
    measures = []
    for role, days in missed.items():
        counted = [d for d in days if kept is None or d >= kept]
        fires = len(counted) > policy.missed_meetings_limit
        evidence = {"meetings_missed": len(counted), "limit": policy.missed_meetings_limit, "meeting_dates": counted}
        if kept is not None:
            evidence["records_kept_since"] = kept
        measures.append(Measure(RULE_MISSED, {"role": role}, len(counted), policy.missed_meetings_limit, fires,
                                evidence, kept if kept is not None and not fires else None))
    return measures


def missed_measures(snapshot: FacilitySnapshot, policy: Policy, as_of: dt.date) -> list[Measure]:
    """QIP-MTG-MISSED's figure for each required role: the year's meetings up to D it was not covered at."""
    missed: dict[str, list[dt.date]] = {role: [] for role in REQUIRED_ROLES}
    for mv in attendance_verdicts(snapshot, policy, as_of.year, as_of):
        for role, rv in mv.roles.items():
            if not rv.covered:
                missed[role].append(mv.meeting.date)
    return _missed_measures(missed, policy, snapshot, as_of)


def ce_findings(snapshot: FacilitySnapshot, policy: Policy, as_of: dt.date) -> list[Finding]:
    """CE-VIRTUAL and CE-MDCB-NO-ID for the year's meetings up to D."""
    meetings = {m.meeting_id: m for m in snapshot.meetings if m.date.year == as_of.year and m.date <= as_of}
    seen: set[tuple[str, str, str]] = set()
    findings = []
    for a in sorted(snapshot.attendance, key=lambda a: (a.meeting_id, a.staff_id)):
        meeting = meetings.get(a.meeting_id)
        if meeting is None or not a.ce_credit:
            continue
        person = snapshot.staff.get(a.staff_id)
        name = person.name if person else a.staff_id
        subject = {"staff": a.staff_id, "meeting": meeting.date}
        if meeting.format == "virtual" and (a.staff_id, a.meeting_id, "virtual") not in seen:
            seen.add((a.staff_id, a.meeting_id, "virtual"))
            findings.append(Finding(RULE_CE_VIRTUAL, "ce", "warning", subject,
                                    f"{name} asked for {a.ce_credit.upper()} credit for the {meeting.date.isoformat()} "
                                    "webinar; MROQC gives no CE credit for virtual meetings.",
                                    {"meeting_id": meeting.meeting_id, "credit": a.ce_credit}))
        if a.ce_credit == "mdcb" and not (person and person.cmd_id) and (a.staff_id, a.meeting_id, "mdcb") not in seen:
            seen.add((a.staff_id, a.meeting_id, "mdcb"))
            findings.append(Finding(RULE_CE_MDCB_NO_ID, "ce", "warning", subject,
                                    f"{name} asked for MDCB credit for {meeting.date.isoformat()} but has no CMD ID on file.",
                                    {"meeting_id": meeting.meeting_id}))
    return findings


# --- forecasts: how far each rule is from firing, and the day it fires if nothing changes ---------

def missed_forecasts(snapshot: FacilitySnapshot, policy: Policy, as_of: dt.date) -> list[Forecast]:
    """QIP-MTG-MISSED per required role: each scheduled meeting of the year after D that nobody
    attends (nothing changes) adds one; the meeting that takes the count over the limit fires."""
    frozen = as_it_stood(snapshot, as_of)
    upcoming = sorted(m.date for m in snapshot.meetings if as_of < m.date and m.date.year == as_of.year)
    out = []
    for m in missed_measures(snapshot, policy, as_of):
        role = m.subject["role"]
        name = label(role)
        if m.fires:
            out.append(firing(m.rule, m.subject, m.value, m.limit, "meetings", as_of,
                              f"{name}: {m.value} meetings missed this year (more than {m.limit} fires): firing."))
            continue
        distance = m.limit + 1 - m.value
        fires_on = next((day for day in upcoming if any(
            x.fires for x in missed_measures(frozen, policy, day) if x.subject == m.subject)), None)
        nth, fire = ("the next uncovered meeting", "fires") if distance == 1 else \
            (f"{distance} more uncovered meetings", "fire")
        out.append(Forecast(
            m.rule, m.subject, m.value, m.limit, distance, "meetings", fires_on,
            f"{name}: {m.value} of {m.limit} meetings missed — {nth}"
            + (f" ({fires_on.isoformat()}) {fire} the trigger." if fires_on else f" {fire} the trigger (none scheduled)."),
            {**m.evidence, "upcoming_meetings": upcoming}))
    return out


def substitution_forecasts(snapshot: FacilitySnapshot, policy: Policy, as_of: dt.date) -> list[Forecast]:
    """ATT-CC-SUB-LIMIT: how many more champion substitutions this year are allowed. A substitution
    depends on who comes, not on the calendar: no date."""
    count = sum(1 for mv in attendance_verdicts(snapshot, policy, as_of.year, as_of)
                if mv.roles["clinical_champion"].substituted)
    allowed = policy.champion_substitutions_per_year
    subject = {"role": "clinical_champion"}
    if count > allowed:
        return [firing(RULE_SUB_LIMIT, subject, count, allowed, "substitutions", as_of,
                       f"Champion replaced {count} times this year ({allowed} allowed): fired.")]
    return [Forecast(RULE_SUB_LIMIT, subject, count, allowed, allowed + 1 - count, "substitutions", None,
                     f"Champion replaced {count} of {allowed} allowed time(s) this year — "
                     + ("the next substitution fires." if count == allowed
                        else f"{allowed + 1 - count} more substitutions fire."))]


# --- the specs: what the engine, the catalogue, the Findings screen and the Dashboard read --------

#: The Dashboard tile of every attendance violation (the ATT-* family): a click lists them all.
ATTENDANCE_TILE = "ATT-*"
#: A required role as the attendance rules' titles and next steps name it.
ROLE_WORDS = {"clinical_champion": "clinical champion", "physics_lead": "physics lead", "cda": "CDA"}
#: Who may stand in next time, per required role (POLICY.md's attendance rules).
SEND_NEXT_TIME = {
    "clinical_champion": "Send a radiation oncologist (or, where allowed, a CMO, chief of quality or RO-involved "
                         "physician) next time.",
    "physics_lead": "Send a physicist or dosimetrist who works on MROQC next time.",
    "cda": "Send a CDA, or someone who works on MROQC and covers no other role, next time.",
}


def _missed_figure(e: Evaluated) -> Figure:
    return PerSubject(tuple((m.subject["role"], m.value) for m in e.measures.get(RULE_MISSED, [])))


def _violations(e: Evaluated) -> list[Finding]:
    return [f for f in e.findings if f.kind == "attendance"]


def _violations_detail(e: Evaluated) -> str:
    by_rule: dict[str, int] = {}
    for f in _violations(e):
        by_rule[f.rule] = by_rule.get(f.rule, 0) + 1
    return "; ".join(f"{rule}: {n}" for rule, n in sorted(by_rule.items())) or "none at this year's meetings"


ATTENDANCE_SPEC = RuleSpec(
    (RuleEntry(RULE_MISSED, "qip", "A required role uncovered at too many meetings",
               "Make sure the holder, or an acceptable substitute, attends the next meeting for this role."),
     *(RuleEntry(ABSENT_RULE[role], "attendance", f"Nobody attended for the {ROLE_WORDS[role]}",
                 f"Record who attended for the {ROLE_WORDS[role]}, or arrange an acceptable substitute for the next "
                 "meeting.") for role in REQUIRED_ROLES),
     *(RuleEntry(INELIGIBLE_RULE[role], "attendance", f"Unacceptable substitute for the {ROLE_WORDS[role]}",
                 SEND_NEXT_TIME[role]) for role in REQUIRED_ROLES),
     RuleEntry(RULE_SUB_LIMIT, "attendance", "Champion replaced more often than allowed",
               "The champion must attend in person for the rest of the year: the substitution allowance is used up."),
     RuleEntry(RULE_DOUBLE_ROLE, "attendance", "One person covering two roles at a meeting",
               "Give each required role its own person at the next meeting.")),
    attendance_findings, missed_measures, (missed_forecasts, substitution_forecasts),
    (TileSpec(RULE_MISSED, "Meetings missed this year", _missed_figure,
              lambda e: f"a trigger above {e.policy.missed_meetings_limit} per role",
              counts="This year's meetings at which nobody, or no acceptable substitute, attended for the role "
                     "(Meetings: attendance)."),
     TileSpec(RULE_SUB_LIMIT, "Attendance violations this year", lambda e: Count(len(_violations(e))),
              _violations_detail, name=ATTENDANCE_TILE,
              state=lambda e: "triggered" if _violations(e) else "clear",
              counts="Absences, unacceptable substitutes and double roles at this year's meetings (Meetings: "
                     "attendance).")))

CE_SPEC = RuleSpec(
    (RuleEntry(RULE_CE_VIRTUAL, "ce", "CE credit requested for a virtual meeting",
               "Withdraw the CE credit request: MROQC gives no credit for virtual meetings."),
     RuleEntry(RULE_CE_MDCB_NO_ID, "ce", "MDCB credit requested without a CMD ID",
               "Enter the person's CMD ID under Staff & roles, or withdraw the MDCB request.")),
    ce_findings)
