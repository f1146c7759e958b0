"""A rule's measure: the figure it compares with its threshold, for every subject, fired or not.

The rules that have a threshold compute a ``Measure`` per subject (each project, each required
role, the facility) and fire from it; the Dashboard's tiles (and the forecasts to come) read the
same measures, so a tile's figure is the rule's own figure, never a second derivation.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Measure:
    """``value`` against ``limit`` for ``subject``; ``fires`` as the rule decides (at, or above,
    the limit, as POLICY.md says for that rule); ``evidence`` what its finding would show."""

    rule: str
    subject: dict[str, Any]
    value: Any
    limit: Any
    fires: bool
    evidence: dict[str, Any] = field(default_factory=dict)
    #: The day the facility's records are kept since, when the rule's window reaches back before
    #: it and its figure alone does not fire: the app lacks the history to say ("not enough history
    #: yet"). None: the window is inside the records.
    history_since: dt.date | None = None


Measures = dict[str, list[Measure]]  # by rule ID
