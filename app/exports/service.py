"""Every export kind (``app.domain.export_kinds``) written through one door, used by the CLI, the
Reports screen and Settings → Data.

An export needs the role that may export (identified: a coordinator or administrator) and is
recorded in the audit log under the signed-in user: which kind, identified or not, which file
(``app.services.export_guard``).
"""

from __future__ import annotations

import datetime as dt
import importlib
import io
from collections.abc import Callable
from pathlib import Path

from app.domain.export_kinds import KIND_INFO, ExportKind
from app.reports.audit_service import build_report
from app.services.export_guard import check_target, export_permission, record_export
from app.storage.database import Database
from app.storage.files import atomic_write
from app.storage.tabular import ExportError

__all__ = ["KINDS", "check_target", "export_kind", "export_permission", "preview_audit_pdf", "record_export",
           "save_preview", "writer_of"]

#: The kinds ``export`` writes (those with a writer), by name.
KINDS: dict[str, ExportKind] = {kind.name: kind for kind in KIND_INFO if kind.writer is not None}


def writer_of(kind: ExportKind) -> Callable[..., int]:
    """The function the kind's ``writer`` names (``module:function``), imported now."""
    module, _, name = (kind.writer or "").partition(":")
    return getattr(importlib.import_module(module), name)


def export_kind(db: Database, kind: str, out: Path, *, year: int | None, as_of: dt.date, identified: bool = False,
                preview: bool = False, rule: str | None = None) -> int:
    """Write one export; returns the number of data rows (pages for the PDF). ``preview``: a
    temporary file the window shows and deletes (audited when it is saved, not when shown)."""
    spec = KINDS.get(kind)
    if spec is None:
        raise ExportError(f"Unknown export '{kind}'.")
    identified = identified and spec.identifies
    permission = export_permission(identified)
    db.require(permission)
    check_target(db, Path(out))
    count = writer_of(spec)(db, Path(out), year, as_of, identified, rule=rule)
    if not preview:
        record_export(db, kind, Path(out), identified)
    return count


def load_pdf_writer() -> None:
    """Load the self-audit's PDF writer (reportlab, ~0.2-0.4 s) ahead of the first PDF: for a
    screen that offers one to call aside while the person chooses (``ui.reports``)."""
    import app.reports.audit_pdf  # noqa: F401


def preview_audit_pdf(db: Database, *, year: int, as_of: dt.date, identified: bool = False) -> tuple[bytes, int]:
    """The self-audit PDF in memory (its bytes and pages), for the window to show before saving:
    an identified preview never lands on the disk. Not audited: nothing left the app yet."""
    from app.reports.audit_pdf import (
        write_audit_pdf,  # reportlab (~0.2 s) when a PDF is made: not with the Reports screen
    )

    db.require(export_permission(identified))
    buffer = io.BytesIO()
    pages = write_audit_pdf(build_report(db, year=year, as_of=as_of, identified=identified), buffer)
    return buffer.getvalue(), pages


def save_preview(db: Database, data: bytes, out: Path, *, identified: bool) -> None:
    """Write a previewed self-audit to ``out`` (atomically), audited as the export it now is."""
    db.require(export_permission(identified))
    check_target(db, Path(out))
    atomic_write(Path(out), data)
    record_export(db, "audit-pdf", Path(out), identified)
