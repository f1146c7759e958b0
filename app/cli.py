"""``mroqc-desk``: the GUI by default, and the commands scripts and IT staff rely on.

Every command prints one clear line on failure and exits 2 for unusable input; a traceback is
never shown (it goes to the log file in the data folder instead). Every command that opens a
database signs in first (``app.commands.signin``). The contract is documented in ``docs/cli.md``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NoReturn

from app.commands.output import (
    EXIT_FINDINGS,
    EXIT_INTERNAL,
    EXIT_OK,
    EXIT_OUTPUT_CLOSED,
    EXIT_USAGE,
    UsageError,
    print_json,
)
from app.commands.signin import (
    add_sign_in_options,
    open_signed_in,
    secrets,
    show_recovery_key,
    user_name,
)
from app.domain.export_kinds import BY_NAME, EXPORT_KINDS

# Each command imports what it needs inside its own function, on purpose: ``import app.cli`` takes
# ~0.08 s, with every command's modules ~1.4 s (wall time of ``python -c``, measured on the 2-core
# development machine), so ``--version``, ``check --json`` and the window's start pay only for theirs.

__all__ = ["EXIT_FINDINGS", "EXIT_INTERNAL", "EXIT_OK", "EXIT_USAGE", "UsageError", "main", "print_json"]

log = logging.getLogger("mroqc_desk")


def iso_date(text: str) -> dt.date:
    """A date option: ISO, and within the years anyone records (``app.domain.dates``), so no rule
    adding a horizon to it can overflow."""
    from app.domain.dates import DateInputError, check_plausible

    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date in the form YYYY-MM-DD") from None
    try:
        return check_plausible(day)
    except DateInputError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def program_year(text: str) -> int:
    """``--year``: a year a record can hold (``app.workbook.limits``); a larger number would
    overflow the period's dates."""
    from app.workbook.limits import MAX_YEAR, MIN_YEAR

    try:
        year = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a year") from None
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise argparse.ArgumentTypeError(f"the year {text} is out of range: years from {MIN_YEAR} to {MAX_YEAR} only")
    return year


class _Parser(argparse.ArgumentParser):
    """argparse with its errors as the one line every error of this command line is (exit 2);
    the usage it would print is one ``--help`` away."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: {message} (see '{self.prog} --help')\n")


class _CommandAction(argparse._SubParsersAction):
    """The command word, with the options written before it (``mroqc-desk --db F users list``)
    read as if written after it: the top-level parser knows ``--db``, ``--user`` … for the window,
    and without this the command's own defaults would silently replace what was given. Written
    after the command too, they conflict or repeat as they would there; an option the command
    does not take is refused as unrecognized."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: Sequence[str] | str | None, option_string: str | None = None) -> None:
        leading: list[str] = []
        for action in parser._actions:
            value = getattr(namespace, action.dest, None) if action.option_strings else None
            if value is None or value is False or value == action.default:
                continue
            # --opt=VALUE: a value that starts with '-' is still read as the value
            leading.append(action.option_strings[-1] if value is True else f"{action.option_strings[-1]}={value}")
            setattr(namespace, action.dest, action.default)
        super().__call__(parser, namespace, [*(values or ()), *leading], option_string)
        unknown = getattr(namespace, argparse._UNRECOGNIZED_ARGS_ATTR, [])
        refused = [option.split("=", 1)[0] for option in leading if option in unknown]
        if refused:
            parser.error(f"{', '.join(refused)} (given before the command) is not an option of "
                         f"'{' '.join(str(v) for v in (values or ())[:1])}'")


def _add_db(parser: argparse.ArgumentParser, required: bool = True, *, sign_in: bool = True,
            upgrade: bool = True) -> None:
    """--db / --db-url, and (``sign_in``) who signs in; ``upgrade``: ``--admin NAME`` gives an
    earlier version's database its first administrator."""
    group = parser.add_mutually_exclusive_group(required=required)
    group.add_argument("--db", metavar="PATH", help="SQLite database file")
    group.add_argument("--db-url", metavar="URL", help="SQLAlchemy URL, e.g. a shared PostgreSQL server")
    if sign_in:
        add_sign_in_options(parser)
    if upgrade:
        parser.add_argument("--admin", metavar="NAME",
                            help="an earlier version's database: create its administrator NAME (then it is encrypted)")


class _VersionAction(argparse.Action):
    """``--version``, reading the version only when asked: the lookup costs some 50 ms that the
    window's start-up (``mroqc-desk`` with no command) does without."""

    def __init__(self, option_strings: Sequence[str], dest: str = argparse.SUPPRESS,
                 default: str = argparse.SUPPRESS, help: str = "show program's version number and exit") -> None:
        super().__init__(option_strings=option_strings, dest=dest, default=default, nargs=0, help=help)

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: object, option_string: str | None = None) -> None:
        from app import __version__

        print(f"mroqc-desk {__version__}")  # on stdout, as argparse's own version action
        parser.exit()


def _signed_in_command(parent, name: str, help: str) -> argparse.ArgumentParser:  # type: ignore[no-untyped-def]
    """A command on a database someone signs in to, which it never upgrades (an earlier
    version's database is given its administrator by the commands that may upgrade it)."""
    p = parent.add_parser(name, help=help)
    _add_db(p, upgrade=False)
    return p


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="mroqc-desk",
        description="MROQC Facility Desk. With no command, opens the window.",
    )
    parser.add_argument("--version", action=_VersionAction)
    _add_db(parser, required=False)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", action=_CommandAction)

    p = sub.add_parser("init", help="create an empty, migrated database and its administrator")
    _add_db(p, sign_in=False, upgrade=False)
    p.add_argument("--facility", required=True, metavar="NAME")
    _add_new_admin(p)

    p = sub.add_parser("demo", help="fill a new database with a synthetic facility")
    _add_db(p, sign_in=False, upgrade=False)
    _add_new_admin(p)
    p.add_argument("--patients", type=int, default=None, metavar="N", help="total cases (default: about 500 a year)")
    p.add_argument("--years", type=int, default=5, metavar="Y")
    p.add_argument("--seed", type=int, default=1, metavar="S")
    p.add_argument("--as-of", type=iso_date, default=None, metavar="DATE")

    p = sub.add_parser("import", help="import a facility workbook (.xlsx, CSV folder or .zip)")
    _add_db(p)
    p.add_argument("file", metavar="FILE")

    for name, text in (("check", "evaluate every policy rule"), ("programs", "program figures"),
                       ("quality", "the data-quality rules over the whole register: ready to submit?")):
        p = sub.add_parser(name, help=text)
        _add_db(p)
        p.add_argument("--as-of", type=iso_date, default=None, metavar="DATE")
        p.add_argument("--json", action="store_true")

    p = sub.add_parser("screen-import", help="import an eligible-patient list from the EHR (.csv, .xlsx, Synthea folder)")
    _add_db(p)
    p.add_argument("file", metavar="FILE")
    p.add_argument("--mapping", metavar="MAP.toml", help="which column holds what (default: found by the headers)")
    p.add_argument("--dry-run", action="store_true", help="show what would change; change nothing")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("export", help="write a submission file or the self-audit PDF")
    p.add_argument("kind", choices=EXPORT_KINDS, metavar="KIND", help=", ".join(EXPORT_KINDS))
    _add_db(p)
    p.add_argument("--out", required=True, metavar="FILE")
    p.add_argument("--year", type=program_year, default=None, metavar="YEAR")
    p.add_argument("--as-of", type=iso_date, default=None, metavar="DATE")
    p.add_argument("--identified", action="store_true", help="include MRN, name and birth date")
    p.add_argument("--rule", default=None, metavar="RULE", help="finding-cases: only this rule's findings")

    _add_user_commands(sub)

    for name in ("mvc-score", "mips-estimate"):
        p = sub.add_parser(name, help=f"the {name.split('-')[0].upper()} calculator")
        p.add_argument("file", metavar="FILE.json")
        p.add_argument("--json", action="store_true")

    p = sub.add_parser("verify-pdf", help="whether a signed self-audit is unchanged since signing, and signed by a "
                                          "person of the facility")
    p.add_argument("file", metavar="FILE")
    p.add_argument("--trust", metavar="FACILITY.pem", help="the facility certificate to check it against (else the "
                                                             "database's, signed in)")
    _add_db(p, required=False, upgrade=False)

    p = sub.add_parser("backup", help="online backup of a database")
    _add_db(p)
    p.add_argument("--out", required=True, metavar="FILE")
    p = _signed_in_command(sub, "restore", help="replace a database with a backup (an administrator of the backup)")
    p.add_argument("file", metavar="FILE")
    p = _signed_in_command(sub, "rekey", help="give the database a new key: a copy of the old key file or a "
                                              "removed user's password opens it no more (an administrator; a new "
                                              "recovery key is printed)")
    p.add_argument("--reason", default="a user was removed", metavar="TEXT", help="why, for the audit log")
    _signed_in_command(sub, "reindex", help="make every index of the database file again from its table, the "
                                            "register's search index of the case IDs too (an administrator; what "
                                            "verify asks for when it finds one damaged)")
    p = sub.add_parser("verify", help="integrity check")
    _add_db(p)
    p.add_argument("--against", metavar="SELF-AUDIT.pdf",
                   help="also check that the audit log still extends what this signed self-audit recorded")
    p = sub.add_parser("copy", help="move the facility to an empty shared PostgreSQL database (an administrator)")
    _add_db(p)
    p.add_argument("--to-db-url", required=True, metavar="URL",
                   help="the empty target, with its owner role: postgresql+psycopg://mroqc_owner@…")
    _add_hand_over(p)
    p = sub.add_parser("server-logins", help="give every person of an earlier version's shared database a server "
                                             "login of their own (the owner's address and an administrator)")
    p.add_argument("--db-url", required=True, metavar="URL", help="the shared database, with its owner role")
    p.add_argument("--user", metavar="NAME", help="the administrator (their earlier password is checked once)")
    p.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    _add_hand_over(p)

    p = sub.add_parser("screenshot", help="save a PNG of every main screen")
    _add_db(p)
    p.add_argument("--out", required=True, metavar="DIR")
    p.add_argument("--as-of", type=iso_date, default=None, metavar="DATE")
    return parser


def _add_new_admin(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--admin", required=True, metavar="NAME", help="the first user, an administrator")
    parser.add_argument("--password-stdin", action="store_true",
                        help="read the administrator's password from the first line of standard input")


def _add_hand_over(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--hand-over", choices=("first-passwords", "directory"), default="first-passwords",
                        help="how the others sign in there: a first password each, printed once to hand over "
                             "(default), or the hospital directory's login (Kerberos, LDAP in pg_hba.conf)")
    parser.add_argument("--directory-login", action="append", default=[], metavar="USER=LOGIN",
                        help="with --hand-over directory: the directory's login of a user not named as it")


def _directory_logins(args: argparse.Namespace) -> dict[str, str]:
    found = {}
    for item in args.directory_login:
        user, sep, login = item.partition("=")
        if not sep or not user.strip() or not login.strip():
            raise UsageError(f"--directory-login {item}: say USER=LOGIN")
        found[user.strip().lower()] = login.strip()
    return found


def _print_logins(first_passwords: dict[str, str], directory: dict[str, str]) -> None:
    for name, password in sorted(first_passwords.items()):
        print(f"first password for {name}: {password}")
    for name, login in sorted(directory.items()):
        print(f"{name} signs in with the directory's login {login}")
    if first_passwords:
        print("Hand each person their first password in person (it is not shown again); they change it at their "
              "first sign-in.", file=sys.stderr)


def _add_user_commands(sub) -> None:  # type: ignore[no-untyped-def]
    users = sub.add_parser("users", help="list and manage users (administrators only)")
    actions = users.add_subparsers(dest="users_command", metavar="ACTION", required=True)
    p = _signed_in_command(actions, "list", help="every user, their role and status")
    p.add_argument("--json", action="store_true")
    p = _signed_in_command(actions, "add", help="a new user; their first password must be changed at first sign-in")
    p.add_argument("name", metavar="NAME")
    p.add_argument("--role", required=True, choices=ROLE_CHOICES, metavar="ROLE", help=", ".join(ROLE_CHOICES))
    p.add_argument("--full-name", metavar="TEXT", help="the person's name as the window shows it")
    p.add_argument("--staff", metavar="ID", help="their record in Staff & roles (what they sign and submit is in its name)")
    p.add_argument("--directory-login", metavar="LOGIN",
                   help="a shared database: they sign in with this directory login (Kerberos, LDAP), no first password")
    p = _signed_in_command(actions, "link", help="link a user to their record in Staff & roles (--staff none: unlink)")
    p.add_argument("name", metavar="NAME")
    p.add_argument("--staff", required=True, metavar="ID")
    p = _signed_in_command(actions, "issue", help="issue the certificate an account from before keys asked for, "
                                                  "once its code is compared with the one the person's window shows")
    p.add_argument("name", metavar="NAME")
    p.add_argument("--code", required=True, metavar="XXXX-XXXX-XXXX-XXXX")
    p = _signed_in_command(actions, "set-role", help="change a user's role")
    p.add_argument("name", metavar="NAME")
    p.add_argument("role", choices=ROLE_CHOICES, metavar="ROLE", help=", ".join(ROLE_CHOICES))
    for action, text in (("disable", "no more sign-in (the user's key slot is removed)"),
                         ("enable", "allow sign-in again"), ("unlock", "forget failed sign-ins that locked the account"),
                         ("reset-password", "set a first password, to be changed at next sign-in")):
        p = _signed_in_command(actions, action, help=text)
        p.add_argument("name", metavar="NAME")

    _signed_in_command(sub, "passwd", help="change your own password")

    policy = sub.add_parser("policy", help="the MROQC policy files: list them, install a newer one")
    actions = policy.add_subparsers(dest="policy_command", metavar="ACTION", required=True)
    p = _signed_in_command(actions, "list", help="every policy file, bundled and installed, and from when each is in force")
    p.add_argument("--json", action="store_true")
    p = _signed_in_command(actions, "install", help="check and keep a newer policy file (administrators)")
    p.add_argument("file", metavar="FILE")


ROLE_CHOICES = ("admin", "coordinator", "physics", "reviewer")


def _url(args: argparse.Namespace) -> str:
    # app.paths, not app.storage.database: the window chooses its database before SQLAlchemy loads
    from app.paths import resolve_url

    db = getattr(args, "db", None)
    if db:
        try:
            Path(db).expanduser().exists()  # a name the file system cannot hold fails here, in one line
        except OSError as exc:
            raise UsageError(f"--db {db}: {exc.strerror or exc}") from None
    return resolve_url(db, getattr(args, "db_url", None))


#: Databases a command opened: closed when it ends, whether it succeeded or was refused (its WAL
#: folded in, its hold on the file let go), so a refused command leaves the folder as it found it.
_OPENED: list = []


def _open(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    """The database of ``--db``/``--db-url``, signed in; a password set by an administrator must
    be changed (``passwd``) before anything else."""
    db = open_signed_in(args, _url(args))
    _OPENED.append(db)
    if db.actor.must_change_password and args.command != "passwd":
        db.dispose()
        raise UsageError("not allowed: your password was set by an administrator; change it first with "
                         "'mroqc-desk passwd'")
    return db


def _create(args: argparse.Namespace, build, facility: str | None = None,  # type: ignore[no-untyped-def]
            password: str | None = None, before_file: Callable[[], object] | None = None) -> object:
    """A new database with its administrator (``--admin``; ``password``, else asked now), filled by
    ``build(db)``; ``facility`` names its certificate authority (the facility certificate);
    ``before_file()`` may refuse before anything is written (``create_database``)."""
    from app.security.signin import create_database

    url = _url(args)
    if password is None:
        password = secrets(args).new_password(args.admin)
    db, recovery_key = create_database(url, args.admin, password, build=build, facility=facility,
                                       before_file=before_file)
    return db, recovery_key


def cmd_init(args: argparse.Namespace) -> int:
    from app.services.facility import FacilityDetails, save_facility

    name = args.facility.strip()
    if not name:
        raise UsageError("--facility needs the facility's name")
    db, recovery_key = _create(args, lambda db: save_facility(db, FacilityDetails(name=name), today=dt.date.today()),
                               facility=name)
    print(f"Created {db.display_name} for {name}; {db.actor.name} is its administrator.")
    show_recovery_key(recovery_key)
    db.dispose()
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    from app.demo.generator import DemoOptions, generate_demo

    if args.patients is not None and args.patients < 0:
        raise UsageError("--patients cannot be negative.")
    if not 1 <= args.years <= 30:
        raise UsageError("--years must be between 1 and 30.")
    options = DemoOptions(patients=args.patients, years=args.years, seed=args.seed, as_of=args.as_of or dt.date.today())
    summaries = []
    from app.demo.generator import FACILITY_NAME

    db, recovery_key = _create(args, lambda db: summaries.append(generate_demo(db, options)), facility=FACILITY_NAME)
    print(summaries[0])
    show_recovery_key(recovery_key)
    db.dispose()
    return EXIT_OK


def _print_rejected(exc, source: str) -> int:  # type: ignore[no-untyped-def]
    print(f"Import rejected, nothing was changed: {len(exc.problems)} problem(s) in {source}", file=sys.stderr)
    for problem in exc.problems:
        print(problem, file=sys.stderr)
    return EXIT_USAGE


def cmd_import(args: argparse.Namespace) -> int:
    from app.workbook.importer import import_workbook, validate_for_a_new_database
    from app.workbook.schema import WorkbookError

    if not Path(args.file).exists():
        raise UsageError(f"No workbook at {args.file}.")
    target = Path(args.db) if args.db else None
    if target is not None and not target.exists():  # a new file for this workbook's facility
        if not args.admin:
            raise UsageError(f"No database at {target}: to create it for this workbook, say who its administrator "
                             "is with --admin NAME")
        results, checked = [], []
        password = secrets(args).new_password(args.admin)  # asked first, as always
        try:  # the workbook checked before any file is made (refused: none), the keys derived meanwhile
            db, recovery_key = _create(args, lambda db: results.append(import_workbook(
                db, Path(args.file), as_of=dt.date.today(), checked=checked.pop())), password=password,
                before_file=lambda: checked.append(validate_for_a_new_database(Path(args.file))))
        except WorkbookError as exc:  # built under a temporary name: nothing is left behind
            return _print_rejected(exc, args.file)
        print(results[0])
        show_recovery_key(recovery_key)
        db.dispose()
        return EXIT_OK
    db = _open(args)
    try:
        result = import_workbook(db, Path(args.file), as_of=dt.date.today())
    except WorkbookError as exc:
        return _print_rejected(exc, args.file)
    finally:
        db.dispose()
    print(result)
    return EXIT_OK


def cmd_screen_import(args: argparse.Namespace) -> int:
    from app.screening.command import run

    db = _open(args)
    try:
        return run(db, args.file, args.mapping, dry_run=args.dry_run, as_json=args.json, as_of=dt.date.today())
    finally:
        db.dispose()


def cmd_export(args: argparse.Namespace) -> int:
    from app.exports.service import export_kind
    from app.storage.files import check_output

    out = Path(args.out)
    check_output(out)  # a missing folder or a name too long, said before the password is asked
    db = _open(args)
    as_of = args.as_of or dt.date.today()
    count = export_kind(db, args.kind, out, year=args.year, as_of=as_of, identified=args.identified, rule=args.rule)
    unit = BY_NAME[args.kind].counts
    privacy = "" if unit == "certificates" else ", identified" if args.identified else ", de-identified"
    empty = BY_NAME[args.kind].empty_words if count == 0 else None
    print(f"Wrote {out} ({count} {unit}{privacy})." + (f" {empty}" if empty else ""))
    return EXIT_OK


def cmd_backup(args: argparse.Namespace) -> int:
    from app.services.maintenance import backup_database
    from app.storage.files import check_output

    check_output(Path(args.out).expanduser())
    db = _open(args)
    report = backup_database(db, Path(args.out))
    print(f"Backed up {report.facility or 'the facility'} to {args.out}.")
    return EXIT_OK


def cmd_restore(args: argparse.Namespace) -> int:
    from app.services.maintenance import restore_database

    recovery = args.recovery_key_stdin
    name = "" if recovery else user_name(args)
    secret = secrets(args).ask("Recovery key: " if recovery else f"Password for {name} (in the backup): ",
                               "recovery key" if recovery else "password")
    report = restore_database(_url(args), Path(args.file), name, secret, recovery=recovery)
    aside = f" The database it replaced is kept as {report.set_aside.name}." if report.set_aside else ""
    print(f"Restored {report.facility or 'the facility'} from {args.file} (taken {report.taken_at}).{aside}")
    return EXIT_OK


def _print_alarms(db) -> int:  # type: ignore[no-untyped-def]
    """What the sign-in found wrong (audited already): said on stderr; how many."""
    for alarm in getattr(db, "alarms", []):
        print(f"alarm: {alarm}", file=sys.stderr)
    return len(getattr(db, "alarms", []))


def cmd_verify(args: argparse.Namespace) -> int:
    from app.services.maintenance import AuditPosition, verify_database
    from app.storage.errors import DamagedDatabase

    against = None
    if args.against:
        against = _position_of(Path(args.against))
    try:
        db = _open(args)
    except DamagedDatabase as exc:  # a problem verify reports, not unusable input
        print(f"integrity: {exc}")
        return EXIT_FINDINGS
    alarms = _print_alarms(db)
    report = verify_database(db, against=AuditPosition(*against) if against else None)
    for warning in report.warnings:
        print(f"note: {warning}", file=sys.stderr)
    if report.ok and not alarms:
        print(f"OK: {report.facility or 'no facility yet'}, schema {report.revision}, integrity and references intact, "
              f"audit log of {report.audit_entries} entries unbroken, {report.signed_transactions} transactions signed "
              "by their authors" + (", and it extends the signed self-audit" if against else "") + ".")
        return EXIT_OK
    for problem in report.problems:
        print(problem)
    return EXIT_FINDINGS


def cmd_reindex(args: argparse.Namespace) -> int:
    import time

    from app.services.maintenance import reindex_database

    db = _open(args)
    started = time.monotonic()
    indexed = reindex_database(db)
    print(f"Every index made again from its table ({time.monotonic() - started:.1f} s); the register's search index "
          f"holds {indexed:,} case IDs.")
    return EXIT_OK


def cmd_rekey(args: argparse.Namespace) -> int:
    from app.security.rekey import plan_rekey, rekey_database

    db = _open(args)
    plan = plan_rekey(db)
    print(f"Re-keying {plan.size_bytes / 1e6:.1f} MB (about {plan.estimate_seconds:.0f} s); every other window and "
          "command must have closed the database.", file=sys.stderr)
    _OPENED.remove(db)
    report = rekey_database(db, args.reason)
    print(f"The database has a new key ({report.seconds:.1f} s). {len(report.keep)} person(s) keep access with their "
          "own password" + (f"; {', '.join(report.lose)} need a new first password ('users reset-password')"
                            if report.lose else "") + ".")
    show_recovery_key(report.recovery_key)
    return EXIT_OK


def _position_of(path: Path) -> tuple[int, str, int]:
    """Where the audit log stood when the self-audit ``path`` was signed (its signature checked first)."""
    from app.reports.signing import NotAPdf, verify_pdf

    if not path.is_file():
        raise UsageError(f"No file at {path}.")
    try:
        result = verify_pdf(path)
    except NotAPdf as exc:
        raise UsageError(str(exc)) from None
    if not result.intact or result.position is None:
        raise UsageError(f"{path.name} is not an unchanged self-audit signed by this version ({result.line}).")
    return result.position


def cmd_copy(args: argparse.Namespace) -> int:
    from app.services.moving import copy_database

    directory = _directory_logins(args)
    db = _open(args)
    try:
        report = copy_database(db, args.to_db_url, secrets(args).given[0] if secrets(args).given else "",
                               hand_over=args.hand_over, directory_logins=directory)
    finally:
        db.dispose()
    for line in report.lines():
        print(line)
    print(f"Copied {report.rows} rows in {len(report.tables)} tables to {report.target}; every table verified. "
          "Point the workstations at it with --db-url or MROQC_DESK_DB_URL, without the owner role "
          "(docs/shared-database.md).")
    print(f"{report.administrator} signs in there with the password used here.")
    _print_logins(report.first_passwords, report.directory)
    show_recovery_key(report.recovery_key)
    return EXIT_OK


def cmd_server_logins(args: argparse.Namespace) -> int:
    """An earlier version's shared database (one shared server login): every person gets their own."""
    from app.services.server_logins import give_server_logins

    directory = _directory_logins(args)
    name = user_name(args)
    password = secrets(args).ask(f"Password for {name} (as the earlier version knew it): ", "password")
    report = give_server_logins(args.db_url, name.strip().lower(), password, hand_over=args.hand_over,
                                directory_logins=directory)
    print(f"Every person of {make_shown(args.db_url)} now signs in with a server login of their own; "
          f"{name} with the password used until now.")
    if report.revoked:
        print(f"The earlier shared login(s) {', '.join(report.revoked)} may no longer connect: remove them "
              "(DROP ROLE) and their pgpass lines.")
    if report.new_facility_certificate:
        print("The facility has a new facility certificate: export it (mroqc-desk export facility-certificate) for "
              "the coordinating center.", file=sys.stderr)
    _print_logins(report.first_passwords, report.directory)
    show_recovery_key(report.recovery_key)
    return EXIT_OK


def make_shown(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def cmd_verify_pdf(args: argparse.Namespace) -> int:
    """Exit 0 (and who signed, in which role) when intact and signed by a certificate of the
    facility (``--trust FILE``, or the database's, signed in); 1 when changed since signing,
    unsigned, or signed by any other certificate; 2 when not a PDF or nothing to check against."""
    from app.reports.signing import NotAPdf, verify_pdf

    path = Path(args.file)
    if not path.is_file():
        raise UsageError(f"No file at {path}.")
    trusted, facility = _trusted_certificates(args)
    try:
        result = verify_pdf(path, trusted, facility)
    except NotAPdf as exc:
        raise UsageError(str(exc)) from None
    print(f"{path.name}: {result.line}")
    return EXIT_OK if result.ok else EXIT_FINDINGS


def _trusted_certificates(args: argparse.Namespace) -> tuple[list, str | None]:
    """The facility certificates to check a signature against, and the facility's name: the file
    given (its ``Facility:`` label), else the database's (the one the signed-in person trusts first)."""
    from app.security import pki

    if args.trust:
        trust = Path(args.trust)
        if not trust.is_file():
            raise UsageError(f"No file at {trust}.")
        text = trust.read_bytes()
        blocks = [b"-----BEGIN CERTIFICATE-----" + part for part in text.split(b"-----BEGIN CERTIFICATE-----")[1:]]
        label = next((line[len(b"Facility:"):].strip().decode("utf-8", "replace")
                      for line in text.splitlines() if line.startswith(b"Facility:")), None)
        try:
            return [pki.load_certificate(block) for block in blocks] or [pki.load_certificate(text)], label
        except pki.CertificateProblem:
            raise UsageError(f"{trust.name} is not a certificate (export the facility certificate from the window's "
                             "Settings → Data, or 'mroqc-desk export facility-certificate').") from None
    from app.paths import default_db_path

    if not (args.db or args.db_url) and not default_db_path().exists():
        raise UsageError("Nothing to check the signature against: give --trust FACILITY.pem (the facility certificate) "
                         "or --db PATH.")
    from app.security.people import authorities
    from app.services.facility import get_facility

    db = _open(args)
    try:
        with db.reader() as session:
            found = authorities(session)
        mine = getattr(db.person, "trusted", None)
        facility = get_facility(db)
        return ([mine, *(c for c in found if c != mine)] if mine is not None else found), \
            (facility.name if facility is not None else None)
    finally:
        db.dispose()


def cmd_mvc_score(args: argparse.Namespace) -> int:
    from app.calculator_commands import cmd_mvc_score as run

    return run(args)


def cmd_mips_estimate(args: argparse.Namespace) -> int:
    from app.calculator_commands import cmd_mips_estimate as run

    return run(args)


def cmd_check(args: argparse.Namespace) -> int:
    from app.domain.vocabulary import label
    from app.services.findings import run_check, to_json

    as_of = args.as_of or dt.date.today()
    result = run_check(_open(args), as_of)
    if args.json:
        print_json(to_json(result))
    else:
        print(f"{result.facility}: as of {as_of.isoformat()}, {result.in_force.statement}")
        kind = None
        for f in result.findings:
            if f.kind != kind:
                kind = f.kind
                print(f"\n{label(kind)} findings")
            subject = ", ".join(f"{k} {v}" for k, v in f.to_json()["subject"].items())
            print(f"  [{f.severity}] {f.rule}{' (' + subject + ')' if subject else ''}: {f.message}")
        from app.rules.engine import upcoming
        from app.services.findings import not_enough_history_lines

        history = not_enough_history_lines(result)  # windows reaching back before the records (docs/rules.md)
        if history:
            print("\n" + "\n".join(history))
        coming = upcoming(result.forecast, as_of)
        if coming:
            print("\nNext to fire if nothing changes")
            for day, found in coming:
                for f in found:
                    print(f"  {day.isoformat()} {f.rule}: {f.text}")
        blocking = sum(1 for f in result.findings if f.blocking)
        print(f"\n{len(result.findings)} finding(s), {blocking} trigger(s) or violation(s).")
    return EXIT_FINDINGS if result.blocking else EXIT_OK


def cmd_quality(args: argparse.Namespace) -> int:
    """Exit 0 ready to submit, 1 not ready (``app.commands.quality``)."""
    from app.commands.quality import run

    return run(_open(args), args.as_of or dt.date.today(), args.json)


def cmd_programs(args: argparse.Namespace) -> int:
    from app.services.findings import programs, programs_json

    as_of = args.as_of or dt.date.today()
    figures = programs_json(programs(_open(args), as_of))
    if args.json:
        print_json(figures)
        return EXIT_OK
    history = figures["data_history"]
    print(f"Data history (Gold Card and CQI VBR prerequisite): {'met' if history['met'] else 'not met'}; "
          f"baseline {history['baseline_year']}, contribution years {', '.join(map(str, history['contribution_years'])) or 'none'}")
    for reason in history["reasons"]:
        print(f"  - {reason}")
    print("CQI VBR per radiation oncologist:")
    for v in figures["vbr"]:
        print(f"  {v['name']}: {'eligible' if v['eligible'] else 'not eligible'}")
        for reason in v["unmet"]:
            print(f"    - {reason}")
    fte = figures["fte"]
    print(f"FTE funding estimate {fte['year']}: {fte['cases']} cases / {fte['cases_per_fte']} = {fte['fte']:.2f} FTE "
          f"({fte['staffing']})")
    if fte["non_bcbsm_share"] is not None:
        print(f"  non-BCBSM share of the cases: {fte['non_bcbsm_share']:.1%} (projected {fte['projected_non_bcbsm_share']:.0%})"
              + (f"; {fte['unknown_payer_cases']} case(s) without a payer left out" if fte["unknown_payer_cases"] else ""))
    print(f"P4P payment for {as_of.year} expected: {figures['p4p_payment_expected']}")
    print(f"MVC participation-bonus questionnaire due: {figures['mvc_questionnaire_due']}")
    return EXIT_OK


def _front_end(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    front_end = getattr(args, "front_end", None)
    if front_end is None:
        raise UsageError("this command line has no window; start the app with 'mroqc-desk'")
    return front_end


def cmd_screenshot(args: argparse.Namespace) -> int:
    import os

    front_end = _front_end(args)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    db = _open(args)  # signed in, and a missing or foreign database refused, before Qt starts
    saved = front_end.save_screenshots(db, Path(args.out), args.as_of)
    print(f"Saved {len(saved)} screenshots in {args.out}.")
    return EXIT_OK


def cmd_gui(args: argparse.Namespace) -> int:
    """The window (the front end ``ui.launch`` hands in; ``app`` never imports ``ui``). With
    ``--password-stdin`` (or the recovery key) it opens signed in, without the sign-in dialog
    (benchmarks, smoke tests); otherwise it asks."""
    front_end = _front_end(args)
    explicit = args.db or args.db_url
    signed_in = None
    if args.password_stdin or args.recovery_key_stdin or args.admin:
        signed_in = lambda url: open_signed_in(args, url)  # noqa: E731 (run once the window shows)
    return front_end.open_window(_url(args) if explicit else None, signed_in, args.user)


def cmd_users(args: argparse.Namespace) -> int:
    from app.commands.users import run

    return run(args, _open(args), secrets(args))


def cmd_policy(args: argparse.Namespace) -> int:
    from app.commands.policies import checked_file, run

    file = checked_file(args.file) if args.policy_command == "install" else None  # refused before sign-in
    return run(args, _open(args), file, dt.date.today())


def cmd_passwd(args: argparse.Namespace) -> int:
    from app.services.users import change_own_password

    db = _open(args)  # signing in asks for the old password (line 1 of standard input)
    old = secrets(args).given[0]
    change_own_password(db, old, secrets(args).new_password(db.actor.name))
    print(f"The password of {db.actor.name} was changed.")
    return EXIT_OK


def _run(args: argparse.Namespace) -> int:
    try:
        return COMMANDS[args.command](args)
    finally:
        while _OPENED:
            db = _OPENED.pop()
            try:
                db.dispose()
            except Exception:  # noqa: BLE001 - closing must not hide what the command said
                log.info("closing the database after %s failed", args.command)


COMMANDS: dict[str | None, Callable[[argparse.Namespace], int]] = {
    None: cmd_gui,
    "init": cmd_init,
    "demo": cmd_demo,
    "import": cmd_import,
    "screen-import": cmd_screen_import,
    "export": cmd_export,
    "backup": cmd_backup,
    "restore": cmd_restore,
    "reindex": cmd_reindex,
    "verify": cmd_verify,
    "rekey": cmd_rekey,
    "copy": cmd_copy,
    "server-logins": cmd_server_logins,
    "check": cmd_check,
    "programs": cmd_programs,
    "quality": cmd_quality,
    "mvc-score": cmd_mvc_score,
    "verify-pdf": cmd_verify_pdf,
    "mips-estimate": cmd_mips_estimate,
    "screenshot": cmd_screenshot,
    "users": cmd_users,
    "passwd": cmd_passwd,
    "policy": cmd_policy,
}


def _setup_logging() -> Path | None:
    """Log to a file in the data folder; the log never holds PHI (no patient values are logged)."""
    try:
        from app.paths import data_dir
        from app.storage.files import make_private

        log_file = data_dir() / "mroqc-desk.log"
        handler = logging.FileHandler(log_file, encoding="utf-8")
        make_private(log_file)  # an earlier version made it 0644
    except OSError:
        return None
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    return log_file


def _output_closed() -> int:
    """Standard output was closed by its reader (``mroqc-desk users list | head -1``): stop
    quietly, as Unix tools do. Standard output now goes nowhere (Python's "Note on SIGPIPE"), so
    what is still buffered cannot fail again when Python exits."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # not a file (tests capture it): nothing more to stop
        pass
    return EXIT_OUTPUT_CLOSED


def main(argv: Sequence[str] | None = None, front_end: object | None = None) -> int:
    """``front_end``: what opens the window and renders screenshots (``ui.launch.QtFrontEnd``);
    without it those two answer with one line instead."""
    from app.storage.files import CannotWrite, private_umask

    private_umask()  # every file this process creates is private to the account
    parser = build_parser()
    args = parser.parse_args(argv)
    args.front_end = front_end
    from app.storage.locks import set_program

    # what others read when this process has a database open (a restore refused names it)
    set_program(f"the command line ({args.command})" if args.command else "the window")
    log_file = _setup_logging()
    from app.storage.errors import DatabaseError  # loads no SQLAlchemy: the window appears first

    try:
        code = _run(args)
        sys.stdout.flush()  # a reader that went away is found here, not when Python exits
        return code
    except BrokenPipeError:
        return _output_closed()
    except (UsageError, DatabaseError, CannotWrite, ValueError, LookupError, PermissionError) as exc:
        message = str(exc)
        if not message.startswith(("sign-in failed:", "not allowed:")):
            message = f"mroqc-desk: {message}"
        print(message, file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("mroqc-desk: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # last resort: one line for the user, the details in the log
        log.exception("unexpected error in %s", args.command)
        where = f" (details in {log_file})" if log_file else ""
        print(f"mroqc-desk: unexpected error: {type(exc).__name__}: {exc}{where}", file=sys.stderr)
        return EXIT_INTERNAL

