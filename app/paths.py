"""Where things live: the user's data folder and the bundled resources (frozen or not), and
keeping the app's own files private to the account (``make_private``).

The lowest layer: it imports nothing of ``app``, so ``domain`` and ``storage`` can use it."""

from __future__ import annotations

import contextlib
import os
import stat
import sys
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

from platformdirs import user_data_path

APP_NAME = "MROQC Facility Desk"
APP_AUTHOR = "MROQC"
DB_URL_ENV = "MROQC_DESK_DB_URL"
DATA_DIR_ENV = "MROQC_DESK_DATA_DIR"
PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700


def data_dir() -> Path:
    """The per-user data folder (overridable for tests and portable installs), private to the
    account (0700): other accounts cannot even list what is in it."""
    override = os.environ.get(DATA_DIR_ENV)
    path = Path(override) if override else user_data_path(APP_NAME, APP_AUTHOR)
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    make_private(path)
    return path


def make_private(path: Path) -> None:
    """Restrict an existing file (0600) or folder (0700) to its owner; others' files are left alone."""
    if os.name != "posix":
        return
    try:
        info = path.stat()
    except OSError:
        return
    if info.st_uid != os.getuid():
        return
    wanted = PRIVATE_DIR if stat.S_ISDIR(info.st_mode) else PRIVATE_FILE
    if stat.S_IMODE(info.st_mode) & 0o077:
        with contextlib.suppress(OSError):
            path.chmod(stat.S_IMODE(info.st_mode) & wanted)


def default_db_path() -> Path:
    return data_dir() / "facility.sqlite3"


SQLITE_PREFIX = "sqlite:///"


def file_url(path: str | os.PathLike[str]) -> str:
    """The SQLAlchemy URL of a SQLite file, exactly as it reads it back: it unquotes ``%XX`` in
    the path and takes a ``?`` as the start of options, so a file named ``a%20b.sqlite3`` would
    otherwise open ``a b.sqlite3`` (someone else's file) and one with ``?`` a shorter name."""
    return SQLITE_PREFIX + str(path).replace("%", "%25").replace("?", "%3F")


def sqlite_url(path: str | os.PathLike[str]) -> str:
    """``--db``'s URL: the file's absolute path (``file_url``)."""
    return file_url(Path(path).expanduser().resolve())


def written_sqlite_path(url: str) -> Path | None:
    """The file a URL of ``sqlite_url``'s own form names (``sqlite:///`` and an absolute path),
    read without SQLAlchemy, which takes some 0.2 s to import: the same path its ``make_url``
    reads from such a URL (``app.storage.database.sqlite_path``), ``%XX`` unquoted as it does.
    None for any other URL (a server's, a relative path, one with options after ``?``):
    ``sqlite_path`` reads those."""
    if not url.startswith(SQLITE_PREFIX) or "?" in url:
        return None
    path = Path(unquote(url.removeprefix(SQLITE_PREFIX)))
    return path if path.is_absolute() else None


def resolve_url(db: str | None = None, db_url: str | None = None) -> str:
    """``--db`` wins, then ``--db-url``, then ``MROQC_DESK_DB_URL``, then the default file.

    It lives here, not in ``app.storage.database``, so the window can choose its database and
    appear before SQLAlchemy (most of the start-up time) is imported.
    """
    if db:
        return sqlite_url(db)
    if db_url:
        return db_url
    env = os.environ.get(DB_URL_ENV)
    if env:
        return env
    return sqlite_url(default_db_path())


def database_name(url: str) -> str:
    """How the window names a database it is still opening (before SQLAlchemy is loaded): the file
    of a SQLite URL, otherwise the URL with its password masked, as ``Database.display_name`` does."""
    if url.startswith(SQLITE_PREFIX) and len(url) > len(SQLITE_PREFIX):
        return unquote(url.removeprefix(SQLITE_PREFIX))
    try:
        parts = urlsplit(url)
        if parts.password is None:
            return url
        host = parts.netloc.rpartition("@")[2]
        return urlunsplit(parts._replace(netloc=f"{parts.username or ''}:***@{host}"))
    except ValueError:  # not a URL we can take apart: name it without risking a password
        return url.split("://", 1)[0] + "://…"


def resources_dir() -> Path:
    """The ``resources/`` folder: inside a PyInstaller bundle, or beside the source tree."""
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        return Path(bundle) / "resources"
    return Path(__file__).resolve().parent.parent / "resources"


def resource(*parts: str) -> Path:
    return resources_dir().joinpath(*parts)
