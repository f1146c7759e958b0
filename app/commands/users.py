"""``users list|add|set-role|disable|enable|unlock|reset-password``: administrators only.

With ``--password-stdin``, line 1 of standard input is the administrator's password (read at
sign-in) and line 2 the new user's first password (``add``, ``reset-password``).
"""

from __future__ import annotations

import argparse

from app.commands.output import EXIT_OK, print_json
from app.commands.signin import Secrets
from app.domain.permissions import Permission
from app.services import users
from app.storage.database import Database


def _when(value) -> str | None:  # type: ignore[no-untyped-def]
    return value.isoformat(sep=" ") if value is not None else None


def run(args: argparse.Namespace, db: Database, secrets: Secrets) -> int:
    action = args.users_command
    if action == "list":
        rows = users.list_users(db)
        if args.json:
            print_json([{"name": u.name, "full_name": u.full_name, "role": u.role, "status": u.status,
                         "disabled": u.disabled, "must_change_password": u.must_change_password,
                         "locked_until": _when(u.locked_until), "last_sign_in": _when(u.last_sign_in_at)}
                        for u in rows])
        else:
            for u in rows:
                print(f"{u.name:<24} {u.role:<12} {u.status}" + (f"  (last signed in {_when(u.last_sign_in_at)} UTC)"
                                                                  if u.last_sign_in_at else ""))
        return EXIT_OK
    if action == "add":
        db.require(Permission.USERS)  # refused before a first password is asked for
        if getattr(args, "directory_login", None):
            users.add_directory_user(db, args.name, args.role, args.directory_login, full_name=args.full_name,
                                     staff_id=args.staff)
            print(f"Added {args.name.strip().lower()} ({args.role}); they sign in with the directory's login "
                  f"{args.directory_login}.")
            return EXIT_OK
        users.add_user(db, args.name, args.role, secrets.new_password(args.name), full_name=args.full_name,
                       staff_id=args.staff)
        print(f"Added {args.name.strip().lower()} ({args.role}); the first password must be changed at first sign-in.")
    elif action == "link":
        staff = None if args.staff.strip().lower() in ("none", "") else args.staff
        users.set_staff(db, args.name, staff)
        print(f"{args.name} is linked to staff {staff}." if staff else f"{args.name} is linked to no staff record.")
    elif action == "issue":
        users.issue_waiting(db, args.name, args.code)
        print(f"The certificate of {args.name} is issued: what they sign is vouched for by the facility.")
    elif action == "set-role":
        users.set_role(db, args.name, args.role)
        print(f"{args.name} is now {args.role}.")
    elif action == "disable":
        users.disable_user(db, args.name)
        print(f"{args.name} is disabled; their password opens nothing any more.")
    elif action == "enable":
        needs_password = users.enable_user(db, args.name)
        print(f"{args.name} is enabled." + (" Set a first password with 'users reset-password' before they sign in."
                                            if needs_password else ""))
    elif action == "unlock":
        users.unlock_user(db, args.name)
        print(f"{args.name} is unlocked.")
    elif action == "reset-password":
        db.require(Permission.USERS)
        users.reset_password(db, args.name, secrets.new_password(args.name))
        print(f"The password of {args.name} was reset; it must be changed at the next sign-in.")
    return EXIT_OK
