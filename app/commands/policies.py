"""``policy list`` and ``policy install FILE``: the policy files a facility is judged by.

``install`` reads and checks the file before anyone signs in, so a malformed file is refused in
one line (its key and line) without a password being asked and with nothing written.
"""

from __future__ import annotations

import argparse
import datetime as dt

from app.commands.output import EXIT_OK, print_json
from app.services.policies import (
    PolicyListing,
    check_policy_file,
    install_policy,
    list_policies,
    read_policy_file,
)
from app.storage.database import Database


def listing_json(item: PolicyListing) -> dict[str, object]:
    """One entry of ``policy list --json`` (docs/cli.md)."""
    p = item.policy
    return {"name": p.name, "year": p.year, "effective_from": p.effective_from.isoformat(),
            "until": item.until.isoformat() if item.until else None, "supersedes": p.supersedes or None,
            "source": item.source, "file": item.file_name, "installed_by": item.installed_by,
            "installed_at": item.installed_at.isoformat(sep=" ") if item.installed_at else None}


def checked_file(path: str) -> tuple[str, str]:
    """The file's text and name once it passes the checks (before sign-in)."""
    text, name = read_policy_file(path)
    check_policy_file(text, name)
    return text, name


def run(args: argparse.Namespace, db: Database, file: tuple[str, str] | None, today: dt.date) -> int:
    if args.policy_command == "list":
        rows = list_policies(db)
        if args.json:
            print_json([listing_json(r) for r in rows])
        else:
            for r in rows:
                print(r.line)
        return EXIT_OK
    assert file is not None
    text, name = file
    item = install_policy(db, text, name)
    when = item.policy.effective_from
    effect = (f"in force from {when.isoformat()}" if when > today
              else f"in force since {when.isoformat()}: dates from then on are now judged by it")
    print(f"Installed {name}: {item.policy.name} {item.policy.year}, {effect}.")
    return EXIT_OK
