"""Files the app writes: private to the operating-system account, and written atomically.

Every file and folder the app creates is readable by its own account only (0600 / 0700 on
POSIX): the database, its -wal/-shm and key file, backups, exports, the log. ``private_umask``
sets that once for the process, so files made by libraries (SQLite's WAL, openpyxl, reportlab)
are private too; ``make_private`` tightens a file an earlier version created. On Windows the
per-user data folder is private to the account already (see docs/security.md).

A file that must never be seen half-written (exports, the self-audit PDF, backups, the key
file) is written under a temporary name beside its target, flushed to disk and renamed into
place (``atomic_path``), as Electrum writes its wallet files. A target that cannot be written
(its name too long for the file system, its folder missing, no permission, a full disk) is
refused as ``CannotWrite``, one sentence naming the file, with nothing left behind.
"""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

# make_private lives in the lowest layer (app.paths makes the data folder private with it)
from app.paths import PRIVATE_FILE, make_private

#: Characters of the target's name kept in its temporary name (``.NAME-XXXXXXXX.tmp``): a name
#: near the file system's limit must not fail only because its temporary name is longer.
TEMP_NAME_CHARS = 40
#: Errors that are always about the file being written, wherever in the writing they arise.
WRITE_ERRNOS = {getattr(errno, name) for name in ("ENOSPC", "EDQUOT", "EFBIG", "EROFS", "ENAMETOOLONG")
                if hasattr(errno, name)}


class CannotWrite(OSError):
    """A file cannot be written where it was asked for. The message is one sentence naming the
    file and the reason, for the command line (exit 2) and the window alike; nothing was left
    behind and an existing file of that name is untouched."""


class FolderMissing(CannotWrite):
    """The folder a file was to be written in does not exist."""


def cannot_write(out: Path, exc: OSError) -> CannotWrite:
    """``exc`` (from the operating system) as the one sentence ``CannotWrite`` says."""
    reason = exc.strerror or str(exc) or type(exc).__name__
    return CannotWrite(f"cannot write {out}: {reason[:1].lower()}{reason[1:]}")


def check_output(out: Path) -> None:
    """Refuse, before any work is done, a target whose folder is missing or whose name the file
    system cannot hold (``File name too long`` would otherwise come only when the file is created,
    after the work)."""
    out = Path(out)
    try:
        folder_exists = out.parent.is_dir()
        out.exists()  # looking the name up is what says it is too long
    except OSError as exc:
        raise cannot_write(out, exc) from None
    if not folder_exists:
        raise FolderMissing(f"The folder {out.parent} does not exist.")


def private_umask() -> None:
    """Make every file and folder this process creates from now on private to its account."""
    if os.name == "posix":
        os.umask(0o077)


def open_private(path: Path, mode: str = "a+b"):  # type: ignore[no-untyped-def]
    """Open (creating it 0600 if missing) a file of the app's own — lock files, journals, notes —
    in binary ``mode`` ("a+b", "w+b"), private whatever the process's umask."""
    flags = os.O_RDWR | os.O_CREAT | (os.O_TRUNC if mode.startswith("w") else 0) | getattr(os, "O_BINARY", 0)
    fd = os.open(path, flags, PRIVATE_FILE)
    try:
        handle = os.fdopen(fd, mode)
    except BaseException:
        os.close(fd)
        raise
    make_private(Path(path))
    return handle


def fsync_folder(folder: Path) -> None:
    """Make a rename in ``folder`` durable (POSIX; a no-op where folders cannot be opened)."""
    if os.name != "posix":
        return
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@contextmanager
def atomic_path(out: Path, suffix: str = "") -> Iterator[Path]:
    """A private temporary path beside ``out``; when the block succeeds the file is synced to disk
    and renamed over ``out``. On failure nothing is left behind and ``out`` is untouched."""
    out = Path(out)
    check_output(out)
    try:
        fd, name = tempfile.mkstemp(prefix=f".{out.name[:TEMP_NAME_CHARS]}-", suffix=suffix or ".tmp", dir=out.parent)
    except OSError as exc:
        raise cannot_write(out, exc) from None
    os.close(fd)
    tmp = Path(name)
    try:
        try:
            yield tmp
        except CannotWrite:
            raise
        except OSError as exc:  # a full disk while the file was written, rather than some other file's error
            if exc.errno in WRITE_ERRNOS or exc.filename in (name, tmp):
                raise cannot_write(out, exc) from None
            raise
        try:
            with open(tmp, "rb+") as handle:
                os.fsync(handle.fileno())
            os.replace(tmp, out)
        except OSError as exc:  # e.g. ``out`` is a folder, or read-only
            raise cannot_write(out, exc) from None
        fsync_folder(out.parent)
    finally:
        tmp.unlink(missing_ok=True)


def atomic_write(out: Path, data: bytes) -> None:
    with atomic_path(out) as tmp:
        tmp.write_bytes(data)


SHRED_CHUNK = 1 << 20


def shred(path: Path, handle=None) -> None:  # type: ignore[no-untyped-def]
    """Overwrite a file's bytes with zeros, sync, and remove it (through ``handle`` if the name now
    points at another file). Best effort: copy-on-write or wear-levelled storage may keep old
    blocks (docs/security.md recommends full-disk encryption as well)."""
    own = handle is None
    if own:
        try:
            handle = open(path, "r+b")  # noqa: SIM115 (closed below)
        except OSError:
            return
    try:
        size = os.fstat(handle.fileno()).st_size
        handle.seek(0)
        zeros = bytes(SHRED_CHUNK)
        for start in range(0, size, SHRED_CHUNK):
            handle.write(zeros[: min(SHRED_CHUNK, size - start)])
        handle.flush()
        os.fsync(handle.fileno())
    finally:
        handle.close()
    if own:
        path.unlink(missing_ok=True)
