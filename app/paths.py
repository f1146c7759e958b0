"""Where things live: the user's data folder and the bundled resources (frozen or not)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from platformdirs import user_data_path

APP_NAME = "MROQC Facility Desk"
APP_AUTHOR = "MROQC"
DB_URL_ENV = "MROQC_DESK_DB_URL"
DATA_DIR_ENV = "MROQC_DESK_DATA_DIR"


def data_dir() -> Path:
    """The per-user data folder (overridable for tests and portable installs)."""
    override = os.environ.get(DATA_DIR_ENV)
    path = Path(override) if override else user_data_path(APP_NAME, APP_AUTHOR)
    path.mkdir(parents=True, exist_ok=True)
    return path


def default_db_path() -> Path:
    return data_dir() / "facility.sqlite3"


def resources_dir() -> Path:
    """The ``resources/`` folder: inside a PyInstaller bundle, or beside the source tree."""
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        return Path(bundle) / "resources"
    return Path(__file__).resolve().parent.parent / "resources"


def resource(*parts: str) -> Path:
    return resources_dir().joinpath(*parts)
