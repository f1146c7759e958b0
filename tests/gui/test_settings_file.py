"""The window's settings, the remembered shared database among them, live in the data folder's
settings.ini: MROQC_DESK_DATA_DIR isolates them, no password is written, and an earlier version's
settings are moved there from the account's once."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings

from app.paths import data_dir
from ui import settings_file
from ui.application import choose_database
from ui.settings_file import (
    SHARED_URL_KEY,
    move_old_settings,
    remember_shared_url,
    remembered_shared_url,
    settings,
    settings_path,
)
from ui.sign_in import default_user, remember_user


def test_the_shared_address_is_kept_in_the_data_folder_without_its_password(qtbot) -> None:
    remember_shared_url("postgresql+psycopg://desk:s3cret@db.hospital.org/mroqc?sslmode=verify-full")
    assert settings_path() == data_dir() / "settings.ini"
    text = settings_path().read_text(encoding="utf-8")
    assert "db.hospital.org/mroqc" in text and "s3cret" not in text
    assert stat.S_IMODE(settings_path().stat().st_mode) == 0o600
    assert remembered_shared_url() == "postgresql+psycopg://desk@db.hospital.org/mroqc?sslmode=verify-full"


def test_another_data_folder_does_not_see_it(qtbot, monkeypatch, tmp_path: Path) -> None:
    remember_shared_url("postgresql+psycopg://desk@db.hospital.org/mroqc?sslmode=verify-full")
    remember_user("dana")
    first = data_dir()
    monkeypatch.setenv("MROQC_DESK_DATA_DIR", str(tmp_path / "second facility"))
    assert remembered_shared_url() is None
    assert choose_database("sqlite:///x.sqlite3") == "sqlite:///x.sqlite3"
    assert default_user() != "dana"
    assert not (tmp_path / "second facility" / "settings.ini").exists()  # nothing was written there either
    monkeypatch.setenv("MROQC_DESK_DATA_DIR", str(first))
    assert remembered_shared_url() == "postgresql+psycopg://desk@db.hospital.org/mroqc?sslmode=verify-full"
    assert default_user() == "dana"


def _old_store(tmp_path: Path) -> QSettings:
    """Where an earlier version kept them (the account's settings), in a file of the test's."""
    old = QSettings(str(tmp_path / "account" / "MROQC Facility Desk.conf"), QSettings.Format.IniFormat)
    old.setValue(SHARED_URL_KEY, "postgresql+psycopg://desk@db.hospital.org/mroqc?sslmode=verify-full")
    old.setValue("sign_in/last_user", "dana")
    old.sync()
    return old


def test_an_earlier_version_s_settings_are_moved_once(qtbot, tmp_path: Path) -> None:
    old = _old_store(tmp_path)
    settings().setValue("sign_in/last_user", "cy")  # already set here: kept
    moved = move_old_settings(old)
    assert moved == [SHARED_URL_KEY]
    assert remembered_shared_url() == "postgresql+psycopg://desk@db.hospital.org/mroqc?sslmode=verify-full"
    assert default_user() == "cy"
    assert old.allKeys() == []  # moved, not copied
    old.setValue(SHARED_URL_KEY, "postgresql+psycopg://desk@elsewhere.org/mroqc?sslmode=require")
    assert move_old_settings(old) == []  # once only
    assert remembered_shared_url() == "postgresql+psycopg://desk@db.hospital.org/mroqc?sslmode=verify-full"


def test_a_chosen_data_folder_never_takes_the_account_s_settings(qtbot, monkeypatch: pytest.MonkeyPatch,
                                                                 tmp_path: Path) -> None:
    old = _old_store(tmp_path)
    monkeypatch.setattr(settings_file, "account_settings", lambda: old)
    assert move_old_settings() == []  # MROQC_DESK_DATA_DIR is set (as for every test)
    assert remembered_shared_url() is None and old.allKeys() != []
    monkeypatch.delenv("MROQC_DESK_DATA_DIR")
    monkeypatch.setattr(settings_file, "data_dir", lambda: tmp_path / "default data folder")
    (tmp_path / "default data folder").mkdir()
    assert SHARED_URL_KEY in move_old_settings()  # the default data folder is the account's own
