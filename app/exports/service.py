"""Every export kind, in one registry used by the CLI, the Reports screen and Settings → Data.

An export needs the role that may export (identified: a coordinator or administrator) and is
recorded in the audit log under the signed-in user: which kind, identified or not, which file.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from app.exports.kinds import KIND_INFO, KindInfo
from app.exports.sheets import SHEET_KINDS, export_sheets
from app.exports.tabular import ExportError, write_table
from app.security.roles import Permission
from app.storage import audit
from app.storage.database import Database, is_database_file


@dataclass(frozen=True)
class ExportKind:
    """A kind (``app.exports.kinds``) and the function that writes it."""

    info: KindInfo
    #: (db, out, year, as_of, identified, **options): options a kind takes (``rule`` for finding-cases)
    write: Callable[..., int]


def _sheets(kind: str) -> Callable[..., int]:
    """A spreadsheet kind's writer: the sheets ``app.exports.sheets`` builds (the preview shows the same)."""
    def write(db: Database, out: Path, year: int | None, as_of: dt.date, identified: bool,
              rule: str | None = None, **_options: object) -> int:
        return write_table(out, export_sheets(db, kind, year=year, as_of=as_of, identified=identified, rule=rule))

    return write


def _workbook(db: Database, out: Path, year: int | None, as_of: dt.date, identified: bool, **_options: object) -> int:
    from app.workbook.exporter import export_workbook

    return export_workbook(db, out, identified=identified)


def _audit_pdf(db: Database, out: Path, year: int | None, as_of: dt.date, identified: bool, **_options: object) -> int:
    from app.reports.audit_service import export_audit_pdf

    return export_audit_pdf(db, out, year=year or as_of.year, as_of=as_of, identified=identified)


def _facility_certificate(db: Database, out: Path, year: int | None, as_of: dt.date, identified: bool,
                          **_options: object) -> int:
    """The facility certificate(s) as PEM: what ``verify-pdf --trust`` checks a signed self-audit
    against (the one the signed-in person trusts first; earlier ones after it). Holds no secret."""
    from app.security import pki
    from app.security.people import authorities
    from app.storage.files import atomic_write

    with db.reader() as session:
        found = authorities(session)
    mine = getattr(db.person, "trusted", None)
    if mine is not None:
        found = [mine, *(c for c in found if c != mine)]
    if not found:
        raise ExportError("This database has no facility certificate yet: an administrator's sign-in makes it.")
    from app.services.facility import get_facility

    facility = get_facility(db)
    label = f"Facility: {facility.name}\n" if facility is not None else ""  # the reader's label, outside the certificate
    atomic_write(out, (label + "".join(pki.pem(c) for c in found)).encode("utf-8"))
    return len(found)


def _calendar(db: Database, out: Path, year: int | None, as_of: dt.date, identified: bool, **_options: object) -> int:
    from app.exports.calendar import write_calendar
    from app.storage.audit import now

    return write_calendar(db, out, as_of, now().replace(tzinfo=dt.UTC))


_WRITERS: dict[str, Callable[..., int]] = {
    **{kind: _sheets(kind) for kind in SHEET_KINDS if kind != "workbook"},
    "workbook": _workbook,  # also a .zip or a folder of CSV files
    "calendar": _calendar,
    "facility-certificate": _facility_certificate,
    "audit-pdf": _audit_pdf,
}
KINDS: dict[str, ExportKind] = {info.name: ExportKind(info, _WRITERS[info.name]) for info in KIND_INFO}
assert set(_WRITERS) == set(KINDS), "every export kind needs its writer"


def export_permission(identified: bool) -> Permission:
    return Permission.EXPORT_IDENTIFIED if identified else Permission.EXPORT


def export_kind(db: Database, kind: str, out: Path, *, year: int | None, as_of: dt.date, identified: bool = False,
                preview: bool = False, rule: str | None = None) -> int:
    """Write one export; returns the number of data rows (pages for the PDF). ``preview``: a
    temporary file the window shows and deletes (audited when it is saved, not when shown)."""
    spec = KINDS.get(kind)
    if spec is None:
        raise ExportError(f"Unknown export '{kind}'.")
    identified = identified and spec.info.identifies
    permission = export_permission(identified)
    db.require(permission)
    check_target(db, Path(out))
    count = spec.write(db, Path(out), year, as_of, identified, rule=rule)
    if not preview:
        record_export(db, kind, Path(out), identified)
    return count


def check_target(db: Database, out: Path) -> None:
    """Refuse to write an export over the open database or one of its own files (its key file, its
    ``-wal``: SQLite would delete that one when it closes, and the export with it)."""
    if db.path is not None and is_database_file(db.path, out):
        raise ExportError(f"Choose another file for the export: {out.name} is one of the database's own files "
                          f"(every name beginning with {db.path.name} beside it is).")


def record_export(db: Database, kind: str, out: Path, identified: bool) -> None:
    """The audit entry of an export written (or a preview saved) by the signed-in user."""
    with db.transaction(export_permission(identified)) as session:
        audit.note(session, f"exported {kind} ({'identified' if identified else 'de-identified'}) to {out.name}",
                   table="exports", key=kind)


def preview_audit_pdf(db: Database, *, year: int, as_of: dt.date, identified: bool = False) -> tuple[bytes, int]:
    """The self-audit PDF in memory (its bytes and pages), for the window to show before saving:
    an identified preview never lands on the disk. Not audited: nothing left the app yet."""
    import io

    from app.reports.audit_pdf import write_audit_pdf
    from app.reports.audit_service import build_report

    db.require(export_permission(identified))
    buffer = io.BytesIO()
    pages = write_audit_pdf(build_report(db, year=year, as_of=as_of, identified=identified), buffer)
    return buffer.getvalue(), pages


def save_preview(db: Database, data: bytes, out: Path, *, identified: bool) -> None:
    """Write a previewed self-audit to ``out`` (atomically), audited as the export it now is."""
    from app.storage.files import atomic_write

    db.require(export_permission(identified))
    check_target(db, Path(out))
    atomic_write(Path(out), data)
    record_export(db, "audit-pdf", Path(out), identified)
