"""The facility's details as rows of a form, built once: the first start asks for them to set up
the database, Settings shows them to correct (with the settings only Settings has)."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QComboBox, QFormLayout, QLineEdit, QSpinBox

from app.domain import fields
from app.domain.vocabulary import label
from app.services.facility import FacilityDetails
from app.storage.models import Facility
from ui.date_field import DateField

#: The rows and their captions, as declared (``app.domain.fields.FACILITY``); a screen with other
#: fields on the same letters gives its own Alt+letters (``captions``), the words stay these.
ROWS = ("name", "kind", "radiation_oncologists", "joined_on", "baseline_year")
CAPTIONS: dict[str, str] = {key: fields.FACILITY[key].label for key in ROWS}
#: What the spin boxes offer (the workbook import has its own, wider bounds).
ONCOLOGISTS_SHOWN = (0, 200)
BASELINE_YEARS_SHOWN = (2000, 2100)


class FacilityFields:
    """The name, kind, radiation oncologists, joining date and baseline year of the facility."""

    def __init__(self, captions: dict[str, str] | None = None) -> None:
        self.captions = {**CAPTIONS, **(captions or {})}
        self.name = QLineEdit()
        self.kind = QComboBox()
        for code in fields.FACILITY["kind"].choices:
            self.kind.addItem(label(code), code)
        self.oncologists = QSpinBox()
        self.oncologists.setRange(*ONCOLOGISTS_SHOWN)
        self.joined = DateField(required=True)
        self.baseline = QSpinBox()
        self.baseline.setRange(*BASELINE_YEARS_SHOWN)

    def add_rows(self, form: QFormLayout) -> None:
        widgets = {"name": self.name, "kind": self.kind, "radiation_oncologists": self.oncologists,
                   "joined_on": self.joined, "baseline_year": self.baseline}
        for key, widget in widgets.items():
            form.addRow(self.captions[key], widget)

    def load(self, facility: Facility) -> None:
        self.name.setText(facility.name)
        self.kind.setCurrentIndex(max(self.kind.findData(facility.kind), 0))
        self.oncologists.setValue(facility.radiation_oncologists)
        self.joined.set_date(facility.joined_on)
        self.baseline.setValue(facility.baseline_year)

    def joined_problem(self) -> str | None:
        """Why the joining date cannot be saved (typed but not a date, or left empty), else None."""
        if self.joined.problem() or self.joined.date() is None:
            return self.joined.problem() or "a date is needed"
        return None

    def details(self, **settings: Any) -> FacilityDetails:
        """The details as typed, with whatever other ``settings`` the screen has (Settings)."""
        return FacilityDetails(
            name=self.name.text(), kind=self.kind.currentData(), radiation_oncologists=self.oncologists.value(),
            joined_on=self.joined.date(), baseline_year=self.baseline.value(), **settings)
