"""The screening-list wizard: file, columns, preview, import in the background, undo."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QComboBox, QWizard
from sqlalchemy import func, select

from app.screening.mapping import load_mapping
from app.screening.profiles import save_profile
from app.screening.reading import read_table
from app.storage.database import Database
from app.storage.models import Case, ScreeningProfile
from tests.gui.conftest import settle
from tests.support import as_role
from ui.screening_wizard import MASK, ScreeningWizard

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "screening"
ARIA = SAMPLES / "aria_consults.csv"


def case_count(db: Database) -> int:
    with db.reader() as session:
        return session.scalar(select(func.count()).select_from(Case)) or 0


@pytest.fixture(autouse=True)
def discard_when_closed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The wizards these tests leave open are closed at the end without the modal question (which
    would wait for a person); the test of the question answers it itself."""
    from ui import screening_wizard

    asked: list[str] = []
    monkeypatch.setattr(screening_wizard, "confirm_discard", lambda parent, text="": asked.append(text) or True)
    return asked


def wizard(qtbot, db: Database, path: Path | None = None) -> ScreeningWizard:  # type: ignore[no-untyped-def]
    w = ScreeningWizard(db, path=path)
    qtbot.addWidget(w)
    w.show()
    return w


def to_preview(qtbot, w: ScreeningWizard) -> None:  # type: ignore[no-untyped-def]
    w.next()
    w.next()
    settle(qtbot)
    qtbot.waitUntil(lambda: w.preview_page.counts.text() != "" and "…" not in w.preview_page.counts.text())


def test_file_page_shows_the_first_rows_as_in_the_file(qtbot, db: Database) -> None:
    w = wizard(qtbot, db, SAMPLES / "mosaiq_export.csv")
    page = w.file_page
    assert page.first_rows.item(0, 0).text().startswith("MOSAIQ Oncology")  # the title rows, as they are
    assert page.first_rows.item(3, 0).text() == "MRN"
    assert "semicolon-delimited" in page.how.text() and "headers on row 4" in page.how.text()
    assert page.isComplete()


def test_a_dropped_file_is_read(qtbot, db: Database) -> None:
    w = wizard(qtbot, db)
    assert not w.file_page.isComplete()
    data = QMimeData()
    data.setUrls([QUrl.fromLocalFile(str(ARIA))])
    event = QDropEvent(QPointF(5, 5), Qt.DropAction.CopyAction, data, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)
    w.file_page.dropEvent(event)
    assert w.path == ARIA and w.file_page.isComplete() and w.file_page.path.text() == str(ARIA)


def test_columns_are_prefilled_with_date_evidence_and_payers_found(qtbot, db: Database) -> None:
    w = wizard(qtbot, db, ARIA)
    w.next()
    page = w.mapping_page
    assert page.fields["mrn"].currentText() == "Patient ID"
    assert page.fields["eligible_on"].currentText() == "Consult Date"
    assert page.fields["primary_diagnosis"].currentText() == "(none)"
    assert [page.fields["mrn"].itemText(i) for i in range(page.fields["mrn"].count())][1:] == read_table(ARIA).headers
    assert "all 26 dates fit MM/DD/YYYY" in page.evidence.text()
    found = {page.payers.item(r, 0).text(): page.payers.cellWidget(r, 2).currentData()
             for r in range(page.payers.rowCount())}
    assert found["MEDICARE"] == "medicare" and found["BCBS OF MICHIGAN"] == "bcbsm" and found["AETNA"] is None
    page.fields["mrn"].setCurrentIndex(0)
    assert not page.isComplete()  # the MRN is required


def test_preview_masks_identifiers_and_import_writes_once_then_undo(qtbot, db: Database) -> None:
    w = wizard(qtbot, db, ARIA)
    w.next()
    row = next(r for r in range(w.mapping_page.payers.rowCount()) if w.mapping_page.payers.item(r, 0).text() == "AETNA")
    box: QComboBox = w.mapping_page.payers.cellWidget(row, 2)
    box.setCurrentIndex(box.findData("other"))
    w.next()
    settle(qtbot)
    page = w.preview_page
    qtbot.waitUntil(lambda: page.isComplete())
    assert "<b>8</b> new" in page.counts.text() and "<b>4</b> not eligible" in page.counts.text()
    assert case_count(db) == 0  # nothing written before Import
    model = page.model
    outcomes = {model.index(r, 1).data() for r in range(model.rowCount())}
    assert outcomes == {"New", "Unchanged", "Not eligible"}
    reasons = [model.index(r, 4).data() for r in range(model.rowCount())]
    assert "C18.7 colon: not an MROQC diagnosis" in reasons
    assert model.index(0, 5).data() == MASK and model.index(0, 6).data() == MASK
    page.show_ids.setChecked(True)
    assert model.index(0, 5).data() == "A100231" and model.index(0, 6).data() == "JOSÉ MÜLLER"
    assert w.button(QWizard.WizardButton.CommitButton).text() == "&Import"
    with qtbot.waitSignal(w.imported, timeout=30000):
        w.next()
    assert case_count(db) == 8 and w.import_page.undo_button.isEnabled()
    assert "8 new pending cases" in w.import_page.status.text()
    with db.reader() as session:
        aetna = session.scalar(select(Case.payer).where(Case.mrn == "A100270"))
    assert aetna is None  # not eligible (colon): no case at all
    with qtbot.waitSignal(w.imported, timeout=30000):
        w.import_page.undo_button.click()
    assert case_count(db) == 0 and "undone" in w.import_page.status.text()


def test_a_saved_profile_maps_next_weeks_file_in_one_click(qtbot, db: Database) -> None:
    w = wizard(qtbot, db, SAMPLES / "mosaiq_export.csv")
    w.next()
    page = w.mapping_page
    page.strip_zeros.setChecked(True)
    page.profile_name.setText("MOSAIQ new starts")
    page.save_profile()
    with db.reader() as session:
        assert session.scalar(select(ScreeningProfile.name)) == "MOSAIQ new starts"
    again = wizard(qtbot, db, SAMPLES / "mosaiq_export.csv")
    assert "Profile 'MOSAIQ new starts' matches" in again.profile_note
    again.next()
    assert again.mapping_page.strip_zeros.isChecked()
    again.next()
    settle(qtbot)
    qtbot.waitUntil(lambda: again.preview_page.isComplete())
    assert "<b>4</b> new, <b>0</b> updated, <b>1</b> unchanged" in again.preview_page.counts.text()


def test_a_profile_with_codes_reads_a_synthea_folder(qtbot, db: Database) -> None:
    mapping = load_mapping(SAMPLES / "synthea_mapping.toml")
    save_profile(db, "Synthea", read_table(SAMPLES / "synthea").headers, mapping)
    w = wizard(qtbot, db, SAMPLES / "synthea")
    to_preview(qtbot, w)
    assert "<b>4</b> new" in w.preview_page.counts.text()


def test_a_rejected_file_lists_its_problems_and_cannot_be_imported(qtbot, db: Database, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("MRN,DOB,Dx Code,Consult Date\n1001,01/28/1960,C61,\n", encoding="utf-8")
    w = wizard(qtbot, db, bad)
    to_preview(qtbot, w)
    page = w.preview_page
    assert "cannot be imported: 1 problem" in page.counts.text() and not page.isComplete()
    assert page.model.index(0, 1).data() == "Rejected"
    assert page.model.index(0, 4).data() == "Consult Date: no eligible date"


@pytest.mark.parametrize("role", ["physics", "reviewer"])
def test_a_user_who_may_not_import_is_told_so(qtbot, db: Database, role: str) -> None:
    w = wizard(qtbot, as_role(db, role), ARIA)
    to_preview(qtbot, w)
    assert w.preview_page.counts.text().startswith("The list could not be previewed: not allowed:")
    assert not w.preview_page.isComplete()


def test_open_screening_wizard_shows_it_modally(qtbot, db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    from ui import screening_wizard

    shown: list[ScreeningWizard] = []
    monkeypatch.setattr(ScreeningWizard, "exec", lambda self: shown.append(self) or 0)
    assert screening_wizard.open_screening_wizard(None, db, on_imported=lambda receipt: None) is None
    assert len(shown) == 1 and shown[0].windowTitle() == "Import an eligible-patient list"


def test_esc_on_the_mapping_asks_before_the_mapping_is_lost(qtbot, db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    from ui import screening_wizard

    answers = {"discard": False}
    asked: list[str] = []
    monkeypatch.setattr(screening_wizard, "confirm_discard",
                        lambda parent, text="": asked.append(text) or answers["discard"])
    w = wizard(qtbot, db, ARIA)
    w.next()
    w.mapping_page.fields["eligible_on"].setCurrentIndex(0)  # a column chosen by hand
    qtbot.keyClick(w, Qt.Key.Key_Escape)
    assert asked and "not imported yet" in asked[0]
    assert w.isVisible() and w.currentPage() is w.mapping_page  # kept, as it was
    assert w.mapping_page.fields["eligible_on"].currentIndex() == 0
    answers["discard"] = True
    qtbot.keyClick(w, Qt.Key.Key_Escape)
    assert not w.isVisible() and len(asked) == 2


def test_esc_before_a_list_is_chosen_closes_at_once(qtbot, db: Database, discard_when_closed: list[str]) -> None:
    w = wizard(qtbot, db)
    qtbot.keyClick(w, Qt.Key.Key_Escape)
    assert not w.isVisible() and discard_when_closed == []
