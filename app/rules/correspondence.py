"""QIP-CORR-NORESPONSE: letters needing a reply that went unanswered or were answered late."""

from __future__ import annotations

import datetime as dt

from app.rules.findings import Finding
from app.rules.measures import Measure
from app.rules.policy_file import Policy
from app.rules.snapshot import FacilitySnapshot, Letter

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
