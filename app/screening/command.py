"""``mroqc-desk screen-import --db PATH FILE [--mapping MAP.toml] [--dry-run] [--json]``.

Exit 0 after an import (or a dry run); 2 when the file is refused (every problem on standard
error as ``row N, column: message``), when the mapping or file cannot be used, or when the
signed-in user may not import (one line starting ``not allowed:``). Without ``--json``: one
summary line; with it: ``{"new", "updated", "unchanged", "not_eligible", "rows": [...]}``.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

from app.commands.output import EXIT_OK, EXIT_USAGE, print_json
from app.domain.permissions import Permission
from app.screening.errors import ScreeningRejected
from app.screening.mapping import Mapping, load_mapping
from app.screening.service import import_list, preview, read_list
from app.storage.database import Database


def _rejected(exc: ScreeningRejected) -> int:
    print(f"Import rejected, nothing was changed: {len(exc.problems)} problem(s) in {exc.source}", file=sys.stderr)
    for line in exc.listed():
        print(line, file=sys.stderr)
    return EXIT_USAGE


def run(db: Database, file: str, mapping_path: str | None = None, *, dry_run: bool = False,
        as_json: bool = False, as_of: dt.date | None = None) -> int:
    """The command's work once signed in; returns the exit code. ``as_of``: the day the
    data-quality problems the list brings in are judged at (the command passes today)."""
    db.require(Permission.IMPORT)  # before the file is read: a refused user learns nothing from it
    mapping = load_mapping(Path(mapping_path)) if mapping_path else Mapping()
    try:
        parsed = read_list(Path(file), mapping)
        plan = (preview(db, parsed=parsed, as_of=as_of).plan if dry_run
                else import_list(db, parsed, as_of=as_of).plan)
    except ScreeningRejected as exc:
        return _rejected(exc)
    if as_json:
        print_json(plan.to_json())
    else:
        print(plan.summary(written=not dry_run))
    return EXIT_OK
