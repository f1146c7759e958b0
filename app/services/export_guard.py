"""Who may export, where an export may not be written, and the audit entry an export leaves.

Below every exporter (``app.exports``, the signed self-audit in ``app.reports.signing``, the audit
log's own export in ``app.services.audit_log``) so they all guard and record an export the same
way without importing each other.
"""

from __future__ import annotations

from pathlib import Path

from app.domain.export_kinds import export_kind_named
from app.domain.permissions import Permission
from app.storage import audit
from app.storage.database import Database, is_database_file
from app.storage.tabular import ExportError


def export_permission(identified: bool) -> Permission:
    """An identified export needs the coordinator's or administrator's permission; others any exporter's."""
    return Permission.EXPORT_IDENTIFIED if identified else Permission.EXPORT


def check_target(db: Database, out: Path) -> None:
    """Refuse to write an export over the open database or one of its own files (its key file, its
    ``-wal``: SQLite would delete that one when it closes, and the export with it)."""
    if db.path is not None and is_database_file(db.path, out):
        raise ExportError(f"Choose another file for the export: {out.name} is one of the database's own files "
                          f"(every name beginning with {db.path.name} beside it is).")


def record_export(db: Database, kind: str, out: Path, identified: bool) -> None:
    """The audit entry of an export written (or a preview saved) by the signed-in user, under its
    declared kind (``UnknownExportKind`` for any other name: the audit log's keys stay the kinds)."""
    kind = export_kind_named(kind).name
    with db.transaction(export_permission(identified)) as session:
        audit.note(session, f"exported {kind} ({'identified' if identified else 'de-identified'}) to {out.name}",
                   table="exports", key=kind)


def record_printed(db: Database, screen: str, printer: str) -> None:
    """The audit entry of a screen printed on paper by the signed-in user (``printout``): what it
    shows leaves the app on paper, as a PDF does, but printing needs no right beyond seeing the
    screen, so the entry is the user's own (no permission asked)."""
    kind = export_kind_named("printout").name
    with db.transaction(None) as session:
        audit.note(session, f"printed {screen} on {printer or 'the default printer'}", table="exports", key=kind)
