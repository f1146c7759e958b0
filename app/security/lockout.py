"""Lockout after repeated failed sign-ins: a pure function over the failure times.

Five failures (policy file) within fifteen minutes lock the name for fifteen minutes from the
failure that reached the limit. The name need not belong to a user: an unknown name locks the
same way, so the answer never tells whether an account exists.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from app.domain.security_policy import SecurityPolicy


def locked_until(failures: Iterable[dt.datetime], now: dt.datetime, policy: SecurityPolicy) -> dt.datetime | None:
    """When the lock ends, if ``now`` falls inside one; None when the name may try again.

    A failure stamped later than ``now`` still counts: a guess that read the clock just before a
    parallel one was counted (or a workstation whose clock runs behind) must not slip past a
    lock that is already there."""
    window = dt.timedelta(minutes=policy.window_minutes)
    lock = dt.timedelta(minutes=policy.lock_minutes)
    times = sorted(failures)
    for i in range(policy.failed_attempts - 1, len(times)):
        reached = times[i]
        if reached - times[i - policy.failed_attempts + 1] <= window and now < reached + lock:
            return reached + lock
    return None


def recent(failures: Iterable[dt.datetime], now: dt.datetime, policy: SecurityPolicy) -> list[dt.datetime]:
    """The failures still able to matter (within window + lock of now): what a store keeps."""
    keep = dt.timedelta(minutes=policy.window_minutes + policy.lock_minutes)
    return sorted(t for t in failures if now - t <= keep)
