"""From one shared login to a login per person: upgrading an earlier version's shared database.

An earlier version's shared database was opened by every workstation with one server login (the
``mroqc_desk`` of docs/shared-database.md), and the app checked each person's password against an
Argon2id hash in ``users``: the server could not tell a physics lead from an administrator. Opening
it once with the owner's address runs migration 0011 (the groups, grants and trigger; the old
shared login's grants taken back), and ``give_server_logins`` then gives every person a login of
their own, once, with an administrator of the facility:

- the administrator's own password (checked against the earlier version's hash, its last use)
  becomes their server login's;
- everyone else gets a first password shown once (to hand over, changed at the first sign-in) or
  the hospital directory's login;
- every person gets keys certified by the facility CA (a new facility certificate when nobody on
  the server holds the old one's key: the coordinating center is given the new one);
- a new recovery key (the old one's hash is removed with every password hash: nothing a server
  could check a password with stays in the app's tables).

``mroqc-desk server-logins`` runs it; tests/pg/test_server_roles.py runs it on a copy of such a
database.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa

from app.domain.permissions import Actor, Permission
from app.security.passwords import (
    new_recovery_key,
    normal_recovery_key,
    verify_password,
)
from app.security.server_signin import scram_verifier, settle_schema
from app.security.signin import WRONG, SignInFailed, add_facility_users, now_utc
from app.services.moving import FIRST_PASSWORDS, HAND_OVER, server_logins_for
from app.storage import audit
from app.storage.database import create_db_engine, open_database
from app.storage.errors import DatabaseError
from app.storage.models import FacilityCertificate, User
from app.storage.server_names import ServerNames


@dataclass
class LoginsReport:
    #: each person's first password (to hand over; changed at the first sign-in), shown once
    first_passwords: dict[str, str] = field(default_factory=dict, repr=False)
    #: people who sign in with the directory's login (name → server login)
    directory: dict[str, str] = field(default_factory=dict)
    recovery_key: str = field(default="", repr=False)
    #: server logins that held rights on the database before and hold none now (the shared login)
    revoked: list[str] = field(default_factory=list)
    new_facility_certificate: bool = False


def _old_logins(owner_url: str) -> list[str]:
    """The server logins other than the owner's that may connect to the database now (the earlier
    version's shared login): what the upgrade takes back."""
    engine = create_db_engine(owner_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(sa.text("""
                SELECT r.rolname FROM pg_database d CROSS JOIN LATERAL aclexplode(d.datacl) a
                  JOIN pg_roles r ON r.oid = a.grantee
                 WHERE d.datname = current_database() AND a.privilege_type = 'CONNECT' AND a.grantee <> d.datdba
                   AND NOT r.rolsuper""")).scalars()
            return sorted(set(rows))
    finally:
        engine.dispose()


def give_server_logins(owner_url: str, admin: str, password: str, *, hand_over: str = FIRST_PASSWORDS,
                       directory_logins: dict[str, str] | None = None) -> LoginsReport:
    """Give every person of the shared database at ``owner_url`` (the owner's address) a server login
    of their own, with ``admin``'s password checked against the earlier version's hash."""
    if hand_over not in HAND_OVER:
        raise ValueError(f"hand_over is one of {', '.join(HAND_OVER)}")
    before = _old_logins(owner_url)
    if not settle_schema(owner_url):
        raise DatabaseError("Giving everyone a server login needs the shared database's owner address (the role that "
                            "owns it, docs/shared-database.md): this address's login is not its owner.")
    names = ServerNames.of_url(owner_url)
    report = LoginsReport(revoked=[r for r in before if not names.is_ours(r)])
    owner = open_database(owner_url)
    try:
        with owner.reader() as session:
            me = session.scalars(sa.select(User).where(User.name == admin)).first()
            if me is None or me.disabled or me.role != "admin" or not verify_password(me.password_hash, password):
                raise SignInFailed(WRONG)
            people = list(session.scalars(sa.select(User).where(User.disabled.is_(False), User.server_role.is_(None))
                                          .order_by(User.name)))
            had_ca = session.scalar(sa.select(sa.func.count()).select_from(FacilityCertificate)) > 0
        owner.actor = Actor(admin, "admin")
        given = server_logins_for(people, admin, password, hand_over, directory_logins or {},
                                  first_passwords=report.first_passwords, directory=report.directory)
        # the facility CA's key was in key slots on a file, never on the server: a new one, kept by the administrators
        add_facility_users(owner, given, now_utc(), new_ca=True)
        report.new_facility_certificate = had_ca
        report.recovery_key = new_recovery_key()
        with owner.transaction(Permission.USERS) as session:
            session.execute(sa.select(sa.func.mroqc_set_recovery_key(
                scram_verifier(session, names.recovery, normal_recovery_key(report.recovery_key)))))
            session.execute(sa.update(User).where(User.password_hash.is_not(None)).values(password_hash=None))
            audit.note(session, "every person signs in to the server with a login of their own from now on (was one "
                                f"shared login{': ' + ', '.join(report.revoked) if report.revoked else ''}); "
                                "the earlier version's password hashes and recovery key are removed", table="users")
    finally:
        owner.dispose()
    return report
