"""The window's settings (the remembered shared database, the last user name, the window's place,
the last folder) live in ``settings.ini`` in the data folder (``app.paths.data_dir``), not in the
operating-system account's Qt settings.

So ``MROQC_DESK_DATA_DIR`` (a portable install, a second facility, a test) isolates them as it
isolates the database: a data folder never opens another one's shared database. The file is
private to the account like everything in that folder, and never holds a password (the remembered
address is stored without one, ``ui.moving.remember_shared_url``).

Earlier versions kept them in the account's Qt settings (the registry on Windows,
``~/.config/MROQC/MROQC Facility Desk.conf`` on Linux). ``move_old_settings`` brings them into the
default data folder once and removes them there; a data folder chosen with ``MROQC_DESK_DATA_DIR``
starts empty rather than taking the account's.
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QSettings

from app.paths import APP_AUTHOR, APP_NAME, DATA_DIR_ENV, data_dir
from app.storage.files import make_private

FILE_NAME = "settings.ini"
#: The shared database this workstation opens when no --db/--db-url/MROQC_DESK_DB_URL says otherwise.
SHARED_URL_KEY = "database/shared_url"
#: Set once the account's old settings were moved here (or found empty): never moved twice.
MOVED_KEY = "settings/moved_from_account"
#: The folder a kind of file was last saved in (``save_folders/<kind>``): each kind starts where it went last.
SAVE_FOLDERS_GROUP = "save_folders"


def settings_path() -> Path:
    return data_dir() / FILE_NAME


def settings() -> QSettings:
    """The data folder's settings file (read and written through Qt's INI format)."""
    keep_private()
    return QSettings(str(settings_path()), QSettings.Format.IniFormat)


def remembered_shared_url() -> str | None:
    """The shared database this data folder opens (read before SQLAlchemy is loaded)."""
    value = settings().value(SHARED_URL_KEY)
    return str(value) if value else None


def remember_shared_url(url: str) -> None:
    """Only the address: a password typed into the URL is never written to the settings file."""
    from app.services.moving import address_without_password

    store = settings()
    store.setValue(SHARED_URL_KEY, address_without_password(url))
    store.sync()
    keep_private()


def _folder_key(kind: str) -> str:
    """One settings key per kind of file ("workbook", "backup", a report's kind)."""
    return f"{SAVE_FOLDERS_GROUP}/{kind.replace('/', '-') or 'other'}"


def last_save_folder(kind: str) -> Path | None:
    """The folder this kind of file was last saved in, while it still exists."""
    value = settings().value(_folder_key(kind))
    folder = Path(str(value)) if value else None
    return folder if folder is not None and folder.is_dir() else None


def remember_save_folder(kind: str, folder: Path) -> None:
    """Remember where this kind of file went: the next save dialog of the kind starts there."""
    store = settings()
    store.setValue(_folder_key(kind), str(folder))
    store.sync()
    keep_private()


def account_settings() -> QSettings:
    """Where earlier versions kept the settings: the operating-system account's, native format."""
    return QSettings(QSettings.Format.NativeFormat, QSettings.Scope.UserScope, APP_AUTHOR, APP_NAME)


def move_old_settings(old: QSettings | None = None, new: QSettings | None = None) -> list[str]:
    """Move what an earlier version kept in the account's settings into the data folder's file,
    once; returns the keys moved. Only the default data folder takes them (the account's settings
    were that folder's); keys already set in the file win."""
    new = new if new is not None else settings()
    if new.value(MOVED_KEY) is not None:
        return []
    if old is None:
        if os.environ.get(DATA_DIR_ENV):
            return []  # a chosen data folder starts on its own
        old = account_settings()
    moved = []
    for key in old.allKeys():
        if new.value(key) is None:
            new.setValue(key, old.value(key))
            moved.append(key)
    new.setValue(MOVED_KEY, True)
    new.sync()
    if new.status() == QSettings.Status.NoError:
        old.clear()  # moved, not copied: nothing of the app stays in the account's settings
        old.sync()
    keep_private()
    return moved


def keep_private() -> None:
    """The file readable by this account only (umask 077 does it for a new file; this for an old one)."""
    path = settings_path()
    if path.exists():
        make_private(path)
