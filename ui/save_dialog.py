"""Every "Save as" dialog of the window, through one helper.

A dialog started in the working directory put exports into the program's own folder (or
wherever the shortcut started it), where nobody found them again. Here a kind of file starts in
the folder it was last saved to (remembered per kind in the data folder's settings file,
``ui.settings_file``), else in the account's Documents folder, never the working directory. A
backup starts on another drive where the operating system names one (Windows drive letters):
a copy on the database's own disk is lost with that disk.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import NamedTuple

from PySide6.QtCore import QStandardPaths, QStorageInfo
from PySide6.QtWidgets import QFileDialog, QWidget

from ui.settings_file import last_save_folder, remember_save_folder

#: The kind under which backups remember their folder.
BACKUP = "backup"


class SaveChoice(NamedTuple):
    """The file the user chose and the filter they picked ("Excel (*.xlsx)"): a name typed
    without its ending gets the filter's."""

    path: Path
    chosen_filter: str


def documents_folder() -> Path:
    """The account's Documents folder (the home folder where the system names none)."""
    name = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    folder = Path(name) if name else None
    return folder if folder is not None and folder.is_dir() else Path.home()


def other_drive(than: Path) -> Path | None:
    """A writable drive other than the one holding ``than`` (a USB stick, a network drive), on
    Windows only: elsewhere every disk hangs under "/" and a mount point is no promise of another
    disk, so None."""
    if sys.platform != "win32":
        return None
    own = QStorageInfo(str(than)).rootPath()
    for volume in QStorageInfo.mountedVolumes():
        if volume.isValid() and volume.isReady() and not volume.isReadOnly() and volume.rootPath() != own:
            return Path(volume.rootPath())
    return None


def start_folder(kind: str, *, database: Path | None = None) -> Path:
    """Where the dialog for this kind opens: the folder last used for it, else (a backup of
    ``database``) another drive, else Documents."""
    remembered = last_save_folder(kind)
    if remembered is not None:
        return remembered
    if kind == BACKUP and database is not None:
        drive = other_drive(database)
        if drive is not None:
            return drive
    return documents_folder()


def ask_save_path(parent: QWidget | None, kind: str, caption: str, file_name: str, filters: str, *,
                  database: Path | None = None) -> SaveChoice | None:
    """Ask where to save a file of ``kind`` ("workbook", "backup", an export's kind), suggesting
    ``file_name`` in ``start_folder``; None when cancelled. The chosen folder is remembered."""
    suggested = start_folder(kind, database=database) / file_name
    name, chosen_filter = QFileDialog.getSaveFileName(parent, caption, str(suggested), filters)
    if not name:
        return None
    path = Path(name)
    if path.parent.is_dir():
        remember_save_folder(kind, path.parent)
    return SaveChoice(path, chosen_filter)
