"""Multi-step file operations that a kill at any moment cannot leave half done.

A restore, a backup, the encryption of an earlier version's file and the building of a new
database each take several steps on files (extract, check, set the old file aside, put the new
one in place, remove temporaries). Each keeps a *journal* beside the database,
``.NAME.journal-OP-….json``, locked by the process doing the work for as long as it runs:

1. ``begin`` names every temporary the operation is about to create (stage *preparing*);
2. the operation builds its result there, never touching the database's own files;
3. ``commit`` records the renames that put the result in place, each with the identity (device
   and inode) of the file to move, and only then starts them (stage *committed*);
4. the renames run in order, files to shred are overwritten and removed, temporaries removed,
   and the journal deleted.

Whoever opens the database next (``settle``, run by ``app.storage.locks`` before anything reads
the file) finds the journal of a process that is gone (its lock is free): *preparing* is rolled
back (the temporaries removed; the database was never touched), *committed* is rolled forward
(every rename whose file is still where it was is done, by identity, so a rename done before the
kill is never done twice). So the database is either as it was or as the operation left it,
never without its key file, and no copy holding data is ever deleted to make room: the renames
never overwrite a file unless told to (a backup file of the same name, a stale key file).

``crash_point(step)`` kills the process (as ``kill -9``) at a named step when the test-only
environment variable ``MROQC_DESK_FAULT`` names it: the crash test walks every step of every
operation that way (``tests/fuzz/test_crash_files.py``).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import signal
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import portalocker

from app.storage.builds import remove_abandoned_builds
from app.storage.errors import DatabaseError
from app.storage.files import fsync_folder, open_private, shred
from app.storage.journal_names import journal_prefix as _journal_prefix
from app.storage.journal_names import journals

log = logging.getLogger(__name__)

FORMAT = "MROQC Facility Desk journal"
FAULT_ENV = "MROQC_DESK_FAULT"
#: Operations that replace the database file itself: settled only by a process holding it alone.
REPLACING = frozenset({"restore", "encryption"})


def crash_point(step: str) -> None:
    """Die here, as ``kill -9`` would, when the crash test asks for ``step`` (``MROQC_DESK_FAULT``)."""
    if os.environ.get(FAULT_ENV) == step:
        if hasattr(signal, "SIGKILL"):
            os.kill(os.getpid(), signal.SIGKILL)
        os._exit(137)  # pragma: no cover - Windows


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        info = os.stat(path)
    except OSError:
        return None
    return info.st_dev, info.st_ino


@dataclass
class Move:
    """Rename ``source`` to ``target`` if ``source`` is still the file it was at commit time."""

    source: Path
    target: Path
    identity: tuple[int, int]
    replace: bool = False  # may overwrite an existing ``target`` (a backup file of that name)

    def to_json(self) -> dict:
        return {"from": str(self.source), "to": str(self.target), "identity": list(self.identity),
                "replace": self.replace}

    @classmethod
    def from_json(cls, data: dict) -> Move:
        dev, ino = data["identity"]
        return cls(Path(data["from"]), Path(data["to"]), (int(dev), int(ino)), bool(data.get("replace")))


class Journal:
    """One operation's journal; see the module docstring."""

    def __init__(self, db_path: Path, op: str, path: Path, *, temporaries: Sequence[Path] = (),
                 moves: Sequence[Move] = (), shreds: Sequence[Path] = (), stage: str = "preparing") -> None:
        self.db_path = db_path
        self.op = op
        self.path = path
        self.temporaries = list(temporaries)
        self.moves = list(moves)
        self.shreds = list(shreds)
        self.stage = stage
        self._handle: IO[bytes] | None = None

    # ---- the file -------------------------------------------------------------------------
    def to_json(self) -> dict:
        return {"format": FORMAT, "op": self.op, "database": str(self.db_path), "pid": os.getpid(),
                "stage": self.stage, "temporaries": [str(p) for p in self.temporaries],
                "moves": [m.to_json() for m in self.moves], "shred": [str(p) for p in self.shreds]}

    @classmethod
    def from_json(cls, path: Path, data: dict) -> Journal:
        if data.get("format") != FORMAT:
            raise ValueError("not a journal")
        return cls(Path(data["database"]), str(data["op"]), path,
                   temporaries=[Path(p) for p in data.get("temporaries", [])],
                   moves=[Move.from_json(m) for m in data.get("moves", [])],
                   shreds=[Path(p) for p in data.get("shred", [])], stage=str(data.get("stage")))

    def _write(self) -> None:
        """Write the journal whole under a temporary name, lock it, sync, rename it into place: a
        kill leaves the previous version or this one, never half of one, and never unlocked."""
        tmp = self.path.with_name(f"{self.path.name}.{os.urandom(4).hex()}.tmp")
        handle = open_private(tmp, "w+b")
        try:
            portalocker.lock(handle, portalocker.LockFlags.EXCLUSIVE | portalocker.LockFlags.NON_BLOCKING)
            handle.write(json.dumps(self.to_json(), indent=1).encode())
            handle.flush()
            os.fsync(handle.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            handle.close()
            tmp.unlink(missing_ok=True)
            raise
        fsync_folder(self.path.parent)
        old, self._handle = self._handle, handle
        if old is not None:
            old.close()

    def _close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None

    # ---- the stages -------------------------------------------------------------------------
    @classmethod
    def begin(cls, db_path: Path, op: str, temporaries: Sequence[Path] = ()) -> Journal:
        """Start ``op`` on ``db_path``: ``temporaries`` are what it will create (removed if it stops)."""
        db_path = Path(db_path)
        path = db_path.with_name(f"{_journal_prefix(db_path)}{op}-{os.getpid()}-{os.urandom(4).hex()}.json")
        journal = cls(db_path, op, path, temporaries=temporaries)
        try:
            journal._write()
        except OSError as exc:
            raise DatabaseError(f"Cannot write in {db_path.parent} ({exc.strerror or exc}); nothing was changed.") from None
        crash_point(f"{op}:begun")
        return journal

    def add_temporaries(self, *paths: Path) -> None:
        self.temporaries.extend(paths)
        self._write()

    def commit(self, renames: Sequence[tuple[Path, Path] | tuple[Path, Path, bool]], shreds: Sequence[Path] = ()) -> None:
        """From here on the operation is done, whatever happens: record the renames (of files that
        exist now; a missing one has nothing to move) and the files to shred, then carry them out."""
        moves = []
        for rename in renames:
            source, target = Path(rename[0]), Path(rename[1])
            identity = _identity(source)
            if identity is not None:
                moves.append(Move(source, target, identity, bool(rename[2]) if len(rename) > 2 else False))
        self.moves, self.shreds, self.stage = moves, list(shreds), "committed"
        self._write()
        crash_point(f"{self.op}:committed")
        self.roll_forward()

    def roll_forward(self) -> None:
        """Every rename whose file is still where it was; then shred; then the temporaries."""
        folders = set()
        for number, move in enumerate(self.moves, 1):
            if _identity(move.source) == move.identity:
                if not move.replace and move.target.exists() and _identity(move.target) != move.identity:
                    raise DatabaseError(f"{move.target.name} exists already, so {move.source.name} cannot take its "
                                        f"place; move {move.target.name} elsewhere and open the database again.")
                os.replace(move.source, move.target)
                folders.add(move.target.parent)
            crash_point(f"{self.op}:move-{number}")
        for folder in folders:
            fsync_folder(folder)
        for number, path in enumerate(self.shreds, 1):
            shred(path)
            crash_point(f"{self.op}:shred-{number}")
        self.roll_back()

    def roll_back(self) -> None:
        """Remove the temporaries (only hidden names this app gives its temporaries, never a
        database or a backup)."""
        for path in self.temporaries:
            if not path.name.startswith("."):
                continue
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path, ignore_errors=True)
            else:
                with contextlib.suppress(OSError):
                    path.unlink()

    def finish(self) -> None:
        """The operation is settled: the journal goes."""
        with contextlib.suppress(OSError):
            self.path.unlink()
        fsync_folder(self.path.parent)
        self._close()


@contextmanager
def operation(db_path: Path, op: str, temporaries: Sequence[Path] = ()) -> Iterator[Journal]:
    """Run ``op`` under a journal: stopped before ``commit`` → rolled back; failing after it → the
    journal stays (the next open finishes it); succeeded → temporaries removed, journal deleted."""
    journal = Journal.begin(db_path, op, temporaries)
    try:
        yield journal
        if journal.stage == "preparing":
            journal.roll_back()
    except BaseException:
        if journal.stage == "preparing":
            journal.roll_back()
            journal.finish()
        else:
            journal._close()  # left for ``settle``: the renames were recorded and must be finished
        raise
    journal.finish()


#: Temporaries earlier versions left when killed, before operations had journals; removed by a
#: process holding the database alone once they are this old (no earlier version still at work).
LEGACY_AGE_SECONDS = 3600.0


def _remove_legacy_leftovers(db_path: Path) -> None:
    """What a killed restore, backup or encryption of an earlier version left beside the database:
    ``.restore-*`` / ``.backup-*`` folders holding a database and its keys, and hidden
    ``.NAME.encrypting-*`` files. Only ones an hour old or more, and only when no journal names them."""
    named = {str(p) for j in journals(db_path) for p in _named_in(j)}
    cutoff = time.time() - LEGACY_AGE_SECONDS
    candidates = [*(p for pattern in (".restore-*", ".backup-*") for p in db_path.parent.glob(pattern)
                    if p.is_dir() and (p / "facility.sqlite3").exists()),
                  *db_path.parent.glob(f".{db_path.name}.encrypting-*")]
    for path in candidates:
        try:
            if str(path) in named or path.stat().st_mtime > cutoff:
                continue
        except OSError:
            continue
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                path.unlink()
        log.info("removed %s, left by an earlier version's interrupted operation", path.name)


def _named_in(journal_path: Path) -> list[Path]:
    try:
        data = json.loads(journal_path.read_text(encoding="utf-8"))
        return [Path(p) for p in data.get("temporaries", [])]
    except (OSError, ValueError, AttributeError):
        return []


def settle(db_path: Path, *, exclusive: bool) -> list[str]:
    """Finish or roll back what killed operations on ``db_path`` left; returns their names.
    ``exclusive``: this process holds the database alone, so operations that replace the file
    (restore, encryption) may be settled too; otherwise only the others (a backup's temporaries)."""
    db_path = Path(db_path)
    settled = []
    for path in journals(db_path):
        try:
            handle = open(path, "rb")  # noqa: SIM115
        except OSError:
            continue
        try:
            try:
                portalocker.lock(handle, portalocker.LockFlags.EXCLUSIVE | portalocker.LockFlags.NON_BLOCKING)
            except (portalocker.AlreadyLocked, portalocker.LockException):
                continue  # its process is still at work
            if _identity(path) != (os.fstat(handle.fileno()).st_dev, os.fstat(handle.fileno()).st_ino):
                continue  # rewritten or finished meanwhile
            try:
                journal = Journal.from_json(path, json.loads(handle.read()))
            except (ValueError, KeyError, TypeError):
                log.warning("a damaged journal %s was left alone", path.name)
                continue
            if journal.op in REPLACING and not exclusive:
                continue
            if journal.stage == "committed":
                journal.roll_forward()
            else:
                journal.roll_back()
            journal.finish()
            settled.append(journal.op)
            log.info("settled an interrupted %s of %s", journal.op, db_path.name)
        finally:
            handle.close()
    remove_abandoned_builds(db_path)
    if exclusive:
        _remove_legacy_leftovers(db_path)
    for tmp in db_path.parent.glob(f"{_journal_prefix(db_path)}*.tmp"):  # a journal killed while written
        with open(tmp, "rb") as handle:
            try:
                portalocker.lock(handle, portalocker.LockFlags.EXCLUSIVE | portalocker.LockFlags.NON_BLOCKING)
            except (portalocker.AlreadyLocked, portalocker.LockException):
                continue
            tmp.unlink(missing_ok=True)
    return settled
