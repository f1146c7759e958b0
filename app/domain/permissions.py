"""Roles and what each may do. Services ask ``authorize`` before they change anything, so the
window and the command line obey the same table; the window only reflects it (controls
disabled, with a tooltip naming who may).

| role | may |
|---|---|
| admin | everything, including users, facility settings, restore |
| coordinator (CDA) | cases, data entry, staff and roles, meetings, correspondence, imports, exports incl. identified, mark findings reviewed |
| physics (physics lead, dosimetry representative) | dosimetry submissions; read the rest; de-identified exports |
| reviewer (clinical champion, administrative lead) | read everything, acknowledge findings and QIP steps, mark findings reviewed, sign the self-audit; de-identified exports |

In the domain, not in ``app.security``: the database checks it before every audited transaction
(``app.storage.database.Database.transaction``), and storage never imports security.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

ROLES: tuple[str, ...] = ("admin", "coordinator", "physics", "reviewer")
ROLE_NAMES: dict[str, str] = {
    "admin": "administrator",
    "coordinator": "coordinator (CDA)",
    "physics": "physics lead",
    "reviewer": "reviewer (clinical champion or administrative lead)",
}
_ARTICLE = {"admin": "an", "coordinator": "a", "physics": "a", "reviewer": "a"}


class Permission(Enum):
    """One kind of change (or sensitive read); the value says it in the coordinators' words."""

    CASES = "change cases and data-entry sessions"
    STAFF = "change staff, roles and absences"
    MEETINGS = "change meetings and attendance"
    LETTERS = "change correspondence"
    DOSIMETRY = "change dosimetry submissions"
    PROGRAM_YEARS = "change program years"
    QIP = "acknowledge findings and change QIP steps"
    REVIEW = "mark findings reviewed with their explanation"
    SIGN_AUDIT = "sign the self-audit"
    IMPORT = "import data"
    EXPORT = "export de-identified files"
    EXPORT_IDENTIFIED = "export files with patient identifiers"
    BACKUP = "back up the database"
    RESTORE = "restore a backup"
    FACILITY = "change the facility settings"
    USERS = "manage users"
    COPY = "copy the facility to another database"


ALLOWED: dict[str, frozenset[Permission]] = {
    "admin": frozenset(Permission),
    "coordinator": frozenset({
        Permission.CASES, Permission.STAFF, Permission.MEETINGS, Permission.LETTERS, Permission.PROGRAM_YEARS,
        Permission.IMPORT, Permission.EXPORT, Permission.EXPORT_IDENTIFIED, Permission.BACKUP, Permission.REVIEW,
    }),
    "physics": frozenset({Permission.DOSIMETRY, Permission.EXPORT}),
    "reviewer": frozenset({Permission.QIP, Permission.REVIEW, Permission.SIGN_AUDIT, Permission.EXPORT}),
}


class NotAllowed(PermissionError):
    """The signed-in user's role may not do this; the message names the roles that may."""

    def __init__(self, permission: Permission, actor: Actor | None) -> None:
        self.permission = permission
        self.actor = actor
        super().__init__(f"not allowed: {who_may(permission)} may {permission.value}"
                         + (f" (you are signed in as {actor.name}, {ROLE_NAMES[actor.role]})" if actor else ""))


def roles_allowed(permission: Permission) -> list[str]:
    return [role for role in ROLES if permission in ALLOWED[role]]


def who_may(permission: Permission) -> str:
    """"only an administrator or a coordinator (CDA)": the roles that may, in words."""
    names = [f"{_ARTICLE[role]} {ROLE_NAMES[role]}" for role in reversed(roles_allowed(permission))]
    joined = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]
    return f"only {joined}"


@dataclass(frozen=True)
class Actor:
    """Who is signed in: the name the audit log records, and the role that decides what they may do."""

    name: str
    role: str
    must_change_password: bool = False

    def may(self, permission: Permission) -> bool:
        return permission in ALLOWED.get(self.role, frozenset())


def authorize(actor: Actor | None, permission: Permission) -> None:
    """Raise ``NotAllowed`` unless ``actor`` may; nothing has been changed when it raises."""
    if actor is None or not actor.may(permission):
        raise NotAllowed(permission, actor)
