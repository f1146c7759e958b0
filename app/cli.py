"""``mroqc-desk``: the GUI by default, and the commands scripts and IT staff rely on.

Every command prints one clear line on failure and exits 2 for unusable input; a traceback is
never shown (it goes to the log file in the data folder instead). The contract is documented in
``docs/cli.md``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 3

EXPORT_KINDS = (
    "workbook", "enrollment", "dosimetry", "attendance", "mdcb-roster", "ce-certificates", "audit-pdf",
)

log = logging.getLogger("mroqc_desk")


class UsageError(Exception):
    """Unusable input: printed as one line, exit 2."""


def iso_date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date in the form YYYY-MM-DD") from None


def _add_db(parser: argparse.ArgumentParser, required: bool = True) -> None:
    group = parser.add_mutually_exclusive_group(required=required)
    group.add_argument("--db", metavar="PATH", help="SQLite database file")
    group.add_argument("--db-url", metavar="URL", help="SQLAlchemy URL, e.g. a shared PostgreSQL server")


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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mroqc-desk",
        description="MROQC Facility Desk. With no command, opens the window.",
    )
    parser.add_argument("--version", action=_VersionAction)
    _add_db(parser, required=False)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("init", help="create an empty, migrated database")
    _add_db(p)
    p.add_argument("--facility", required=True, metavar="NAME")

    p = sub.add_parser("demo", help="fill a new database with a synthetic facility")
    _add_db(p)
    p.add_argument("--patients", type=int, default=None, metavar="N", help="total cases (default: about 500 a year)")
    p.add_argument("--years", type=int, default=5, metavar="Y")
    p.add_argument("--seed", type=int, default=1, metavar="S")
    p.add_argument("--as-of", type=iso_date, default=None, metavar="DATE")

    p = sub.add_parser("import", help="import a facility workbook (.xlsx, CSV folder or .zip)")
    _add_db(p)
    p.add_argument("file", metavar="FILE")

    for name, text in (("check", "evaluate every policy rule"), ("programs", "program figures")):
        p = sub.add_parser(name, help=text)
        _add_db(p)
        p.add_argument("--as-of", type=iso_date, default=None, metavar="DATE")
        p.add_argument("--json", action="store_true")

    p = sub.add_parser("export", help="write a submission file or the self-audit PDF")
    p.add_argument("kind", choices=EXPORT_KINDS, metavar="KIND", help=", ".join(EXPORT_KINDS))
    _add_db(p)
    p.add_argument("--out", required=True, metavar="FILE")
    p.add_argument("--year", type=int, default=None)
    p.add_argument("--as-of", type=iso_date, default=None, metavar="DATE")
    p.add_argument("--identified", action="store_true", help="include MRN, name and birth date")

    for name in ("mvc-score", "mips-estimate"):
        p = sub.add_parser(name, help=f"the {name.split('-')[0].upper()} calculator")
        p.add_argument("file", metavar="FILE.json")
        p.add_argument("--json", action="store_true")

    p = sub.add_parser("backup", help="online backup of a database")
    _add_db(p)
    p.add_argument("--out", required=True, metavar="FILE")
    p = sub.add_parser("restore", help="replace a database with a backup")
    _add_db(p)
    p.add_argument("file", metavar="FILE")
    p = sub.add_parser("verify", help="integrity check")
    _add_db(p)

    p = sub.add_parser("screenshot", help="save a PNG of every main screen")
    _add_db(p)
    p.add_argument("--out", required=True, metavar="DIR")
    p.add_argument("--as-of", type=iso_date, default=None, metavar="DATE")
    return parser


def _url(args: argparse.Namespace) -> str:
    # app.paths, not app.storage.database: the window chooses its database before SQLAlchemy loads
    from app.paths import resolve_url

    return resolve_url(getattr(args, "db", None), getattr(args, "db_url", None))


def _open(args: argparse.Namespace, *, create: bool = False):
    from app.storage.database import open_database

    return open_database(_url(args), create=create)


def _sqlite_file(args: argparse.Namespace) -> Path:
    from app.storage.database import sqlite_path

    path = sqlite_path(_url(args))
    if path is None:
        raise UsageError("This command works on a SQLite file; for PostgreSQL use the server's own tools (pg_dump).")
    return path


def cmd_init(args: argparse.Namespace) -> int:
    from app.services.facility import FacilityDetails, get_facility, save_facility

    path = Path(args.db) if args.db else None
    if path is not None and path.exists() and path.stat().st_size > 0:
        raise UsageError(f"{path} already exists; choose a new file name.")
    db = _open(args, create=True)
    if get_facility(db) is not None:
        raise UsageError("That database already has a facility.")
    save_facility(db, FacilityDetails(name=args.facility), today=dt.date.today())
    print(f"Created {db.display_name} for {args.facility.strip()}.")
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    from app.demo.generator import DemoOptions, generate_demo
    from app.services.facility import get_facility

    if args.patients is not None and args.patients < 0:
        raise UsageError("--patients cannot be negative.")
    if not 1 <= args.years <= 30:
        raise UsageError("--years must be between 1 and 30.")
    db = _open(args, create=True)
    if get_facility(db) is not None:
        raise UsageError("The demo needs a new, empty database; that one already has a facility.")
    summary = generate_demo(
        db,
        DemoOptions(patients=args.patients, years=args.years, seed=args.seed, as_of=args.as_of or dt.date.today()),
    )
    print(summary)
    return EXIT_OK


def cmd_import(args: argparse.Namespace) -> int:
    from app.workbook.importer import import_workbook
    from app.workbook.schema import WorkbookError

    if not Path(args.file).exists():
        raise UsageError(f"No workbook at {args.file}.")
    target = Path(args.db) if args.db else None
    created = target is not None and not target.exists()  # a new file for this workbook's facility
    db = _open(args, create=created)
    try:
        result = import_workbook(db, Path(args.file))
    except WorkbookError as exc:
        db.dispose()
        if created and target is not None:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{target}{suffix}").unlink(missing_ok=True)
        print(f"Import rejected, nothing was changed: {len(exc.problems)} problem(s) in {args.file}", file=sys.stderr)
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return EXIT_USAGE
    print(result)
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    out = Path(args.out)
    if not out.parent.resolve().is_dir():
        raise UsageError(f"The folder {out.parent} does not exist.")
    db = _open(args)
    if args.kind == "workbook":
        from app.workbook.exporter import export_workbook

        count = export_workbook(db, out, identified=args.identified)
        print(f"Wrote {out} ({count} rows).")
        return EXIT_OK
    from app.exports.service import export_kind

    as_of = args.as_of or dt.date.today()
    count = export_kind(db, args.kind, out, year=args.year, as_of=as_of, identified=args.identified)
    unit = "pages" if args.kind == "audit-pdf" else "rows"
    print(f"Wrote {out} ({count} {unit}{', identified' if args.identified else ', de-identified'}).")
    return EXIT_OK


def cmd_backup(args: argparse.Namespace) -> int:
    from app.storage.backup import backup

    report = backup(_sqlite_file(args), Path(args.out))
    print(f"Backed up {report.facility or 'the facility'} to {args.out}.")
    return EXIT_OK


def cmd_restore(args: argparse.Namespace) -> int:
    from app.storage.backup import restore
    from app.storage.database import open_database

    target = _sqlite_file(args)
    report = restore(Path(args.file), target)
    open_database(_url(args)).dispose()  # migrate an older backup now, with its copy kept aside
    print(f"Restored {report.facility or 'the facility'} from {args.file} into {target}.")
    return EXIT_OK


def cmd_verify(args: argparse.Namespace) -> int:
    from app.storage.backup import inspect_file

    report = inspect_file(_sqlite_file(args))
    if report.ok:
        print(f"OK: {report.facility or 'no facility yet'}, schema {report.revision}, integrity and references intact.")
        return EXIT_OK
    for problem in report.problems:
        print(problem)
    return EXIT_FINDINGS


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
        print(f"{result.facility}: policy {result.policy.year}, as of {as_of.isoformat()}")
        kind = None
        for f in result.findings:
            if f.kind != kind:
                kind = f.kind
                print(f"\n{label(kind)} findings")
            subject = ", ".join(f"{k} {v}" for k, v in f.to_json()["subject"].items())
            print(f"  [{f.severity}] {f.rule}{' (' + subject + ')' if subject else ''}: {f.message}")
        blocking = sum(1 for f in result.findings if f.blocking)
        print(f"\n{len(result.findings)} finding(s), {blocking} trigger(s) or violation(s).")
    return EXIT_FINDINGS if result.blocking else EXIT_OK


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


def cmd_screenshot(args: argparse.Namespace) -> int:
    import os

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    _open(args).dispose()  # refuse a missing or foreign database before Qt starts
    try:
        from ui.screenshots import save_all
    except ImportError as exc:
        raise UsageError(f"Screenshots need the window toolkit: {exc}") from None
    saved = save_all(_url(args), Path(args.out), args.as_of)
    print(f"Saved {len(saved)} screenshots in {args.out}.")
    return EXIT_OK


def cmd_gui(args: argparse.Namespace) -> int:
    try:
        from ui.application import run_gui
    except ImportError as exc:  # a broken Qt install must still give one clear line
        raise UsageError(f"The window cannot start: {exc}") from None
    explicit = args.db or args.db_url
    return run_gui(_url(args) if explicit else None)


COMMANDS: dict[str | None, Callable[[argparse.Namespace], int]] = {
    None: cmd_gui,
    "init": cmd_init,
    "demo": cmd_demo,
    "import": cmd_import,
    "export": cmd_export,
    "backup": cmd_backup,
    "restore": cmd_restore,
    "verify": cmd_verify,
    "check": cmd_check,
    "programs": cmd_programs,
    "mvc-score": cmd_mvc_score,
    "mips-estimate": cmd_mips_estimate,
    "screenshot": cmd_screenshot,
}


def _setup_logging() -> Path | None:
    """Log to a file in the data folder; the log never holds PHI (no patient values are logged)."""
    try:
        from app.paths import data_dir

        log_file = data_dir() / "mroqc-desk.log"
        handler = logging.FileHandler(log_file, encoding="utf-8")
    except OSError:
        return None
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    return log_file


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    log_file = _setup_logging()
    from app.storage.errors import DatabaseError  # loads no SQLAlchemy: the window appears first

    try:
        return COMMANDS[args.command](args)
    except (UsageError, DatabaseError, ValueError, LookupError) as exc:
        print(f"mroqc-desk: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("mroqc-desk: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # last resort: one line for the user, the details in the log
        log.exception("unexpected error in %s", args.command)
        where = f" (details in {log_file})" if log_file else ""
        print(f"mroqc-desk: unexpected error: {type(exc).__name__}: {exc}{where}", file=sys.stderr)
        return EXIT_INTERNAL


def print_json(data: object) -> None:
    json.dump(data, sys.stdout, indent=2, ensure_ascii=False, default=str)
    sys.stdout.write("\n")
