"""Building a new database under a temporary name, so an interrupted ``init``, ``demo`` or
``import`` never leaves a half-built file under the real name.

The build is a hidden ``.NAME.building-PID-…`` file (and its key file) beside the target; it gets
the real name by a hard link made only if the name is free (``publish``), then its key file is
renamed into place. ``finish_interrupted_build`` completes a build killed between those two
renames; ``remove_abandoned_builds`` removes what a builder that is gone left behind. Both run
whenever the database is opened (``app.storage.journal.settle``).
"""

from __future__ import annotations

import os
from pathlib import Path

from app.storage.errors import DatabaseError
from app.storage.key_slots import SUFFIX, key_file_for


def building_name(path: Path) -> Path:
    """The hidden name a new database is built under (it carries the builder's process ID)."""
    return path.with_name(f".{path.name}.building-{os.getpid()}-{os.urandom(4).hex()}")


def publish(building: Path, path: Path) -> None:
    """Give the finished database its name, unless something took the name meanwhile (another
    ``init`` racing for it): a hard link is made only if the name is free, atomically."""
    try:
        os.link(building, path)
    except FileExistsError:
        raise DatabaseError(f"{path} appeared while the database was being built; choose a new file name.") from None
    except OSError:  # a file system without hard links: the check and the rename are close enough
        if path.exists():
            raise DatabaseError(f"{path} appeared while the database was being built; choose a new file name.") from None
        os.replace(building, path)


def finish_interrupted_build(path: Path) -> bool:
    """A build killed between giving the database its name and its key file theirs: the name and
    the build are one file (a hard link), and the build's key file is beside it. Put that key file
    in place; returns whether it did."""
    keys = key_file_for(path)
    if not path.exists() or keys.exists():
        return False
    for candidate in path.parent.glob(f".{path.name}.building-*{SUFFIX}"):
        built = candidate.with_name(candidate.name[: -len(SUFFIX)])
        try:
            same = built.exists() and os.path.samefile(built, path)
        except OSError:
            same = False
        if same:
            os.replace(candidate, keys)
            built.unlink(missing_ok=True)
            return True
    return False


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # someone else's, or a platform without signals: leave it
    return True


def remove_abandoned_builds(path: Path) -> list[Path]:
    """Remove what an interrupted ``init``/``demo``/``import`` (killed, power cut) left while
    building a new database beside ``path``: its temporary files carry the builder's process ID,
    and one whose process is gone is of no use to anyone (its key was never saved)."""
    finish_interrupted_build(path)
    removed = []
    for leftover in path.parent.glob(f".{path.name}.building-*"):
        try:
            pid = int(leftover.name.split(".building-", 1)[1].split("-", 1)[0])
        except (IndexError, ValueError):
            continue
        if not _process_alive(pid):
            leftover.unlink(missing_ok=True)
            removed.append(leftover)
    return removed
