"""The MVC P4P (PY2022–23) and MIPS calculator dialogs show POLICY.md's worked examples as typed
(the MIPS seed examples are 2018's: the dialog is opened on 2018).

Values are typed key by key (not set programmatically) so the "updates as you type" wiring is what
is tested; assertions read what the labels show, as a coordinator would.
"""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QLineEdit, QSpinBox, QWidget

from app.storage.database import Database
from ui.as_of import AsOf
from ui.calculators import MipsEstimateDialog, MvcScoreDialog
from ui.programs import ProgramsPage
from ui.workers import pool

SEED = {"cohort_baseline": "19,654", "hospital_baseline": "$19,405", "hospital_performance": "18524", "sd": "4812"}


def shown(label: QLabel) -> str:
    """A label's text as it reads on screen (rich text without the tags)."""
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", label.text()))).strip()


def type_into(qtbot, widget: QLineEdit | QSpinBox, text: str) -> None:
    """Replace the field's content the way a user does: select all, then type."""
    qtbot.keyClick(widget, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(widget, text)


@pytest.fixture
def mvc_dialog(qtbot) -> MvcScoreDialog:
    dialog = MvcScoreDialog()
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


@pytest.fixture
def mips_dialog(qtbot) -> MipsEstimateDialog:
    dialog = MipsEstimateDialog(year=2018)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def test_mvc_seed_example(qtbot, mvc_dialog: MvcScoreDialog) -> None:
    first, second = mvc_dialog.panels
    assert "Enter all four amounts for conditions 1 and 2" in shown(mvc_dialog.problems)
    for key, text in SEED.items():
        type_into(qtbot, first.amounts[key], text)
    assert shown(first.achievement) == "0.23 → 5 points"
    assert shown(first.improvement) == "0.18 → 4 points"
    assert shown(first.points) == "5 points"
    assert "— of 10" in shown(mvc_dialog.total)
    assert "Enter all four amounts for condition 2" in shown(mvc_dialog.problems)
    # Condition 2 lands exactly on a band edge: improvement 200 / 2000 = 0.10 scores 3, not 2.
    for key, text in {"hospital_baseline": "10000", "hospital_performance": "9800",
                      "cohort_baseline": "9700", "sd": "2000"}.items():
        type_into(qtbot, second.amounts[key], text)
    assert shown(second.improvement) == "0.10 → 3 points"
    assert shown(second.achievement) == "-0.05 → 0 points"
    assert shown(second.points) == "3 points"
    assert shown(mvc_dialog.total) == "Measure total: 8 of 10 points"
    assert shown(mvc_dialog.problems) == ""


def test_mvc_the_same_condition_cannot_be_picked_twice(qtbot, mvc_dialog: MvcScoreDialog) -> None:
    first, second = mvc_dialog.panels
    labels = [first.condition.itemText(i) for i in range(first.condition.count())]
    assert labels == ["Spine surgery", "Joint replacement", "COPD", "CABG", "CHF", "Colectomy (non-cancer)", "Pneumonia"]

    def enabled(panel, code: str) -> bool:
        return panel.condition.model().item(panel.condition.findData(code)).isEnabled()

    assert not enabled(second, first.code) and not enabled(first, second.code)
    first.condition.setCurrentIndex(first.condition.findData("pneumonia"))
    assert not enabled(second, "pneumonia") and enabled(second, "spine_surgery")


def test_mvc_bad_input_says_what_to_fix(qtbot, mvc_dialog: MvcScoreDialog) -> None:
    first = mvc_dialog.panels[0]
    for key, text in SEED.items():
        type_into(qtbot, first.amounts[key], text)
    type_into(qtbot, first.amounts["sd"], "0")
    assert "To fix: Condition 1: the SD must be at least 0.01 dollars (greater than zero)" in shown(mvc_dialog.problems)
    assert shown(first.points) == "—"
    assert first.amounts["sd"].styleSheet()  # the field at fault is marked
    type_into(qtbot, first.amounts["hospital_performance"], "lots")
    assert "Condition 1: hospital performance mean must be a number" in shown(mvc_dialog.problems)
    type_into(qtbot, first.amounts["sd"], "4812")
    type_into(qtbot, first.amounts["hospital_performance"], "1e99")  # overflows the decimals: no traceback
    assert "Condition 1: hospital performance mean must be at most 1,000,000,000 dollars" in shown(mvc_dialog.problems)
    type_into(qtbot, first.amounts["hospital_performance"], "18524")
    assert shown(first.points) == "5 points" and "To fix" not in shown(mvc_dialog.problems)
    assert not first.amounts["sd"].styleSheet()


def test_mvc_keyboard(qtbot, mvc_dialog: MvcScoreDialog) -> None:
    """Tab walks condition 1 then condition 2; Enter in a field must not close the dialog; Esc does."""
    expected: list[QWidget] = []
    for panel in mvc_dialog.panels:
        expected += [panel.condition, *panel.amounts.values()]
    expected.append(mvc_dialog.close_button)
    walked, widget = [], expected[0]
    while len(walked) < len(expected):
        if widget in expected:
            walked.append(widget)
        widget = widget.nextInFocusChain()
    assert walked == expected
    qtbot.keyClick(mvc_dialog.panels[0].amounts["sd"], Qt.Key.Key_Return)
    assert mvc_dialog.isVisible()
    qtbot.keyClick(mvc_dialog, Qt.Key.Key_Escape)
    assert not mvc_dialog.isVisible()


ELIGIBLE = {"part_b_allowed_charges": "250,000", "part_b_beneficiaries": "420"}


@pytest.mark.parametrize(
    ("fields", "medium", "high", "final", "outcome"),
    [
        # POLICY.md seed examples
        ({"clinicians": "4"}, 2, 0, "20", "Neutral or positive payment adjustment"),
        ({"clinicians": "4", "aci_score": "50"}, 0, 0, "17.5", "Neutral or positive payment adjustment"),
        ({"clinicians": "40"}, 4, 0, "15", "Neutral or positive payment adjustment"),
        ({"clinicians": "40"}, 0, 2, "15", "Neutral or positive payment adjustment"),
        ({"clinicians": "40"}, 2, 1, "15", "Neutral or positive payment adjustment"),
        # below 15: the negative adjustment; 70 or more: the exceptional-performance bonus
        ({"clinicians": "40"}, 1, 0, "3.75", "Negative payment adjustment (-5%)"),
        ({"clinicians": "40", "quality_score": "80", "aci_score": "90", "cost_score": "50"}, 4, 0, "82.5",
         "eligible for the exceptional-performance bonus"),
    ],
)
def test_mips_seed_examples(qtbot, mips_dialog: MipsEstimateDialog, fields: dict[str, str], medium: int,
                            high: int, final: str, outcome: str) -> None:
    for key, text in {**ELIGIBLE, **fields}.items():
        type_into(qtbot, mips_dialog.numbers[key], text)
    type_into(qtbot, mips_dialog.medium, str(medium))
    type_into(qtbot, mips_dialog.high, str(high))
    assert shown(mips_dialog.final) == f"Final score: {final} of 100"
    assert outcome in shown(mips_dialog.outcome)
    assert "Eligible for MIPS" in shown(mips_dialog.eligibility)


def test_mips_17_5_is_not_the_negative_adjustment(qtbot, mips_dialog: MipsEstimateDialog) -> None:
    """ACI base measures only (50 of 100) + small-practice bonus = 17.5, at or above 15."""
    for key, text in {**ELIGIBLE, "clinicians": "4", "aci_score": "50"}.items():
        type_into(qtbot, mips_dialog.numbers[key], text)
    assert shown(mips_dialog.outcome) == "Neutral or positive payment adjustment"
    assert "Advancing Care Information 25 12.5" in shown(mips_dialog.categories)
    assert "Small-practice bonus: 5" in shown(mips_dialog.bonuses)


def test_mips_complex_patient_bonus_and_reporting_notes(qtbot, mips_dialog: MipsEstimateDialog) -> None:
    for key, text in {**ELIGIBLE, "average_hcc_score": "1.79", "dual_eligible_ratio": "0.22",
                      "quality_measures_reported": "4"}.items():
        type_into(qtbot, mips_dialog.numbers[key], text)
    assert "Complex-patient bonus: 2.89" in shown(mips_dialog.bonuses)
    assert "report 6 quality measures" in shown(mips_dialog.notes)
    qtbot.keyClick(mips_dialog.flags["full_measure_set"], Qt.Key.Key_Space)
    assert "meets the 2018 requirements" in shown(mips_dialog.notes)


def test_mips_exempt_says_why(qtbot, mips_dialog: MipsEstimateDialog) -> None:
    type_into(qtbot, mips_dialog.numbers["part_b_allowed_charges"], "250000")
    type_into(qtbot, mips_dialog.numbers["part_b_beneficiaries"], "150")
    assert "Exempt: no MIPS payment adjustment" in shown(mips_dialog.outcome)
    assert "low-volume threshold" in shown(mips_dialog.eligibility)
    assert "not applied: exempt" in shown(mips_dialog.final)
    type_into(qtbot, mips_dialog.numbers["part_b_beneficiaries"], "420")
    qtbot.keyClick(mips_dialog.flags["qualifying_apm_participant"], Qt.Key.Key_Space)
    assert "qualifying APM participant" in shown(mips_dialog.eligibility)
    assert "low-volume" not in shown(mips_dialog.eligibility)


def test_mips_bad_input_says_what_to_fix(qtbot, mips_dialog: MipsEstimateDialog) -> None:
    for key, text in {**ELIGIBLE, "clinicians": "4"}.items():
        type_into(qtbot, mips_dialog.numbers[key], text)
    type_into(qtbot, mips_dialog.numbers["quality_score"], "lots")
    assert shown(mips_dialog.final) == "Final score: —"
    assert "To fix: Quality: “lots” is not a number" in shown(mips_dialog.problems)
    assert mips_dialog.numbers["quality_score"].styleSheet()
    type_into(qtbot, mips_dialog.numbers["quality_score"], "120")
    assert "Quality must be between 0 and 100" in shown(mips_dialog.problems)
    type_into(qtbot, mips_dialog.numbers["quality_score"], "1e99999999")
    assert "Quality: 1e99999999 is too large" in shown(mips_dialog.problems)
    type_into(qtbot, mips_dialog.numbers["clinicians"], "0")
    type_into(qtbot, mips_dialog.numbers["quality_score"], "80")
    assert "Clinicians in the practice must be at least 1" in shown(mips_dialog.problems)
    type_into(qtbot, mips_dialog.numbers["clinicians"], "4")
    assert not mips_dialog.problems.isVisible()
    assert shown(mips_dialog.final) == "Final score: 53 of 100"  # 80 % of Quality's 60 + 5


def test_mips_aci_exempt_moves_the_weight(qtbot, mips_dialog: MipsEstimateDialog) -> None:
    for key, text in {**ELIGIBLE, "clinicians": "40", "quality_score": "100", "cost_score": "100"}.items():
        type_into(qtbot, mips_dialog.numbers[key], text)
    qtbot.keyClick(mips_dialog.flags["aci_exempt"], Qt.Key.Key_Space)
    assert not mips_dialog.numbers["aci_score"].isEnabled()
    assert "Quality 75 75" in shown(mips_dialog.categories)
    assert "Advancing Care Information weight moved to Quality (2018 reweighting)" in shown(mips_dialog.categories)


def test_programs_page_opens_the_calculators(qtbot, db: Database) -> None:
    page = ProgramsPage(db, AsOf(dt.date(2026, 6, 30)))
    qtbot.addWidget(page)
    page.setVisible(True)  # ProgramsPage.show() is its result callback
    page.mvc_button.click()
    assert page.mvc_dialog is not None and page.mvc_dialog.isVisible()
    type_into(qtbot, page.mvc_dialog.panels[0].amounts["sd"], "4812")
    qtbot.keyClick(page.mvc_dialog, Qt.Key.Key_Escape)
    assert not page.mvc_dialog.isVisible()
    page.mvc_button.click()  # reopening keeps what was typed
    assert page.mvc_dialog.panels[0].amounts["sd"].text() == "4812"
    page.mips_button.click()
    assert page.mips_dialog is not None and page.mips_dialog.isVisible()
    assert page.mvc_button.text() == "M&VC P4P score (PY2022–23)…" and page.mips_button.text() == "M&IPS estimate…"
    assert page.mips_dialog.year.currentData() == 2026          # the as-of date's year, not 2018
    assert "Performance year 2026 (payment year 2028): final rules" in shown(page.mips_dialog.status)
    pool().waitForDone(30000)


def choose_year(qtbot, dialog: MipsEstimateDialog, year: int) -> None:
    dialog.year.setCurrentIndex(dialog.year.findData(year))


def test_mips_year_selector_says_the_year_and_its_status(qtbot, mips_dialog: MipsEstimateDialog) -> None:
    assert [mips_dialog.year.itemData(i) for i in range(mips_dialog.year.count())] == [2027, 2026, 2025, 2018]
    choose_year(qtbot, mips_dialog, 2027)
    assert mips_dialog.windowTitle() == "MIPS estimate — 2027 (provisional rules)"
    assert "PROVISIONAL rules" in shown(mips_dialog.status) and "in progress" in shown(mips_dialog.status)
    assert "Performance threshold: 75 → not set yet." in shown(mips_dialog.changes)
    choose_year(qtbot, mips_dialog, 2025)
    assert "final rules" in shown(mips_dialog.status)
    assert mips_dialog.labels["aci_score"].text() == "Promoting &Interoperability (%)"
    assert not mips_dialog.high.isVisibleTo(mips_dialog)          # no medium/high weights since 2025
    assert "Changed since 2018" in shown(mips_dialog.changes)
    assert "Radiation-oncology measure set: added 226, 508; removed 156." in shown(mips_dialog.changes)
    assert list(mips_dialog.rates) == ["102", "143", "144", "226", "508"]
    assert "no 2025 benchmark" in mips_dialog.rates["102"].toolTip()
    assert "registry: deciles 84–100 (topped out, 7-point cap removed)" in mips_dialog.rates["143"].toolTip()


def test_mips_2025_measures_typed_give_the_worked_example(qtbot, mips_dialog: MipsEstimateDialog) -> None:
    """tests/unit/test_mips_years.py's 2025 worked example, typed: 65.77, below 75."""
    choose_year(qtbot, mips_dialog, 2025)
    for key, text in {**ELIGIBLE, "clinicians": "6", "aci_score": "80", "cost_score": "60",
                      "complex_patient_bonus": "3"}.items():
        type_into(qtbot, mips_dialog.numbers[key], text)
    for mid, rate in (("102", "100"), ("143", "95"), ("144", "92")):
        type_into(qtbot, mips_dialog.rates[mid], rate)
    type_into(qtbot, mips_dialog.medium, "2")
    assert not mips_dialog.numbers["quality_score"].isEnabled()   # the rates decide Quality
    assert shown(mips_dialog.final) == "Final score: 65.77 of 100"
    assert shown(mips_dialog.outcome).startswith("Negative payment adjustment, between 0 and -9%")
    assert "Performance threshold 75 (final rules, performance year 2025, payment year 2027)" in shown(mips_dialog.eligibility)
    assert "Measure 143: 6.5 points" in shown(mips_dialog.categories)
    assert mips_dialog.results.title() == "Estimate — 2025 (final rules)"
