"""The MVC P4P (Program Years 2022–2023) and MIPS (by performance year) calculators as dialogs, so
coordinators need not write JSON for the CLI.

Every number shown comes from ``app.calculators`` (the same functions behind ``mroqc-desk
mvc-score`` and ``mips-estimate``): this module only turns typed text into the calculators' input,
and their results and error messages into wording a coordinator can act on. Results update as the
user types; input the calculators refuse is named in plain words instead of raising.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.calculators import mips, mvc
from app.calculators.mips_years import (
    CATEGORIES,
    MipsYear,
    available_years,
    changes_since,
    mips_year,
)
from app.calculators.mvc import CalculatorInputError
from app.calculators.program_numbers import program_numbers

# Display names for the condition codes in resources/programs/calculators.toml.
CONDITION_LABELS = {
    "spine_surgery": "Spine surgery",
    "joint_replacement": "Joint replacement",
    "copd": "COPD",
    "cabg": "CABG",
    "chf": "CHF",
    "colectomy": "Colectomy (non-cancer)",
    "pneumonia": "Pneumonia",
}

#: The program years whose method the MVC calculator implements (shared/seeds/003: the measure as
#: approved for Program Years 2022 and 2023)
MVC_YEARS = "Program Years 2022–2023"

# Field highlight, as in the record forms: the palette keeps it readable in dark themes.
PROBLEM_STYLE = "border: 1px solid palette(highlight);"
DASH = "—"


def condition_label(code: str) -> str:
    return CONDITION_LABELS.get(code, code.replace("_", " ").capitalize())


def clean_number(text: str) -> str:
    """What people type for money and counts ("$19,654", "1 250") without the decoration."""
    return re.sub(r"[\s,$%]", "", text)


def plain(label: str) -> str:
    """A field label without its mnemonic ampersand, for use inside messages."""
    return label.replace("&", "")


def friendly(message: str, names: dict[str, str]) -> str:
    """Replace the calculators' JSON field names ('hospital_baseline') with the labels on screen."""
    for key, name in names.items():
        message = message.replace(f"'{key}'", name)
    return message[:1].upper() + message[1:]


def mentioned(exc: CalculatorInputError, keys: list[str]) -> set[str]:
    """The input fields the error names (read from the error, not its wording)."""
    return {exc.field} & set(keys) if exc.field else set()


def _close_button(dialog: QDialog) -> QPushButton:
    """A Close button that Enter in a field does not press: Enter must not throw the inputs away."""
    button = QPushButton("Close")
    button.setAutoDefault(False)
    button.setDefault(False)
    button.setToolTip("Close the calculator (Esc)")
    button.clicked.connect(dialog.reject)
    return button


def _result_label() -> QLabel:
    label = QLabel(DASH)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


def _problems_label() -> QLabel:
    label = QLabel()
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.RichText)
    return label


# ---------------------------------------------------------------------------------------------
# MVC P4P


MVC_AMOUNTS = [
    ("hospital_baseline", "Hospital &baseline mean", "your hospital's mean episode payment, baseline period"),
    ("hospital_performance", "Hospital &performance mean", "your hospital's mean episode payment, performance period"),
    ("cohort_baseline", "C&ohort baseline mean", "mean episode payment of all MVC hospitals, baseline period"),
    ("sd", "MVC-all baseline &SD", "standard deviation of all MVC hospitals' baseline payments, greater than 0"),
]


class ConditionPanel(QGroupBox):
    """One of the measure's two conditions: its four amounts in, its z scores and points out."""

    def __init__(self, number: int, conditions: list[str]) -> None:
        super().__init__(f"Condition &{number}")
        self.number = number
        self.condition = QComboBox()
        for code in conditions:
            self.condition.addItem(condition_label(code), code)
        self.amounts: dict[str, QLineEdit] = {}
        form = QFormLayout(self)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow(self._label("Conditio&n", self.condition), self.condition)
        for key, label, hint in MVC_AMOUNTS:
            edit = QLineEdit()
            edit.setPlaceholderText("$")
            edit.setToolTip(f"{plain(label)}: {hint}, in dollars")
            edit.setAccessibleName(f"Condition {number}: {plain(label)}")
            self.amounts[key] = edit
            form.addRow(self._label(label, edit), edit)
        self.improvement = _result_label()
        self.achievement = _result_label()
        self.points = _result_label()
        form.addRow("Improvement z", self.improvement)
        form.addRow("Achievement z", self.achievement)
        form.addRow("Condition points", self.points)

    @staticmethod
    def _label(text: str, buddy: QWidget) -> QLabel:
        label = QLabel(text)
        label.setBuddy(buddy)
        return label

    @property
    def code(self) -> str:
        return self.condition.currentData()

    def item(self) -> dict[str, Any] | None:
        """The calculator's input for this condition, or None while an amount is still blank."""
        texts = {key: clean_number(edit.text()) for key, edit in self.amounts.items()}
        if not all(texts.values()):
            return None
        return {"condition": self.code, **texts}

    def show_result(self, row: dict[str, Any] | None) -> None:
        if row is None:
            for label in (self.improvement, self.achievement, self.points):
                label.setText(DASH)
            return
        self.improvement.setText(f"{row['improvement_z']:.2f} → {row['improvement_points']} points")
        self.achievement.setText(f"{row['achievement_z']:.2f} → {row['achievement_points']} points")
        self.points.setText(f"<b>{row['points']} points</b>")

    def highlight(self, keys: set[str]) -> None:
        for key, edit in self.amounts.items():
            edit.setStyleSheet(PROBLEM_STYLE if key in keys else "")


class MvcScoreDialog(QDialog):
    """Score the MVC P4P episode-payment measure for two conditions, as the CLI does."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"MVC P4P score — {MVC_YEARS}")
        numbers = program_numbers()["mvc"]
        self.conditions: list[str] = list(numbers["conditions"])
        self.panels = [ConditionPanel(n, self.conditions) for n in range(1, numbers["conditions_per_measure"] + 1)]
        for index, panel in enumerate(self.panels):
            panel.condition.setCurrentIndex(index)
        intro = QLabel(
            f"<b>{MVC_YEARS}</b>: the method of MVC's P4P measure for Program Years 2022 and 2023 (two "
            "conditions, no other parts). From Program Year 2024 the measure has other parts: see "
            "<i>MVC program years</i> on the Programs screen.<br>"
            "Risk-adjusted, price-standardized episode payments in dollars. Improvement z = (hospital "
            "baseline − hospital performance) / SD; achievement z = (cohort baseline − hospital "
            "performance) / SD. A condition scores the greater of its two point values (0–5).")
        intro.setWordWrap(True)
        intro.setTextFormat(Qt.TextFormat.RichText)
        self.total = QLabel()
        self.total.setTextFormat(Qt.TextFormat.RichText)
        self.problems = _problems_label()
        # Room for the message kept from the start, so the dialog does not jump as it comes and goes.
        self.problems.setMinimumHeight(2 * self.problems.fontMetrics().lineSpacing() + 4)
        self.problems.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        panels = QHBoxLayout()
        for panel in self.panels:
            panels.addWidget(panel, 1)
        bottom = QHBoxLayout()
        bottom.addWidget(self.total, 1)
        self.close_button = _close_button(self)
        bottom.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(panels)
        layout.addWidget(self.problems)
        layout.addLayout(bottom)
        widgets: list[QWidget] = []
        for panel in self.panels:
            widgets += [panel.condition, *panel.amounts.values()]
        widgets.append(self.close_button)
        for first, second in zip(widgets, widgets[1:], strict=False):
            QWidget.setTabOrder(first, second)
        for panel in self.panels:
            panel.condition.currentIndexChanged.connect(self._conditions_changed)
            for edit in panel.amounts.values():
                edit.textChanged.connect(self.recalculate)
        self.setMinimumWidth(820)
        self._conditions_changed()

    def _conditions_changed(self) -> None:
        """A condition picked in one panel cannot be picked in the other: the measure needs two."""
        for panel in self.panels:
            taken = {other.code for other in self.panels if other is not panel}
            model = panel.condition.model()
            for row in range(panel.condition.count()):
                model.item(row).setEnabled(panel.condition.itemData(row) not in taken)
        self.recalculate()

    def recalculate(self) -> None:
        """Score every complete condition; the total only once all of them are complete."""
        for panel in self.panels:
            panel.highlight(set())
            panel.show_result(None)
        items = [(panel, panel.item()) for panel in self.panels]
        ready = [(panel, item) for panel, item in items if item is not None]
        waiting = [panel.number for panel, item in items if item is None]
        names = {key: plain(label).lower() for key, label, _ in MVC_AMOUNTS}
        problems: list[str] = []
        scored: list[tuple[ConditionPanel, dict[str, Any]]] = []
        for panel, item in ready:
            try:
                row = mvc.to_json([mvc.score_condition(item, f"condition {panel.number}")])["conditions"][0]
            except ArithmeticError:  # absurd magnitudes (1e99) overflow the calculator's decimals
                panel.highlight(set(names))
                problems.append(f"Condition {panel.number}: the amounts are too large or too small to "
                                "compute — check the digits")
                continue
            except CalculatorInputError as exc:
                panel.highlight(mentioned(exc, list(names)))
                example = " — type dollars, e.g. 19405 or $19,405" if exc.kind == "not_a_number" else ""
                problems.append(friendly(str(exc), {**names, "sd": "the SD"}) + example)
                continue
            scored.append((panel, row))
        total_text = f"<b>Measure total: {DASH} of 10 points</b>"
        hint = ""
        if not problems and len(scored) == len(self.panels):
            try:
                result = mvc.to_json(mvc.score_measure({"conditions": [item for _, item in ready]}))
            except CalculatorInputError as exc:  # the same condition twice, set from code
                problems.append(friendly(str(exc), names))
            else:
                total_text = f"<b>Measure total: {result['total']} of 10 points</b>"
        for panel, row in scored:
            panel.show_result(row)
        if waiting and not problems:
            which = "conditions " + " and ".join(map(str, waiting)) if len(waiting) > 1 else f"condition {waiting[0]}"
            hint = f"Enter all four amounts for {which} to see the score."
        self.total.setText(total_text)
        self.problems.setText("".join(f"<b>To fix:</b> {html.escape(p)}<br>" for p in problems) or hint)


# ---------------------------------------------------------------------------------------------
# MIPS, by performance year


@dataclass(frozen=True)
class NumberField:
    """A typed number for the MIPS estimate; blank leaves the calculator's default."""

    key: str
    label: str
    placeholder: str


MIPS_NUMBERS = {
    "eligibility": [
        NumberField("part_b_allowed_charges", "Part B &allowed charges ($, 12 months)", "e.g. 250,000"),
        NumberField("part_b_beneficiaries", "Part B &beneficiaries", "e.g. 420"),
        NumberField("clinicians", "C&linicians in the practice", "blank = 1; 15 or fewer: small"),
    ],
    "categories": [
        NumberField("quality_score", "Q&uality (% achieved)", "0–100, blank = 0, or rates per measure below"),
        NumberField("aci_score", "Advancing Care &Information (%)", "0–100, blank = 0"),
        NumberField("cost_score", "C&ost (%)", "0–100, blank = not calculable"),
    ],
    "complex": [
        NumberField("average_hcc_score", "Average HCC &risk score", "e.g. 1.79, blank = 0"),
        NumberField("dual_eligible_ratio", "&Dual-eligible ratio (0–1)", "e.g. 0.22, blank = 0"),
        NumberField("complex_patient_bonus", "Bonus points (CMS's fi&gure)", "CMS computes it; blank = 0"),
    ],
    "reporting": [
        NumberField("quality_measures_reported", "Measures re&ported", "6 required, blank = not checked"),
        NumberField("data_completeness_pct", "Data comple&teness (%)", "blank = not checked"),
        NumberField("quality_cases", "Ca&ses per measure", "20 required, blank = not checked"),
    ],
}

MIPS_FLAGS = [
    ("qualifying_apm_participant", "&Qualifying APM participant"),
    ("newly_enrolled_medicare", "&Newly enrolled in Medicare"),
    ("aci_exempt", "ACI e&xempt (hospital-based or hardship)"),
    ("full_measure_set", "Reports the &whole radiation-oncology measure set"),
]

# Names for the calculator's own error messages (it speaks in JSON field names).
MIPS_NAMES = {
    **{f.key: plain(f.label).split(" (")[0] for fields in MIPS_NUMBERS.values() for f in fields},
    **{key: plain(label) for key, label in MIPS_FLAGS},
    "improvement_activities": "Improvement activities",
    "quality_measures": "Quality measures",
}


# Beyond any real charge or count; larger numbers (1e400) would overflow the float/int conversion.
TOO_LARGE_DIGITS = 12  # compared on the exponent: abs() itself would overflow on 1e99999999


def points(value: float) -> str:
    """Points as the CLI prints them: 17.5, 20, 2.89."""
    return f"{value:g}"


def default_year(as_of_year: int | None) -> int:
    """The year the dialog opens on: the window's as-of year when it has a file, else the nearest
    earlier year with one (never a later, unknown one), else the newest."""
    years = available_years()
    if as_of_year is None:
        return years[-1]
    return max((y for y in years if y <= as_of_year), default=years[-1])


def benchmark_words(year: MipsYear, measure_id: str, only: str | None = None) -> str:
    """"registry: deciles 84–100 (topped out, 7-point cap removed)" per collection type (``only``:
    that one), or "no benchmark"."""
    info = year.measures[measure_id]
    benchmarks = [b for b in info.benchmarks if only is None or b.collection_type == only]
    if not benchmarks:
        return f"no {year.performance_year} benchmark{' for ' + only if only else ''} (scored as CMS scores such measures)"
    parts = []
    for b in benchmarks:
        flags = (["topped out"] if b.topped_out else []) + (
            ["7-point cap" if b.collection_type not in info.seven_point_cap_removed else "7-point cap removed"]
            if b.topped_out_by_program or b.collection_type in info.seven_point_cap_removed else [])
        parts.append(f"{b.collection_type}: deciles {b.decile_1_from:g}–{b.deciles_2_to_10_from[-1]:g}"
                     + (f" ({', '.join(flags)})" if flags else ""))
    return "; ".join(parts)


class MipsEstimateDialog(QDialog):
    """Estimate a practice's MIPS final score under one performance year's rules, from the same
    inputs as ``mips-estimate``; the year, and whether its rules are final or provisional, always shown."""

    def __init__(self, parent: QWidget | None = None, year: int | None = None) -> None:
        super().__init__(parent)
        self.numbers: dict[str, QLineEdit] = {}
        self.labels: dict[str, QLabel] = {}
        self.flags: dict[str, QCheckBox] = {}
        self.rates: dict[str, QLineEdit] = {}
        for key, label in MIPS_FLAGS:
            self.flags[key] = QCheckBox(label)
        self.year = QComboBox()
        for y in reversed(available_years()):
            self.year.addItem(mips_year(y).label, y)
        self.year.setCurrentIndex(self.year.findData(default_year(year)))
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setTextFormat(Qt.TextFormat.RichText)
        self.medium = QSpinBox()
        self.high = QSpinBox()
        for spin in (self.medium, self.high):
            spin.setRange(0, 20)
        eligibility = self._group("Practice and eligibility", "eligibility",
                                  [self.flags["qualifying_apm_participant"], self.flags["newly_enrolled_medicare"]])
        categories = self._group("Category scores", "categories", [])
        form = categories.layout()
        assert isinstance(form, QFormLayout)
        form.insertRow(2, "", self.flags["aci_exempt"])
        activities = QGroupBox("Improvement activities")
        self.ia_form = QFormLayout(activities)
        self.medium_label = self._buddy("&Medium-weight activities", self.medium)
        self.high_label = self._buddy("&High-weight activities", self.high)
        self.ia_form.addRow(self.medium_label, self.medium)
        self.ia_form.addRow(self.high_label, self.high)
        self.medium.setToolTip("e.g. RO-ILS participation (IA_PSPA_1), MOC Part IV (IA_PSPA_2)")
        self.complex_group = self._group("Complex-patient bonus", "complex", [])
        self.measures_group = QGroupBox()
        self.measures_form = QFormLayout(self.measures_group)
        self.measures_form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapAllRows)  # the benchmark needs the width
        reporting = self._group("Quality reporting plan (optional)", "reporting", [self.flags["full_measure_set"]])
        inputs = QVBoxLayout()
        top = QHBoxLayout()
        top.addWidget(self._buddy("Performance &year", self.year))
        top.addWidget(self.year, 1)
        inputs.addLayout(top)
        inputs.addWidget(self.status)
        for group in (eligibility, categories, self.measures_group, activities, self.complex_group):
            inputs.addWidget(group)
        inputs.addStretch(1)

        self.final = _result_label()
        self.outcome = _result_label()
        self.eligibility = _result_label()
        self.categories = _result_label()
        self.bonuses = _result_label()
        self.notes = _result_label()
        self.changes = _result_label()
        for label in (self.final, self.outcome, self.eligibility, self.categories, self.bonuses, self.notes,
                      self.changes):
            label.setWordWrap(True)
            label.setTextFormat(Qt.TextFormat.RichText)
        self.problems = _problems_label()
        self.results = QGroupBox("Estimate")
        results_layout = QVBoxLayout(self.results)
        for label in (self.final, self.problems, self.outcome, self.eligibility, self.categories, self.bonuses,
                      self.notes):
            results_layout.addWidget(label)
        results_layout.addStretch(1)
        self.results.setMinimumWidth(380)
        outputs = QVBoxLayout()
        outputs.addWidget(self.results, 1)
        outputs.addWidget(self.changes)
        outputs.addWidget(reporting)

        columns = QHBoxLayout()
        columns.addLayout(inputs, 1)
        columns.addLayout(outputs, 1)
        bottom = QHBoxLayout()
        note = QLabel("Category scores are the percent of each category achieved; the estimate weights them, "
                      "adds the bonuses and caps the total at 100.")
        note.setWordWrap(True)
        bottom.addWidget(note, 1)
        self.close_button = _close_button(self)
        bottom.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addLayout(columns, 1)
        layout.addLayout(bottom)

        for edit in self.numbers.values():
            edit.textChanged.connect(self.recalculate)
        for box in self.flags.values():
            box.toggled.connect(self.recalculate)
        for spin in (self.medium, self.high):
            spin.valueChanged.connect(self.recalculate)
        self.year.currentIndexChanged.connect(self._year_changed)
        self._year_changed()

    @property
    def rules(self) -> MipsYear:
        return mips_year(self.year.currentData())

    def _tab_order(self) -> None:
        order: list[QWidget] = [
            self.year, *[self.numbers[f.key] for f in MIPS_NUMBERS["eligibility"]],
            self.flags["qualifying_apm_participant"], self.flags["newly_enrolled_medicare"],
            self.numbers["quality_score"], self.numbers["aci_score"], self.flags["aci_exempt"],
            self.numbers["cost_score"], *self.rates.values(), self.medium, self.high,
            *[self.numbers[f.key] for f in MIPS_NUMBERS["complex"]],
            self.numbers["quality_measures_reported"], self.numbers["data_completeness_pct"],
            self.numbers["quality_cases"], self.flags["full_measure_set"], self.close_button,
        ]
        for first, second in zip(order, order[1:], strict=False):
            QWidget.setTabOrder(first, second)

    def _year_changed(self) -> None:
        """Everything that depends on the year: names, which fields apply, the measures and their
        benchmarks, what changed since the previous year's file."""
        year = self.rules
        self.setWindowTitle(f"MIPS estimate — {year.label}")
        if year.status == "provisional":
            status = (f"<b>Performance year {year.performance_year} (payment year {year.payment_year}): "
                      f"PROVISIONAL rules</b> — {html.escape(year.status_source)}. Numbers may change.")
        else:
            status = (f"<b>Performance year {year.performance_year} (payment year {year.payment_year}): final "
                      f"rules</b> — {html.escape(year.status_source)}.")
        self.status.setText(status)
        pi = year.name("pi")
        first, last = pi.rsplit(" ", 1)
        self.labels["aci_score"].setText(f"{first} &{last} (%)")
        self.flags["aci_exempt"].setText(f"{pi} e&xempt (hardship" + (
            "; a small practice that does not report it is reweighted)" if year.pi.small_practice_reweighted_automatically
            else " or hospital-based)"))
        weights = year.ia.scoring == "weights"
        self.medium_label.setText("&Medium-weight activities" if weights else "Activities reported (&m)")
        self.high.setVisible(weights)
        self.high_label.setVisible(weights)
        if not weights:
            self.high.setValue(0)
        formula = year.bonus.complex_patient == "hcc_dual"
        form = self.complex_group.layout()
        assert isinstance(form, QFormLayout)
        for key, shown_now in (("average_hcc_score", formula), ("dual_eligible_ratio", formula),
                               ("complex_patient_bonus", not formula)):
            form.setRowVisible(self.numbers[key], shown_now)
        self.numbers["complex_patient_bonus"].setPlaceholderText(
            f"0–{year.bonus.complex_patient_bonus_cap}, CMS computes it; blank = 0")
        self.numbers["data_completeness_pct"].setPlaceholderText(
            f"{year.quality.data_completeness_pct}% required, blank = not checked")
        self._measures(year)
        earlier = [y for y in available_years() if y < year.performance_year]
        if earlier:
            lines = changes_since(year, mips_year(earlier[-1]))
            self.changes.setText(f"<b>Changed since {earlier[-1]}</b> (the previous year with a file):<ul>"
                                 + "".join(f"<li>{html.escape(x)}</li>" for x in lines) + "</ul>"
                                 if lines else f"No rule of the estimate changed since {earlier[-1]}.")
        else:
            self.changes.setText(f"{year.performance_year} is the earliest year with a file.")
        self._tab_order()
        self.recalculate()

    def _measures(self, year: MipsYear) -> None:
        """One row per radiation-oncology measure of the year: its benchmark, and its rate to type."""
        kept = {mid: edit.text() for mid, edit in self.rates.items()}
        while self.measures_form.rowCount():
            self.measures_form.removeRow(0)
        self.rates = {}
        self.measures_group.setTitle(f"Radiation-oncology measures {year.performance_year} (performance rate %, "
                                     "registry; optional)")
        for mid, info in year.measures.items():
            edit = QLineEdit(kept.get(mid, ""))
            edit.setPlaceholderText("blank = not reported")
            edit.setAccessibleName(f"Measure {mid} performance rate")
            edit.setToolTip(f"{info.title}. Benchmark: {benchmark_words(year, mid)}")
            edit.textChanged.connect(self.recalculate)
            title = info.title.split(": ")[-1]
            title = title if len(title) <= 48 else title[:46].rstrip() + "…"   # whole in the tooltip
            label = QLabel(f"<b>{mid}</b> {html.escape(title)} — <small>"
                           f"{html.escape(benchmark_words(year, mid, 'registry'))}</small>")
            label.setTextFormat(Qt.TextFormat.RichText)
            label.setBuddy(edit)
            self.rates[mid] = edit
            self.measures_form.addRow(label, edit)

    def _buddy(self, text: str, widget: QWidget) -> QLabel:
        label = QLabel(text)
        label.setBuddy(widget)
        return label

    def _group(self, title: str, section: str, extra: list[QWidget]) -> QGroupBox:
        group = QGroupBox(title)
        form = QFormLayout(group)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        for field in MIPS_NUMBERS[section]:
            edit = QLineEdit()
            edit.setPlaceholderText(field.placeholder)
            self.numbers[field.key] = edit
            self.labels[field.key] = self._buddy(field.label, edit)
            form.addRow(self.labels[field.key], edit)
        for widget in extra:
            form.addRow("", widget)
        return group

    def _read(self, key: str, edit: QLineEdit, problems: list[str], bad: set[str]) -> Decimal | None:
        text = clean_number(edit.text())
        if not text:
            return None
        try:
            number = Decimal(text)
        except InvalidOperation:
            number = None
        name = MIPS_NAMES.get(key, edit.accessibleName() or key)
        if number is not None and number.is_finite() and number.adjusted() >= TOO_LARGE_DIGITS:
            bad.add(key)
            problems.append(f"{name}: {edit.text().strip()} is too large ({edit.placeholderText()})")
            return None
        if number is None or not number.is_finite():
            bad.add(key)
            problems.append(f"{name}: “{edit.text().strip()}” is not a number ({edit.placeholderText()})")
            return None
        return number

    def inputs(self) -> tuple[dict[str, Any], list[str], set[str]]:
        """The calculator's input from the fields, plus what could not be read as a number."""
        data: dict[str, Any] = {key: box.isChecked() for key, box in self.flags.items()}
        data["performance_year"] = self.year.currentData()
        problems: list[str] = []
        bad: set[str] = set()
        for key, edit in self.numbers.items():
            if key == "aci_score" and data["aci_exempt"] or not edit.isVisibleTo(self):
                continue  # exempt, or a field the year does not use
            number = self._read(key, edit, problems, bad)
            if number is not None:
                data[key] = int(number) if number == number.to_integral_value() else float(number)
        measures = []
        for mid, edit in self.rates.items():
            number = self._read(f"measure {mid}", edit, problems, bad)
            if number is not None:
                measures.append({"measure": mid, "performance_rate": float(number), "collection_type": "registry"})
        if measures:
            data["quality_measures"] = measures
            data.pop("quality_score", None)
        if self.rules.ia.scoring == "weights":
            data["improvement_activities"] = ([{"weight": "medium"}] * self.medium.value()
                                              + [{"weight": "high"}] * self.high.value())
        else:
            data["improvement_activities"] = [{}] * self.medium.value()
        return data, problems, bad

    def recalculate(self) -> None:
        """Run the estimate on what is typed; say what to fix instead of showing stale numbers."""
        self.numbers["aci_score"].setEnabled(not self.flags["aci_exempt"].isChecked())
        self.numbers["quality_score"].setEnabled(not any(e.text().strip() for e in self.rates.values()))
        data, problems, bad = self.inputs()
        result: dict[str, Any] | None = None
        if not problems:
            try:
                result = mips.to_json(mips.estimate(data))
            except ArithmeticError:  # guarded by TOO_LARGE_DIGITS; kept so no input can raise out of a slot
                problems.append("A number is too large or too small to compute — check the digits")
            except CalculatorInputError as exc:
                bad = mentioned(exc, list(self.numbers))
                problems.append(friendly(str(exc), MIPS_NAMES))
        for key, edit in self.numbers.items():
            edit.setStyleSheet(PROBLEM_STYLE if key in bad else "")
        self.problems.setText("<br>".join(f"<b>To fix:</b> {html.escape(p)}" for p in problems))
        self.problems.setVisible(bool(problems))
        self.results.setTitle(f"Estimate — {self.rules.label}")
        if result is None:
            for label in (self.outcome, self.eligibility, self.categories, self.bonuses, self.notes):
                label.setText("")
                label.hide()
            self.final.setText(f"<span style='font-size:large'><b>Final score: {DASH}</b></span>")
            return
        for label in (self.outcome, self.eligibility, self.categories, self.bonuses):
            label.show()
        self.show_result(result, data)

    def show_result(self, r: dict[str, Any], data: dict[str, Any]) -> None:
        e = html.escape
        year = self.rules
        applies = "" if r["eligible"] else " (not applied: exempt)"
        self.final.setText(f"<span style='font-size:large'><b>Final score: {points(r['final_score'])} of 100</b></span>"
                           f"{applies}")
        outcome = r["outcome"]
        threshold = (f"Performance threshold {r['threshold']}" if r["threshold"] is not None
                     else f"No performance threshold set for {year.performance_year} yet")
        self.outcome.setText(f"<b>{e(outcome[:1].upper() + outcome[1:])}</b>")
        if r["eligible"]:
            eligibility = "Eligible for MIPS."
        else:
            eligibility = "Exempt from MIPS: " + "; ".join(e(x) for x in r["exemptions"]) + "."
        practice = "small practice (15 or fewer clinicians)" if r["small_practice"] else "not a small practice"
        self.eligibility.setText(f"{threshold} ({r['status']} rules, performance year {r['performance_year']}, "
                                 f"payment year {r['payment_year']}).<br>{eligibility}<br>Practice: {practice}.")
        rows = "".join(
            f"<tr><td>{e(r['category_names'][k])}</td><td align='right'>{r['weights'][k]}</td>"
            f"<td align='right'>{points(p)}</td></tr>"
            for k, p in r["category_points"].items())
        moved = [year.name(c) for c in CATEGORIES if r["weights"][year.out_key(c)] == 0]
        gained = [year.name(c) for c in CATEGORIES if r["weights"][year.out_key(c)] > year.categories[c].weight]
        moved_note = (f"<br>{' and '.join(moved)} weight moved to {' and '.join(gained)} ({year.performance_year} "
                      "reweighting)." if moved else "")
        measures = "".join(f"<br>Measure {m['measure']}: {points(m['points'])} points — {e(m['how'])}"
                           for m in r["quality_measures"])
        self.categories.setText(
            "<table cellspacing='0' cellpadding='2'><tr><th align='left'>Category</th><th>Weight</th>"
            f"<th>Points</th></tr>{rows}</table>"
            f"Improvement activity points: {r['improvement_activity_points']} (category full at "
            f"{year.ia.category_full}){moved_note}{measures}")
        self.bonuses.setText(f"Small-practice bonus: {points(r['small_practice_bonus'])}<br>"
                             f"Complex-patient bonus: {points(r['complex_patient_bonus'])}")
        planned = any(k in data for k in ("quality_measures_reported", "data_completeness_pct", "quality_cases"))
        notes = [f"Quality reporting falls short: {n}" for n in r["quality_reporting_notes"]] + list(r["notes"])
        if notes:
            self.notes.setText("<ul>" + "".join(f"<li>{e(n)}</li>" for n in notes) + "</ul>")
        else:
            self.notes.setText(f"The quality reporting plan meets the {year.performance_year} requirements."
                               if planned else "")
        self.notes.setVisible(bool(self.notes.text()))
