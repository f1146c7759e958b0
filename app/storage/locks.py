"""Who has a database file open, and keeping the file from being replaced while they do.

Every process that opens a SQLite database holds a *shared* lock on ``NAME.lock`` beside it for
as long as the database is open (``hold_open``), and leaves a small note saying who it is (user,
window or command, computer, process, since when) in a hidden ``.NAME.open-…`` file, itself
locked while the holder lives. Replacing the file — a restore, the encryption of an earlier
version's file — takes the lock *exclusively* (``exclusive``), so it is refused while anyone has
the database open, naming them, and nobody opens it while the replacing is under way.

The locks are the operating system's (``flock`` on POSIX, ``LockFileEx`` on Windows, through
``portalocker``): a killed process releases them, so a crash never leaves the database locked.
A note whose lock is free belongs to a process that is gone and is removed by whoever reads it.
Lock files themselves are never removed (removing a lock file others may hold is the classic race).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import socket
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import portalocker

from app.storage.errors import DatabaseError
from app.storage.files import fsync_folder, open_private
from app.storage.journal import settle

LOCK_SUFFIX = ".lock"
APPLICATION = "MROQC Facility Desk"
#: How long an opener waits for a restore or an encryption that holds the file to finish.
OPEN_WAIT_SECONDS = 15.0
_POLL = 0.05

#: What this process is, for the notes (``set_program``): "the window", "the command line (check)".
_program = "MROQC Facility Desk"


def set_program(what: str) -> None:
    """Name this process in the notes others read ("the window", "the command line (backup)")."""
    global _program
    _program = what


def workstation_label() -> str:
    """How this process names itself to a database server (PostgreSQL's ``application_name``, at
    most 63 bytes): "MROQC Facility Desk (the window) on WS-12"."""
    return f"{APPLICATION} ({_program}) on {socket.gethostname()}"[:63]


def lock_file_for(db_path: Path) -> Path:
    """``facility.sqlite3`` → ``facility.sqlite3.lock``."""
    return db_path.with_name(db_path.name + LOCK_SUFFIX)


def _note_prefix(db_path: Path) -> str:
    return f".{db_path.name}.open-"


@dataclass(frozen=True)
class Holder:
    """One process that has the database open (or is replacing it)."""

    user: str | None
    program: str
    host: str
    pid: int
    since: dt.datetime  # UTC
    replacing: str | None = None  # "restore", "encryption": holds it exclusively

    def words(self) -> str:
        """"dana in the window on WS-12 (process 4242, since 10:42)" — in the local zone."""
        local = self.since.replace(tzinfo=dt.UTC).astimezone()
        who = self.user or "someone not yet signed in"
        doing = f"{self.replacing} by {who}" if self.replacing else f"{who} in {self.program}"
        return f"{doing} on {self.host} (process {self.pid}, since {local:%H:%M} on {local:%Y-%m-%d})"


class DatabaseInUse(DatabaseError):
    """The database is open elsewhere (``holders`` says by whom), so it cannot be replaced now; or
    it is being replaced, so it cannot be opened now."""

    def __init__(self, message: str, holders: tuple[Holder, ...] = ()) -> None:
        super().__init__(message)
        self.holders = holders


def _try_lock(handle: IO[bytes], flags: portalocker.LockFlags) -> bool:
    try:
        portalocker.lock(handle, flags | portalocker.LockFlags.NON_BLOCKING)
        return True
    except (portalocker.AlreadyLocked, portalocker.LockException):
        return False


def _open_lock_file(path: Path) -> IO[bytes]:
    try:
        return open_private(path, "a+b")
    except OSError as exc:
        raise DatabaseError(f"Cannot lock {path.name} ({exc.strerror or exc}); check the folder's permissions.") from None


def holders(db_path: Path) -> list[Holder]:
    """Every process with ``db_path`` open now; notes of processes that are gone are removed."""
    found = []
    for note in sorted(db_path.parent.glob(_note_prefix(db_path) + "*")):
        try:
            with open(note, "rb") as handle:
                if _try_lock(handle, portalocker.LockFlags.EXCLUSIVE):  # its holder is gone
                    with contextlib.suppress(OSError):
                        note.unlink()
                    continue
                data = json.loads(handle.read(4096) or b"{}")
            found.append(Holder(user=data.get("user"), program=str(data.get("program", "?")),
                                host=str(data.get("host", "?")), pid=int(data.get("pid", 0)),
                                since=dt.datetime.fromisoformat(data["since"]), replacing=data.get("replacing")))
        except (OSError, ValueError, KeyError, TypeError):
            continue  # vanished or half-written meanwhile: its holder is closing or starting
    return found


def _in_use(db_path: Path, what: str, others: list[Holder]) -> DatabaseInUse:
    if others:
        names = "; ".join(h.words() for h in others)
        return DatabaseInUse(f"{db_path.name} is open elsewhere, so it cannot be {what} now: {names}. "
                             "Close it there first, then try again.", tuple(others))
    return DatabaseInUse(f"{db_path.name} is open in another program, so it cannot be {what} now; "
                         "close it there first, then try again.")


def _let_go(note: Path | None, handles: list[IO[bytes] | None]) -> None:
    """Remove the note, then unlock and close (closing alone releases an OS lock, too)."""
    if note is not None:
        with contextlib.suppress(OSError):
            note.unlink()
    for handle in handles:
        if handle is not None and not handle.closed:
            with contextlib.suppress(OSError, portalocker.LockException):
                portalocker.unlock(handle)
            handle.close()


class OpenLock:
    """This process's hold on one database file; ``release()`` (or ``Database.dispose``) lets go —
    and so do the garbage collector and the end of the process (``weakref.finalize``), so a
    command that never disposes its database leaves no note behind."""

    def __init__(self, db_path: Path, handle: IO[bytes], note: Path | None, note_handle: IO[bytes] | None,
                 info: dict) -> None:
        self.db_path = db_path
        self._handle: IO[bytes] | None = handle
        self._note_handle = note_handle
        self._info = info
        self._finalizer = weakref.finalize(self, _let_go, note, [note_handle, handle])

    @property
    def held(self) -> bool:
        return self._finalizer.alive

    def set_user(self, name: str | None) -> None:
        """Who is signed in now (after the sign-in, or when another user takes over the window)."""
        self._info["user"] = name
        if self._note_handle is None or not self.held:
            return
        with contextlib.suppress(OSError, ValueError):
            self._note_handle.seek(0)
            self._note_handle.truncate()
            self._note_handle.write(json.dumps(self._info).encode())
            self._note_handle.flush()

    def release(self) -> None:
        self._finalizer()

    def __enter__(self) -> OpenLock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def _leave_note(db_path: Path, info: dict) -> tuple[Path | None, IO[bytes] | None]:
    """Write who we are under a temporary name, lock it, then give it its note name: a reader never
    sees a note that is not yet locked (and would take it for a dead holder's)."""
    tmp = db_path.with_name(_opening_prefix(db_path) + f"{os.getpid()}-{os.urandom(4).hex()}")
    try:
        handle = open_private(tmp, "w+b")
    except OSError:
        return None, None  # a read-only folder: the lock still works, only the note is missing
    portalocker.lock(handle, portalocker.LockFlags.EXCLUSIVE)
    handle.write(json.dumps(info).encode())
    handle.flush()
    note = db_path.with_name(_note_prefix(db_path) + f"{os.getpid()}-{os.urandom(4).hex()}")
    try:
        os.replace(tmp, note)  # Windows cannot rename an open file: there the note keeps its first name
    except OSError:
        return tmp, handle
    return note, handle


def _opening_prefix(db_path: Path) -> str:
    return f".{db_path.name}.opening-"


def _remove_unfinished_notes(db_path: Path) -> None:
    """Notes a process killed while writing them left under their first name: called only while
    this process holds the lock file exclusively — and a process writes its note only after it got
    its (shared) hold on that lock file — so every such file is a dead process's."""
    for left in db_path.parent.glob(_opening_prefix(db_path) + "*"):
        with contextlib.suppress(OSError):
            left.unlink()


def _info(user: str | None, replacing: str | None = None) -> dict:
    return {"user": user, "program": _program, "host": socket.gethostname(), "pid": os.getpid(),
            "since": dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0).isoformat(),
            "replacing": replacing}


def _settle(db_path: Path, *, exclusive: bool) -> None:
    """What killed operations on ``db_path`` left (``app.storage.journal.settle``), and the notes of
    holders that are gone (reading them removes those)."""
    settle(db_path, exclusive=exclusive)
    holders(db_path)


def hold_open(db_path: Path, user: str | None = None, *, wait: float = OPEN_WAIT_SECONDS) -> OpenLock:
    """Hold ``db_path`` open (shared). Whatever a killed restore, backup or encryption left is settled
    first (``app.storage.journal.settle``) — by whoever opens the file next, before anything reads it.
    Waits up to ``wait`` seconds for a restore or an encryption under way, then raises ``DatabaseInUse``."""
    db_path = Path(db_path)
    handle = _open_lock_file(lock_file_for(db_path))
    try:
        if _try_lock(handle, portalocker.LockFlags.EXCLUSIVE):  # nobody has it open: a full settling
            _settle(db_path, exclusive=True)
            _remove_unfinished_notes(db_path)
            portalocker.lock(handle, portalocker.LockFlags.SHARED)  # flock converts the lock in place
        else:
            deadline = time.monotonic() + wait
            while not _try_lock(handle, portalocker.LockFlags.SHARED):
                if time.monotonic() > deadline:
                    busy = [h for h in holders(db_path) if h.replacing]
                    words = "; ".join(h.words() for h in busy) or "another program"
                    raise DatabaseInUse(f"{db_path.name} is being replaced right now ({words}); "
                                        "try again when that is done.", tuple(busy))
                time.sleep(_POLL)
            _settle(db_path, exclusive=False)
        info = _info(user)
        note, note_handle = _leave_note(db_path, info)
    except BaseException:
        handle.close()
        raise
    return OpenLock(db_path, handle, note, note_handle, info)


@contextmanager
def exclusive(db_path: Path, what: str, *, user: str | None = None, doing: str = "replaced") -> Iterator[None]:
    """Hold ``db_path`` alone while it is replaced (``what``: "restore", "encryption"); refuses with
    ``DatabaseInUse`` naming whoever has it open. Settles what a killed operation left first."""
    db_path = Path(db_path)
    if not db_path.parent.is_dir():
        raise DatabaseError(f"The folder {db_path.parent} does not exist.")
    handle = _open_lock_file(lock_file_for(db_path))
    note = note_handle = None
    try:
        if not _try_lock(handle, portalocker.LockFlags.EXCLUSIVE):
            raise _in_use(db_path, doing, holders(db_path))
        _settle(db_path, exclusive=True)
        note, note_handle = _leave_note(db_path, _info(user, replacing=what))
        yield
    finally:
        _let_go(note, [note_handle, handle])
        fsync_folder(db_path.parent)
