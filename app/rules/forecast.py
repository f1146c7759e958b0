"""Forecasts: for each rule with a threshold and subject, how far the facility is from firing at
the as-of date D, and the day it fires if nothing changes.

"If nothing changes" means no record dated after D: no enrollment, no data entry, no reply, no
attendance, no new case, no new role holder. ``fires_on`` is then the first day D' > D on which
the rule, evaluated on the records as they stood at D, fires; ``None`` when no such day follows
from the calendar alone (within the policy's forecast horizon, or at all: a substitution, say,
depends on who comes, not on the date). A rule that fires at D has distance 0 and ``fires_on`` D.

Each forecast reads its rule's own measure at D (``app.rules.measures``), never a second
derivation of the figure; the tests check every ``fires_on`` against the rule itself, evaluated
the day before, on and after it. Pure: the as-of date is passed in, the clock never read.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass, field, replace
from typing import Any

from app.domain.vocabulary import OPTIONAL_ROLES, REQUIRED_ROLES, label
from app.rules import correspondence, data_lag, enrollment, meetings, roles
from app.rules.findings import plain
from app.rules.policy_file import Policy
from app.rules.snapshot import FacilitySnapshot

#: Units whose distance counts events still to come (a tile is *close* at ``policy.close_steps``);
#: day-like distances are close when ``fires_on`` is within ``policy.close_days``.
STEP_UNITS = frozenset({"meetings", "letters", "substitutions"})


@dataclass(frozen=True)
class Forecast:
    """``distance`` more ``unit`` before ``rule`` fires for ``subject`` (0: it fires at D);
    ``fires_on`` the day it fires if nothing changes (None: not determined by the calendar);
    ``text`` one sentence for people."""

    rule: str
    subject: dict[str, Any]
    value: Any
    limit: Any
    distance: int | None
    unit: str
    fires_on: dt.date | None
    text: str
    #: what a coordinator works through before it fires (the cases still to enroll or decide, the
    #: letters awaiting a reply): the rule's measure evidence, as a finding's evidence reads
    evidence: dict[str, Any] = field(default_factory=dict)

    @property
    def firing(self) -> bool:
        return self.distance == 0

    def close(self, policy: Policy, as_of: dt.date) -> bool:
        """Near enough to firing to warn (the tile's amber *close* state): not firing, and either
        firing within ``close_days`` of D or at most ``close_steps`` events away."""
        if self.firing:
            return False
        if self.fires_on is not None and (self.fires_on - as_of).days <= policy.close_days:
            return True
        return self.unit in STEP_UNITS and self.distance is not None and self.distance <= policy.close_steps

    def to_json(self) -> dict[str, Any]:
        """The ``check --json`` ``forecast`` entry (INTERFACES.md)."""
        return {"rule": self.rule, "subject": plain(self.subject), "distance": self.distance,
                "fires_on": self.fires_on.isoformat() if self.fires_on else None}


def as_it_stood(snapshot: FacilitySnapshot, as_of: dt.date) -> FacilitySnapshot:
    """The snapshot with nothing dated after D: no attendance at later meetings, no reply dated
    later, no role or absence starting later (what "if nothing changes" judges later days on)."""
    held = {m.meeting_id for m in snapshot.meetings if m.date <= as_of}
    return replace(
        snapshot,
        attendance=tuple(a for a in snapshot.attendance if a.meeting_id in held),
        letters=tuple(replace(x, replied_on=None) if x.replied_on and x.replied_on > as_of else x
                      for x in snapshot.letters if x.received_on <= as_of),
        roles=tuple(r for r in snapshot.roles if r.start <= as_of),
        absences=tuple(a for a in snapshot.absences if a.start <= as_of),
    )


def _days_after(as_of: dt.date, policy: Policy):  # type: ignore[no-untyped-def]
    return (as_of + dt.timedelta(days=i) for i in range(1, policy.horizon_days + 1))


def _firing(rule: str, subject: dict[str, Any], value: Any, limit: Any, unit: str, as_of: dt.date,
            text: str) -> Forecast:
    return Forecast(rule, subject, value, limit, 0, unit, as_of, text)


def _on(day: dt.date | None, what: str = "fires") -> str:
    return f"{what} on {day.isoformat()}" if day else "no date follows from the calendar"


def zero_forecasts(snapshot: FacilitySnapshot, policy: Policy, as_of: dt.date) -> list[Forecast]:
    """QIP-ENR-ZERO per project: Z counts on by one a day (pauses excepted) until it reaches the
    limit; a new enrollment period starting first resets it."""
    month_day = snapshot.facility.enrollment_period_start or policy.period_start
    out = []
    for m in enrollment.zero_measures(snapshot, policy, as_of):
        project = m.subject["project"]
        name = label(project)
        if m.fires:
            out.append(_firing(m.rule, m.subject, m.value, m.limit, "days", as_of,
                               f"{name}: {m.value} days without enrollment (the limit is {m.limit}): firing."))
            continue
        last = snapshot.last_enrollment.get(project)
        z, fires_on = m.value, None
        for day in _days_after(as_of, policy):
            if enrollment.period_start(month_day, day) == day and (last is None or last < day):
                z = 0  # a new period: W is that day
            elif not enrollment.paused(snapshot, project, day):
                z += 1
            if z >= m.limit:
                fires_on = day
                break
        out.append(Forecast(m.rule, m.subject, m.value, m.limit, m.limit - m.value, "days", fires_on,
                            f"{name}: day {m.value} of {m.limit} — {_on(fires_on)} without an enrollment.", m.evidence))
    return out


def decline_forecasts(snapshot: FacilitySnapshot, policy: Policy, as_of: dt.date) -> list[Forecast]:
    """QIP-ENR-DECLINE: this year's count stays, last year's grows month by month; the first month
    end whose comparison fires."""
    [m] = enrollment.decline_measures(snapshot, policy, as_of)
    current, previous = m.evidence["enrollments"], m.evidence["previous_year_enrollments"]
    if m.fires:
        return [_firing(m.rule, m.subject, m.value, m.limit, "enrollments", as_of,
                        f"Enrollment {current} against {previous} a year earlier: firing.")]
    # the most this year's count may be and still fire: C ≤ Pv·(1 − f)
    distance = current - int(previous * (1 - policy.decline_fraction)) if previous else None
    fires_on, end = None, as_of + dt.timedelta(days=policy.horizon_days)
    day = _month_end(as_of)  # M changes only at month ends
    if day == as_of:
        day = _month_end(as_of + dt.timedelta(days=1))
    while day <= end:
        if enrollment.decline_measures(snapshot, policy, day)[0].fires:
            fires_on = day
            break
        day = _month_end(day + dt.timedelta(days=1))
    margin = (f"{distance} enrollment(s) above the trigger level" if distance is not None
              else "no enrollment a year earlier to compare with")
    return [Forecast(m.rule, m.subject, m.value, m.limit, distance, "enrollments", fires_on,
                     f"Enrollment {current} against {previous} a year earlier, {margin} — "
                     f"{_on(fires_on)} without more enrollments.")]


def _month_end(day: dt.date) -> dt.date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def selective_forecasts(snapshot: FacilitySnapshot, policy: Policy, as_of: dt.date) -> list[Forecast]:
    """QIP-ENR-SELECTIVE: the oldest case still undecided (or unexplained) inside the decision
    window fires the rule the day it leaves the window."""
    [m] = enrollment.selective_measures(snapshot, policy, as_of)
    if m.fires:
        return [_firing(m.rule, m.subject, m.value, m.limit, "cases", as_of,
                        f"{m.value} case(s) undecided or unexplained past the decision window: firing.")]
    nxt = snapshot.next_undecided_eligible_on
    fires_on = nxt + dt.timedelta(days=policy.selective_decision_days) if nxt else None
    window = dt.timedelta(days=policy.selective_decision_days)
    evidence = {"decision_days": policy.selective_decision_days, "case_count": len(snapshot.undecided_soon),
                "cases": [{"case_id": c.case_id, "project": c.project, "eligible_on": c.eligible_on, "status": c.status,
                           "reason": c.reason, "leaves_window_on": c.eligible_on + window}
                          for c in snapshot.undecided_soon]}
    text = (f"No case is undecided past the decision window; the oldest undecided case (eligible "
            f"{nxt.isoformat()}) {_on(fires_on, 'passes it')} without a decision." if nxt
            else "No case is undecided past the decision window, and none is waiting inside it.")
    return [Forecast(m.rule, m.subject, m.value, m.limit, 1, "cases", fires_on, text, evidence)]


def missed_forecasts(snapshot: FacilitySnapshot, policy: Policy, as_of: dt.date) -> list[Forecast]:
    """QIP-MTG-MISSED per required role: each scheduled meeting of the year after D that nobody
    attends (nothing changes) adds one; the meeting that takes the count over the limit fires."""
    frozen = as_it_stood(snapshot, as_of)
    upcoming = sorted(m.date for m in snapshot.meetings if as_of < m.date and m.date.year == as_of.year)
    out = []
    for m in meetings.missed_measures(snapshot, policy, as_of):
        role = m.subject["role"]
        name = label(role)
        if m.fires:
            out.append(_firing(m.rule, m.subject, m.value, m.limit, "meetings", as_of,
                               f"{name}: {m.value} meetings missed this year (more than {m.limit} fires): firing."))
            continue
        distance = m.limit + 1 - m.value
        fires_on = next((day for day in upcoming if any(
            x.fires for x in meetings.missed_measures(frozen, policy, day) if x.subject == m.subject)), None)
        nth = "the next uncovered meeting" if distance == 1 else f"{distance} more uncovered meetings"
        out.append(Forecast(
            m.rule, m.subject, m.value, m.limit, distance, "meetings", fires_on,
            f"{name}: {m.value} of {m.limit} meetings missed — {nth}"
            + (f" ({fires_on.isoformat()}) fire(s) the trigger." if fires_on else " fire the trigger (none scheduled)."),
            {**m.evidence, "upcoming_meetings": upcoming}))
    return out


def substitution_forecasts(snapshot: FacilitySnapshot, policy: Policy, as_of: dt.date) -> list[Forecast]:
    """ATT-CC-SUB-LIMIT: how many more champion substitutions this year are allowed. A substitution
    depends on who comes, not on the calendar: no date."""
    count = sum(1 for mv in meetings.attendance_verdicts(snapshot, policy, as_of.year, as_of)
                if mv.roles["clinical_champion"].substituted)
    allowed = policy.champion_substitutions_per_year
    subject = {"role": "clinical_champion"}
    if count > allowed:
        return [_firing(meetings.RULE_SUB_LIMIT, subject, count, allowed, "substitutions", as_of,
                        f"Champion replaced {count} times this year ({allowed} allowed): fired.")]
    return [Forecast(meetings.RULE_SUB_LIMIT, subject, count, allowed, allowed + 1 - count, "substitutions", None,
                     f"Champion replaced {count} of {allowed} allowed time(s) this year — "
                     + ("the next substitution fires." if count == allowed
                        else f"{allowed + 1 - count} more substitutions fire."))]


def lag_forecasts(snapshot: FacilitySnapshot, policy: Policy, as_of: dt.date) -> list[Forecast]:
    """QIP-DATA-LAG: each later day that is not excused (known pauses and CDA leave) counts one."""
    out = []
    for m in data_lag.lag_measures(snapshot, policy, as_of):
        if m.fires:
            out.append(_firing(m.rule, m.subject, m.value, m.limit, "days", as_of,
                               f"Data entry: {m.value} days without (the limit is {m.limit}): firing."))
            continue
        frozen = as_it_stood(snapshot, as_of)
        counted, fires_on = m.value, None
        for day in _days_after(as_of, policy):
            if data_lag.excused(frozen, day) is None:
                counted += 1
            if counted > m.limit:
                fires_on = day
                break
        out.append(Forecast(m.rule, m.subject, m.value, m.limit, m.limit + 1 - m.value, "days", fires_on,
                            f"Data entry: {m.value} of {m.limit} days — {_on(fires_on)} without data entry.", m.evidence))
    return out


_ORDINALS = {2: "second", 3: "third", 4: "fourth", 5: "fifth"}


def _letters_to_fire(late: int, limit: int) -> str:
    """"a second late letter fires" (one short of the policy's trigger), "2 late letters fire" (none yet)."""
    if not late:
        return f"{limit} late letter{'s' if limit != 1 else ''} fire{'' if limit != 1 else 's'}"
    if limit - late == 1:
        return f"a {_ORDINALS.get(limit, f'{limit}th')} late letter fires"
    return f"{limit - late} more late letters fire"


def reply_forecasts(snapshot: FacilitySnapshot, policy: Policy, as_of: dt.date) -> list[Forecast]:
    """QIP-CORR-NORESPONSE: a letter still awaiting its reply becomes late the day after it is
    due; the day the policy's trigger_letters-th late letter counts fires."""
    [m] = correspondence.reply_measures(snapshot, policy, as_of)
    if m.fires:
        return [_firing(m.rule, m.subject, m.value, m.limit, "letters", as_of,
                        f"{m.value} letters not answered on time: firing.")]
    frozen = as_it_stood(snapshot, as_of)
    awaiting = sorted((x for x in frozen.letters
                       if x.reply_required and x.replied_on is None and correspondence.due_date(x, policy) >= as_of),
                      key=lambda x: correspondence.due_date(x, policy))
    waiting = [correspondence.due_date(x, policy) for x in awaiting]
    fires_on = next((due + dt.timedelta(days=1) for due in waiting
                     if correspondence.reply_measures(frozen, policy, due + dt.timedelta(days=1))[0].fires), None)
    due_text = (f"{len(waiting)} letter(s) awaiting a reply, the first due {waiting[0].isoformat()}" if waiting
                else "no letter awaiting a reply")
    return [Forecast(m.rule, m.subject, m.value, m.limit, m.limit - m.value, "letters", fires_on,
                     f"{m.value} letter(s) late, {due_text} — "
                     + _letters_to_fire(m.value, m.limit)
                     + (f" (on {fires_on.isoformat()} if unanswered)." if fires_on else "."),
                     {**m.evidence, "awaiting_reply": [{"received_on": x.received_on, "subject": x.subject,
                                                        "due_on": correspondence.due_date(x, policy)} for x in awaiting]})]


def vacancy_forecasts(snapshot: FacilitySnapshot, policy: Policy, as_of: dt.date) -> list[Forecast]:
    """QIP-ROLE-VACANT (and PART-ROLE-VACANT): the role falls vacant the day after its last
    holder's assignment ends (no end: never, by the calendar)."""
    frozen = as_it_stood(snapshot, as_of)
    out = []
    for role in REQUIRED_ROLES + OPTIONAL_ROLES:
        rule = roles.RULE_REQUIRED if role in REQUIRED_ROLES else roles.RULE_OPTIONAL
        spans = [r for r in frozen.roles if r.role == role and r.covers(as_of)]
        holders = len({r.staff_id for r in spans})
        subject = {"role": role}
        if not spans:
            out.append(_firing(rule, subject, 0, 1, "holders", as_of, f"{label(role)}: nobody holds the role: firing."))
            continue
        ends = [r.end for r in spans]
        fires_on = None if None in ends else max(e for e in ends if e is not None) + dt.timedelta(days=1)
        out.append(Forecast(rule, subject, holders, 1, holders, "holders", fires_on,
                            f"{label(role)}: held by {holders} — "
                            + (f"vacant from {fires_on.isoformat()} when the assignment ends." if fires_on
                               else "no end date.")))
    return out


def volume_forecasts(snapshot: FacilitySnapshot, policy: Policy, as_of: dt.date) -> list[Forecast]:
    """PART-VOLUME: with no new case, the year's count falls as cases leave the one-year window;
    the day it drops below the minimum fires."""
    [m] = enrollment.volume_measures(snapshot, policy, as_of)
    if m.fires:
        return [_firing(m.rule, m.subject, m.value, m.limit, "cases", as_of,
                        f"{m.value} breast, lung and prostate cases in a year (at least {m.limit} expected): firing.")]
    since = as_of - dt.timedelta(days=policy.participation_lookback_days)
    by_day: dict[dt.date, int] = {}
    for (project, day), n in snapshot.eligible_counts.items():
        if project in policy.counted_projects and since < day <= as_of:
            by_day[day] = by_day.get(day, 0) + n
    need, dropped, fires_on = m.value - m.limit + 1, 0, None
    for day in sorted(by_day):
        dropped += by_day[day]
        if dropped >= need:
            candidate = day + dt.timedelta(days=policy.participation_lookback_days)
            fires_on = candidate if (candidate - as_of).days <= policy.horizon_days else None
            break
    return [Forecast(m.rule, m.subject, m.value, m.limit, need, "cases", fires_on,
                     f"{m.value} breast, lung and prostate cases in a year ({m.limit} expected) — "
                     f"{_on(fires_on)} without new cases.")]
