"""Day one: the password rule is read before the first try, in every dialog that takes a new
password; the recovery key can be saved as a one-page PDF and printed, for a locked drawer."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from pypdf import PdfReader
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import QLabel, QLineEdit, QWidget

from app.domain.security_policy import security_policy
from app.security.passwords import password_rule
from app.storage.database import Database
from ui import key_on_paper
from ui.first_run import FirstRunDialog
from ui.sign_in import (
    AdministratorDialog,
    ChangePasswordDialog,
    FirstPasswordDialog,
    RecoveryKeyDialog,
    facility_of,
)
from ui.users import UserDialog

KEY = "ASHL-OC3X-AXW6-T5SO-NUQA-RAGN-EYNX-KHIQ"


def dialogs(db: Database, tmp_path: Path) -> dict[str, QWidget]:
    return {
        "first run": FirstRunDialog(tmp_path / "new.sqlite3"),
        "first administrator": AdministratorDialog("sqlite:///" + str(tmp_path / "old.sqlite3"), "old.sqlite3"),
        "change my password": ChangePasswordDialog(db),
        "forced change": ChangePasswordDialog(db, forced=True),
        "reset password": FirstPasswordDialog("sam"),
        "add a user": UserDialog(None, []),
    }


def test_every_password_dialog_shows_the_rule_before_the_first_try(qtbot, db: Database, tmp_path: Path) -> None:
    minimum = str(security_policy().min_password_length)
    assert minimum in password_rule()  # the number is the policy file's
    for name, dialog in dialogs(db, tmp_path).items():
        qtbot.addWidget(dialog)
        dialog.show()
        qtbot.waitExposed(dialog)
        rules = [label for label in dialog.findChildren(QLabel, "password_rule") if label.isVisible()]
        assert len(rules) == 1, name
        assert rules[0].text() in (password_rule(), password_rule(replacing=True)), name
        # "must differ from the old one" only where the person has an old password to replace
        assert ("old one" in rules[0].text()) == (dialog.findChild(QLineEdit, "old_password") is not None), name
        assert rules[0].height() >= rules[0].heightForWidth(rules[0].width()), f"{name}: the rule is cut off"


def test_the_recovery_key_page_as_pdf_holds_the_key_the_facility_and_the_date(qtbot, db: Database,
                                                                              tmp_path: Path) -> None:
    dialog = RecoveryKeyDialog(KEY, facility=facility_of(db), made_on=dt.date(2026, 12, 7))
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.save_pdf.isVisible() and dialog.print_button.isVisible()
    path = tmp_path / "key.pdf"
    key_on_paper.write_pdf(dialog.paper, path)
    reader = PdfReader(str(path))
    assert len(reader.pages) == 1
    text = " ".join(reader.pages[0].extract_text().split())
    assert KEY in text
    assert "Lakeside Cancer Center" in text and "2026-12-07" in text
    assert "every password is lost" in text


def test_save_as_pdf_asks_where_then_writes_there(qtbot, monkeypatch, tmp_path: Path) -> None:
    from PySide6.QtWidgets import QFileDialog, QMessageBox

    chosen = tmp_path / "drawer copy"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(chosen), "PDF (*.pdf)")))
    monkeypatch.setattr(QMessageBox, "information", staticmethod(lambda *a, **k: QMessageBox.StandardButton.Ok))
    dialog = RecoveryKeyDialog(KEY, facility="Lakeside")
    qtbot.addWidget(dialog)
    dialog.save_pdf.click()
    assert KEY in PdfReader(str(tmp_path / "drawer copy.pdf")).pages[0].extract_text()


def test_print_sends_the_same_page_to_the_printer_chosen(qtbot, monkeypatch, tmp_path: Path) -> None:
    from PySide6.QtPrintSupport import QPrintDialog

    out = tmp_path / "printed.pdf"

    def chosen_printer(dialog: QPrintDialog) -> int:  # the person picks a printer that writes a file
        dialog.printer().setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        dialog.printer().setOutputFileName(str(out))
        return QPrintDialog.DialogCode.Accepted

    monkeypatch.setattr(QPrintDialog, "exec", chosen_printer)
    dialog = RecoveryKeyDialog(KEY, facility="Lakeside")
    qtbot.addWidget(dialog)
    dialog.print_button.click()
    assert KEY in " ".join(PdfReader(str(out)).pages[0].extract_text().split())


def test_a_folder_that_cannot_be_written_is_said(tmp_path: Path) -> None:
    with pytest.raises(key_on_paper.SheetNotWritten):
        key_on_paper.write_pdf("<p>x</p>", tmp_path / "no such folder" / "key.pdf")


def test_first_passwords_are_not_offered_on_paper(qtbot) -> None:
    from ui.moving import FirstPasswordsDialog

    dialog = FirstPasswordsDialog({"sam": "abcd-efgh-ijkl-mnop"})
    qtbot.addWidget(dialog)
    dialog.show()
    assert not dialog.save_pdf.isVisible() and not dialog.print_button.isVisible()
