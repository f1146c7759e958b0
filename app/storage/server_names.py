"""The names a shared database's server roles go by (PostgreSQL), worked out from its address.

Every facility database on a PostgreSQL cluster has its own roles, so two facilities on one
server never share a grant (roles are the cluster's, not a database's). They are all named from a
*prefix*, the database's name made safe (``mroqc`` for the database ``mroqc``):

| role | what it is |
|---|---|
| ``mroqc_admin``, ``mroqc_coordinator``, ``mroqc_physics``, ``mroqc_reviewer`` | one group per app role: what the role table of docs/security.md allows, granted by the server |
| ``mroqc_people`` | every person (each group is a member): connect, read what every role reads |
| ``mroqc.dana`` | the person ``dana``'s own login (a password the server checks, ``scram-sha-256``), member of one group |
| ``mroqc_signin`` | the sign-in door: may only count an attempt before it is tried and note a failed one (its password is public, see ``DOOR_PASSWORD``) |
| ``mroqc_recovery`` | the recovery key's login (its password is the recovery key), a member of ``mroqc_admin`` |

A person whose login is the hospital directory's (Kerberos, LDAP) keeps that login's own name
(``users.server_role``); the app makes only the ``PREFIX.name`` logins.

Nothing here connects or imports SQLAlchemy's engine: the sign-in works the names out from the
address before anything is opened.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

#: PostgreSQL cuts identifiers at 63 bytes (NAMEDATALEN - 1).
MAX_NAME = 63
#: The longest prefix kept whole (a longer database name is cut and given a digest).
MAX_PREFIX = 40
#: The door's password. It is public on purpose: the door may count a sign-in attempt, note a
#: failed one and say until when a name is locked, nothing else; IT may instead let it in with a
#: ``pg_hba.conf`` line of its own. Giving it a secret would protect nothing.
DOOR_PASSWORD = "MROQC Facility Desk sign-in door"
#: The app roles and their groups' suffixes.
GROUP_ROLES = ("admin", "coordinator", "physics", "reviewer")


def _digest(text: str, length: int = 6) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:length]


def prefix_for(database: str) -> str:
    """``mroqc`` → ``mroqc``; ``Lakeside-RO`` → ``lakeside_ro``; a long name is cut with a digest."""
    cleaned = re.sub(r"[^a-z0-9_]", "_", (database or "").lower()) or "mroqc"
    if cleaned[0].isdigit():
        cleaned = "db_" + cleaned
    if len(cleaned) > MAX_PREFIX:
        cleaned = cleaned[:MAX_PREFIX - 7] + "_" + _digest(database)
    return cleaned


@dataclass(frozen=True)
class ServerNames:
    """The roles of one facility database."""

    prefix: str

    @classmethod
    def of_database(cls, database: str) -> ServerNames:
        return cls(prefix_for(database))

    @classmethod
    def of_url(cls, url: str) -> ServerNames:
        from sqlalchemy.engine import make_url

        return cls.of_database(make_url(url).database or "")

    def group(self, role: str) -> str:
        if role not in GROUP_ROLES:
            raise ValueError(f"unknown role {role!r}")
        return f"{self.prefix}_{role}"

    @property
    def groups(self) -> dict[str, str]:
        return {role: self.group(role) for role in GROUP_ROLES}

    @property
    def people(self) -> str:
        return f"{self.prefix}_people"

    @property
    def signin(self) -> str:
        return f"{self.prefix}_signin"

    @property
    def recovery(self) -> str:
        return f"{self.prefix}_recovery"

    def login(self, user: str) -> str:
        """The login the app makes for the user ``user``: ``mroqc.dana`` (a name too long for the
        server is cut and given a digest, so two long names never meet)."""
        name = f"{self.prefix}.{user}"
        if len(name.encode("utf-8")) <= MAX_NAME:
            return name
        room = MAX_NAME - len(self.prefix) - 1 - 7
        return f"{self.prefix}.{user.encode('utf-8')[:room].decode('utf-8', 'ignore')}~{_digest(user)}"

    def own_roles(self) -> list[str]:
        """Every role of this database's that is not a person's login."""
        return [*self.groups.values(), self.people, self.signin, self.recovery]

    def is_ours(self, role: str) -> bool:
        """Whether ``role`` is one of this database's roles (a group, the door, the recovery key's
        login, or a login the app made): what the test fixtures and ``uninstall`` drop."""
        return role in self.own_roles() or role.startswith(self.prefix + ".")
