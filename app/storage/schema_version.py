"""The schema revisions this app knows, so opening an up-to-date database needs no Alembic import.

A test checks these against the migration scripts; add the new revision here with each migration.
"""

from __future__ import annotations

KNOWN_REVISIONS: tuple[str, ...] = ("0001", "0002", "0003", "0004", "0005", "0006", "0007", "0008", "0009", "0010", "0011", "0012", "0013", "0014", "0015", "0016")
HEAD_REVISION: str = KNOWN_REVISIONS[-1]
