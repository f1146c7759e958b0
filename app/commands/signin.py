"""Signing in from the command line (INTERFACES.md, "Users and sign-in").

``--user NAME`` names who signs in (default: the operating-system login name). The password is
asked on the terminal, or read from standard input with ``--password-stdin`` (line 1; line 2 a
new password where a command sets one). ``--recovery-key-stdin`` reads the recovery key instead.
No argument or environment variable ever carries a password.
"""

from __future__ import annotations

import argparse
import getpass
import sys

from app.commands.output import UsageError


class Secrets:
    """The lines of standard input (``--password-stdin``), or prompts on the terminal, in order."""

    def __init__(self, from_stdin: bool) -> None:
        self.from_stdin = from_stdin
        self._read = 0
        self.given: list[str] = []  # what was read or typed, in order (passwd: the sign-in password is the old one)

    def _stdin_line(self, what: str) -> str:
        line = sys.stdin.readline(4096)  # one line at a time: a script may write line 2 later
        self._read += 1
        if not line:
            raise UsageError(f"standard input has no line {self._read} ({what})")
        return line.rstrip("\r\n")

    def ask(self, prompt: str, what: str) -> str:
        """One secret: the next line of standard input, or typed at the terminal (not echoed)."""
        if self.from_stdin:
            secret = self._stdin_line(what)
        elif not sys.stdin.isatty():
            raise UsageError(f"no {what} given: type it at a terminal, or give it on standard input with --password-stdin")
        else:
            try:
                secret = getpass.getpass(prompt)
            except EOFError:
                raise UsageError(f"no {what} given") from None
        self.given.append(secret)
        return secret

    def new_password(self, whose: str) -> str:
        """A new password: one line of standard input, or typed twice at the terminal."""
        if self.from_stdin:
            secret = self._stdin_line(f"the {whose} password")
            self.given.append(secret)
            return secret
        first = self.ask(f"New password for {whose}: ", f"password for {whose}")
        if self.ask("Type it again: ", f"password for {whose}") != first:
            raise UsageError("the two passwords typed differ; nothing was changed")
        return first


def add_sign_in_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--user", metavar="NAME", help="who signs in (default: your login name)")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--password-stdin", action="store_true",
                       help="read the password from the first line of standard input")
    group.add_argument("--recovery-key-stdin", action="store_true",
                       help="open with the recovery key (first line of standard input), as an administrator")
    parser.add_argument("--directory", action="store_true",
                        help="a shared database: sign in as the server login the address (or this computer's "
                             "account) names, checked by the hospital directory (Kerberos, a certificate; LDAP: "
                             "its password with --password-stdin): no password of the app's")


def user_name(args: argparse.Namespace) -> str:
    if getattr(args, "user", None):
        return args.user
    try:
        return getpass.getuser()
    except Exception:  # no login name (some service accounts)
        raise UsageError("say who signs in with --user NAME") from None


def secrets(args: argparse.Namespace) -> Secrets:
    found = getattr(args, "_secrets", None)
    if found is None:
        found = Secrets(bool(getattr(args, "password_stdin", False) or getattr(args, "recovery_key_stdin", False)))
        args._secrets = found
    return found


def show_recovery_key(key: str, *, stream=None) -> None:  # type: ignore[no-untyped-def]
    """The recovery key on a line of its own (stdout for init and demo), the advice on stderr."""
    print(f"recovery key: {key}", file=stream or sys.stdout, flush=True)
    print("Write the recovery key down and keep it away from this computer: it opens the database if every "
          "password is lost. It is not shown again.", file=sys.stderr)


def open_signed_in(args: argparse.Namespace, url: str):  # type: ignore[no-untyped-def]
    """The database at ``url``, signed in as ``--user`` (or with the recovery key). An earlier
    version's database gets its administrator here when ``--admin NAME`` is given."""
    # here, not at the top: this module loads with ``app.cli`` (~0.04 s); these bring SQLAlchemy (~0.8 s)
    from app.security.signin import (
        check_openable,
        needs_administrator,
        sign_in,
        sign_in_with_recovery_key,
        upgrade_database,
    )
    from app.storage.database import sqlite_path

    admin = getattr(args, "admin", None)
    path = sqlite_path(url)
    if path is not None and not admin:
        check_openable(path)  # a missing, foreign or earlier version's file is said before a password is asked
    if admin:
        if not needs_administrator(url):
            raise UsageError("--admin creates the first administrator of a database that has none; this one has "
                             "users: sign in with --user instead")
        db, key = upgrade_database(url, admin, secrets(args).new_password(admin))
        print(f"{db.display_name} now has its administrator {db.actor.name} and is encrypted.", file=sys.stderr)
        show_recovery_key(key, stream=sys.stderr)  # stdout stays the command's own output
        return db
    if getattr(args, "recovery_key_stdin", False):
        return sign_in_with_recovery_key(url, secrets(args).ask("Recovery key: ", "recovery key"))
    if getattr(args, "directory", False):
        from app.security.server_signin import sign_in_directory

        if path is not None:
            raise UsageError("--directory signs in to a shared database (--db-url); a file's users have passwords")
        password = secrets(args).ask("Directory password: ", "password") if getattr(args, "password_stdin", False) \
            else None
        return sign_in_directory(url, password)
    name = user_name(args)
    return sign_in(url, name, secrets(args).ask(f"Password for {name}: ", "password"))
