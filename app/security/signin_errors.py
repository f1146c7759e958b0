"""How a sign-in is refused, the same whether the database is a file (``app.security.signin``)
or a shared server's (``app.security.server_signin``): both raise these, so neither imports the other's
refusals (``signin`` hands a shared database to ``server_signin``)."""

from __future__ import annotations

import datetime as dt

from app.domain.wording import Zone, to_local
from app.storage.errors import DatabaseError

WRONG = "sign-in failed: the user name or password is not right"


class SignInFailed(PermissionError):
    """Nobody was signed in; the message starts with ``sign-in failed:`` and never says whether
    the user exists."""


class AccountLocked(SignInFailed):
    """``until`` (stored UTC) said in ``zone``: the facility's where the database is open already
    (the lock screen, Switch user), else this computer's; always with the zone's name."""

    def __init__(self, until: dt.datetime, zone: Zone = None) -> None:
        self.until = until
        local = to_local(until, zone)
        super().__init__(f"sign-in failed: too many failed attempts; this account is locked until "
                         f"{local:%H:%M} ({local:%Y-%m-%d %Z}), or until an administrator unlocks it")


class NeedsAdministrator(DatabaseError):
    """The database has no user yet (an earlier version's): create its administrator first."""
