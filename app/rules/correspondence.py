"""QIP-CORR-NORESPONSE: letters needing a reply that went unanswered or were answered late."""

from __future__ import annotations

import datetime as dt

from app.rules.findings import Finding
from app.rules.forecast import Forecast, as_it_stood, firing
from app.rules.measures import Measure
from app.rules.policy_file import Policy
from app.rules.snapshot import FacilitySnapshot, Letter
from app.rules.spec import Count, Evaluated, Figure, RuleEntry, RuleSpec, TileSpec

RULE = "QIP-CORR-NORESPONSE"


def due_date(letter: Letter, policy: Policy) -> dt.date:
    """The letter's own due date, else received + the policy's reply days."""
    return letter.due_on or letter.received_on + dt.timedelta(days=policy.reply_days)


def unanswered(letter: Letter, policy: Policy, as_of: dt.date) -> str | None:
    """``"no reply"``, ``"late reply"`` or None, as things stood at the as-of date."""
    due = due_date(letter, policy)
    replied = letter.replied_on if letter.replied_on and letter.replied_on <= as_of else None
    if replied is None:
        return "no reply" if due < as_of else None
    return "late reply" if replied > due else None


def letter_status(letter: Letter, policy: Policy, as_of: dt.date) -> str:
    """Where a letter stood at the as-of date, in words: what the Correspondence screen and the
    self-audit show, by the same due date and reply reading as the rule."""
    if not letter.reply_required:
        return "no reply needed"
    due = due_date(letter, policy)
    replied = letter.replied_on if letter.replied_on and letter.replied_on <= as_of else None
    if replied is not None:
        return "answered late" if replied > due else "answered"
    return "overdue" if due < as_of else "awaiting reply"


def reply_measures(snapshot: FacilitySnapshot, policy: Policy, as_of: dt.date) -> list[Measure]:
    """QIP-CORR-NORESPONSE's figure: letters from (D − lookback, D] unanswered by their due date."""
    since = as_of - dt.timedelta(days=policy.correspondence_lookback_days)
    late = []
    for letter in sorted(snapshot.letters, key=lambda x: x.received_on):
        if not letter.reply_required or not since < letter.received_on <= as_of:
            continue
        problem = unanswered(letter, policy, as_of)
        if problem:
            late.append({"received_on": letter.received_on, "subject": letter.subject, "due_on": due_date(letter, policy),
                         "replied_on": letter.replied_on if letter.replied_on and letter.replied_on <= as_of else None,
                         "problem": problem})
    return [Measure(RULE, {}, len(late), policy.corr_trigger_letters,
                    len(late) >= policy.corr_trigger_letters, {"letters": late, "count": len(late)})]


def correspondence(snapshot: FacilitySnapshot, policy: Policy, as_of: dt.date) -> list[Finding]:
    """QIP-CORR-NORESPONSE over letters received in (D − lookback, D]: fewer late letters than the
    policy's ``trigger_letters`` (at least one) are a warning, a nudge before it counts; that many a trigger."""
    findings = []
    for m in reply_measures(snapshot, policy, as_of):
        if not m.value:
            continue
        severity = "trigger" if m.fires else "warning"
        findings.append(Finding(
            RULE, "qip", severity, {},
            f"{m.value} letter(s) from the last {policy.correspondence_lookback_days} days were not answered by their due "
            "date" + (f" ({policy.corr_trigger_letters} or more is a QIP trigger)." if m.fires
                      else f" ({policy.corr_trigger_letters} would be a QIP trigger)."),
            m.evidence))
    return findings


# --- forecasts: how far each rule is from firing, and the day it fires if nothing changes ---------

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
    [m] = reply_measures(snapshot, policy, as_of)
    if m.fires:
        return [firing(m.rule, m.subject, m.value, m.limit, "letters", as_of,
                       f"{m.value} letters not answered on time: firing.")]
    frozen = as_it_stood(snapshot, as_of)
    awaiting = sorted((x for x in frozen.letters
                       if x.reply_required and x.replied_on is None and due_date(x, policy) >= as_of),
                      key=lambda x: due_date(x, policy))
    waiting = [due_date(x, policy) for x in awaiting]
    fires_on = next((due + dt.timedelta(days=1) for due in waiting
                     if reply_measures(frozen, policy, due + dt.timedelta(days=1))[0].fires), None)
    due_text = (f"{len(waiting)} letter(s) awaiting a reply, the first due {waiting[0].isoformat()}" if waiting
                else "no letter awaiting a reply")
    return [Forecast(m.rule, m.subject, m.value, m.limit, m.limit - m.value, "letters", fires_on,
                     f"{m.value} letter(s) late, {due_text} — "
                     + _letters_to_fire(m.value, m.limit)
                     + (f" (on {fires_on.isoformat()} if unanswered)." if fires_on else "."),
                     {**m.evidence, "awaiting_reply": [{"received_on": x.received_on, "subject": x.subject,
                                                        "due_on": due_date(x, policy)} for x in awaiting]})]


# --- the spec: what the engine, the catalogue, the Findings screen and the Dashboard read ---------

_NUMBER_WORDS = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five"}


def _late_figure(e: Evaluated) -> Figure:
    found = e.measures.get(RULE, [])
    return Count(found[0].value if found else 0)


def _late_detail(e: Evaluated) -> str:
    """"two or more is a trigger": the policy's ``trigger_letters``, in words."""
    limit = e.policy.corr_trigger_letters
    return f"{_NUMBER_WORDS.get(limit, str(limit))} or more is a trigger"


SPEC = RuleSpec(
    (RuleEntry(RULE, "qip", "Letters not answered by their due date",
               "Reply to each letter listed and record the reply date."),),
    correspondence, reply_measures, (reply_forecasts,),
    (TileSpec(RULE, "Letters not answered on time", _late_figure, _late_detail,
              counts="Letters from the coordinating center in the last year that needed a reply and got none by their due date (Correspondence)."),))
