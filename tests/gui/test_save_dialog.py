"""Save dialogs start in Documents, remember the last folder per kind, never the working directory;
every "Save as" of the window goes through ``ui.save_dialog``."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QStandardPaths
from PySide6.QtWidgets import QFileDialog

from ui import save_dialog
from ui.save_dialog import ask_save_path, documents_folder, other_drive, start_folder

UI = Path(__file__).resolve().parents[2] / "ui"


@pytest.fixture
def documents(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "Documents"
    folder.mkdir()
    monkeypatch.setattr(QStandardPaths, "writableLocation", lambda _where: str(folder))
    return folder


def answer_with(monkeypatch: pytest.MonkeyPatch, path: Path | None) -> list[tuple[Any, ...]]:
    asked: list[tuple[Any, ...]] = []

    def answer(*args: Any, **_kwargs: Any) -> tuple[str, str]:
        asked.append(args)
        return (str(path), "Excel (*.xlsx)") if path is not None else ("", "")
    monkeypatch.setattr(QFileDialog, "getSaveFileName", answer)
    return asked


def test_the_first_save_starts_in_documents_never_the_working_directory(documents, monkeypatch, tmp_path) -> None:
    monkeypatch.chdir(tmp_path)
    asked = answer_with(monkeypatch, None)
    assert ask_save_path(None, "enrollment", "Save report", "enrollment-2025.xlsx", "Excel (*.xlsx)") is None
    assert asked[0][2] == str(documents / "enrollment-2025.xlsx")


def test_each_kind_remembers_its_own_folder(documents, monkeypatch, tmp_path) -> None:
    elsewhere = tmp_path / "exports"
    elsewhere.mkdir()
    answer_with(monkeypatch, elsewhere / "roster.xlsx")
    choice = ask_save_path(None, "mdcb-roster", "Save report", "mdcb-roster-2025.xlsx", "Excel (*.xlsx)")
    assert choice is not None and choice.path == elsewhere / "roster.xlsx"
    assert choice.chosen_filter == "Excel (*.xlsx)"
    asked = answer_with(monkeypatch, None)
    ask_save_path(None, "mdcb-roster", "Save report", "mdcb-roster-2026.xlsx", "Excel (*.xlsx)")
    ask_save_path(None, "dosimetry", "Save report", "dosimetry-2026.xlsx", "Excel (*.xlsx)")
    assert [a[2] for a in asked] == [str(elsewhere / "mdcb-roster-2026.xlsx"), str(documents / "dosimetry-2026.xlsx")]


def test_a_remembered_folder_since_deleted_falls_back_to_documents(documents, monkeypatch, tmp_path) -> None:
    gone = tmp_path / "usb"
    gone.mkdir()
    answer_with(monkeypatch, gone / "x.backup")
    ask_save_path(None, "backup", "Back up", "x.backup", "Backup (*.backup)")
    gone.rmdir()
    assert start_folder("backup", database=tmp_path / "facility.sqlite3") == documents


def test_no_documents_folder_means_the_home_folder(monkeypatch, tmp_path) -> None:
    monkeypatch.setattr(QStandardPaths, "writableLocation", lambda _where: str(tmp_path / "missing"))
    assert documents_folder() == Path.home()


def test_another_drive_is_only_promised_where_drives_are_named(monkeypatch, tmp_path) -> None:
    monkeypatch.setattr(save_dialog.sys, "platform", "linux")
    assert other_drive(tmp_path) is None


def test_a_backup_suggests_another_drive_on_windows(documents, monkeypatch, tmp_path) -> None:
    class Volume:
        def __init__(self, root: str, ready: bool = True, read_only: bool = False) -> None:
            self.root, self.ready, self.read_only = root, ready, read_only

        def isValid(self) -> bool:  # noqa: N802
            return True

        def isReady(self) -> bool:  # noqa: N802
            return self.ready

        def isReadOnly(self) -> bool:  # noqa: N802
            return self.read_only

        def rootPath(self) -> str:  # noqa: N802
            return self.root

    class Storage:
        def __init__(self, _path: str) -> None:
            pass

        @staticmethod
        def rootPath() -> str:  # noqa: N802
            return str(tmp_path)

        @staticmethod
        def mountedVolumes() -> list[Volume]:  # noqa: N802
            return [Volume(str(tmp_path)), Volume("D:/", read_only=True), Volume("E:/", ready=False),
                    Volume(str(documents))]

    monkeypatch.setattr(save_dialog.sys, "platform", "win32")
    monkeypatch.setattr(save_dialog, "QStorageInfo", Storage)
    assert start_folder("backup", database=tmp_path / "facility.sqlite3") == documents
    assert start_folder("workbook") == documents  # only a backup asks for another drive


def test_every_save_dialog_of_the_window_goes_through_the_helper() -> None:
    callers = {p.name for p in UI.rglob("*.py") if re.search(r"getSaveFileName", p.read_text(encoding="utf-8"))}
    assert callers == {"save_dialog.py"}


def test_the_backup_text_promises_only_what_the_dialog_does(qtbot, db, documents, monkeypatch) -> None:
    from ui.data_transfer import DataTransferPanel

    panel = DataTransferPanel(db)
    qtbot.addWidget(panel)
    asked = answer_with(monkeypatch, None)
    panel.choose_backup()
    assert "another drive" in asked[0][1]
    assert Path(asked[0][2]).parent == documents  # Linux: no drive to name, Documents it is
