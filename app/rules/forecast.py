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

Each rule's forecast is a function of its own module, beside its measure (``zero_forecasts`` in
``app.rules.enrollment``, ...), named in its ``RuleSpec``; this module holds what they share.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

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


def days_after(as_of: dt.date, policy: Policy) -> Iterator[dt.date]:
    """The days after D within the policy's forecast horizon, soonest first."""
    return (as_of + dt.timedelta(days=i) for i in range(1, policy.horizon_days + 1))


def firing(rule: str, subject: dict[str, Any], value: Any, limit: Any, unit: str, as_of: dt.date,
           text: str) -> Forecast:
    """The forecast of a rule that fires at D: distance 0, ``fires_on`` D."""
    return Forecast(rule, subject, value, limit, 0, unit, as_of, text)


def on_day(day: dt.date | None, what: str = "fires") -> str:
    """"fires on 2025-01-31", or that the calendar alone gives no date."""
    return f"{what} on {day.isoformat()}" if day else "no date follows from the calendar"


def month_end(day: dt.date) -> dt.date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])
