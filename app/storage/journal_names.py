"""Where the journals of ``app.storage.journal`` lie beside a database, found without importing
what settles them: ``app.storage.journal`` imports portalocker, which reads its own package
metadata on import (~23 ms of the ~250 ms from start to the window's sign-in dialog on screen,
``python -X importtime``, the 2-core development machine). ``app.security.before_sign_in`` only
asks whether there are any."""

from __future__ import annotations

from pathlib import Path


def journal_prefix(db_path: Path) -> str:
    return f".{db_path.name}.journal-"


def journals(db_path: Path) -> list[Path]:
    """The journals of operations on ``db_path`` under way or killed (none: nothing to settle)."""
    return sorted(p for p in Path(db_path).parent.glob(journal_prefix(Path(db_path)) + "*.json"))
