"""Staff & roles: people, role assignments over time (with warnings), and leave and pauses."""

from __future__ import annotations

import dataclasses
import datetime as dt
from html import escape

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QScrollArea, QSplitter, QTabWidget, QVBoxLayout, QWidget

from app.domain import fields, records
from app.domain.permissions import Permission
from app.domain.vocabulary import REQUIRED_ROLES, label
from app.services import letters, staff
from app.services.evaluations import in_force_at
from app.storage.database import Database
from ui.as_of import AsOf, follow_when_shown
from ui.date_field import date_format, shown
from ui.record_form import columns_of, fields_of
from ui.record_page import RecordPage


def timeline_html(roles: list[staff.RoleRow]) -> str:
    """Who held each role, in order, with the vacant stretches between holders spelled out:
    a vacancy of a required role is what the QIP-ROLE-VACANT trigger looks for."""
    parts = []
    for role, rows in staff.timeline(roles).items():
        if not rows and role not in REQUIRED_ROLES:
            continue
        lines = []
        covered_until: dt.date | None = None  # the last day some earlier holder covers (date.max: open-ended)
        for r in rows:
            if covered_until is not None and covered_until < dt.date.max and r.start > covered_until + dt.timedelta(days=1):
                gap = (covered_until + dt.timedelta(days=1), r.start - dt.timedelta(days=1))
                lines.append(f"<i>vacant {shown(gap[0])} – {shown(gap[1])}</i>")
            lines.append(f"{shown(r.start)} – {shown(r.end) if r.end else 'now'}&nbsp; {escape(r.name)}")
            end = r.end or dt.date.max
            covered_until = end if covered_until is None else max(covered_until, end)
        required = " (required)" if role in REQUIRED_ROLES else ""
        parts.append(f"<b>{escape(label(role))}</b>{required}<br>" + ("<br>".join(lines) or "<i>nobody yet</i>"))
    return "<br><br>".join(parts)


def _people_choices(db: Database, blank: str | None = None) -> tuple[tuple[str, object], ...]:
    people = tuple((f"{p.name} ({p.staff_id})", p.staff_id) for p in staff.list_staff(db))
    return (((blank, None),) if blank else ()) + people


class StaffPage(QWidget):
    def __init__(self, db: Database, as_of: AsOf | None = None) -> None:
        """``as_of`` is the window's shared date: the role warnings say who holds each role on it,
        so they agree with the findings and the self-audit for the same date."""
        super().__init__()
        self.db = db
        self.as_of = as_of if as_of is not None else AsOf()
        self.warnings = QLabel()
        self.warnings.setWordWrap(True)
        self.people = RecordPage(
            db, "People",
            columns_of(fields.STAFF, *fields.STAFF.keys),
            lambda: [dataclasses.asdict(s) for s in staff.list_staff(db)],
            fields_of(fields.STAFF),
            lambda v, old, overwrite: staff.save_staff(
                db, records.StaffRecord(**v, version=old["version"] if old else None),
                original_id=old["staff_id"] if old else None, overwrite=overwrite),
            lambda r: staff.delete_staff(db, r["staff_id"], version=r["version"]),
            lambda v: records.validate_staff(records.StaffRecord(**v)),
            lambda r: r["name"],
            defaults=lambda: {"staff_id": staff.next_staff_id(db)},
        ).require(Permission.STAFF)
        self.roles = RecordPage(
            db, "Role assignments",
            columns_of(fields.ROLE_ASSIGNMENT, "role", ("name", "Held by"), "start", "end"),
            lambda: [dataclasses.asdict(r) for r in staff.list_roles(db)],
            lambda: fields_of(fields.ROLE_ASSIGNMENT, choices={"staff_id": _people_choices(db)}),
            lambda v, old, overwrite: staff.save_role(db, v["staff_id"], v["role"], v["start"], v["end"],
                                                      assignment_id=old["id"] if old else None, version=old["version"] if old else None, overwrite=overwrite),
            lambda r: staff.delete_role(db, r["id"], version=r["version"]),
            lambda v: records.validate_role(v["role"], v["start"], v["end"]),
            lambda r: f"{label(r['role'])} assignment of {r['name']}",
        ).require(Permission.STAFF)
        self.leave = RecordPage(
            db, "Leave, vacations and enrollment pauses",
            columns_of(fields.ABSENCE, ("name", "Who"), "kind", "start", "end", "approved", "project"),
            lambda: [dataclasses.asdict(a) for a in letters.list_absences(db)],
            lambda: fields_of(fields.ABSENCE, choices={"staff_id": _people_choices(db, fields.ABSENCE["staff_id"].blank)}),
            lambda v, old, overwrite: letters.save_absence(db, v["kind"], v["start"], v["end"], v["approved"],
                                                           v["staff_id"], v["project"],
                                                           absence_id=old["id"] if old else None, version=old["version"] if old else None, overwrite=overwrite),
            lambda r: letters.delete_absence(db, r["id"], version=r["version"]),
            lambda v: records.validate_absence(v["kind"], v["start"], v["end"], v["staff_id"], v["project"]),
            lambda r: f"the {label(r['kind']).lower()} of {r['name']}",
        ).require(Permission.STAFF)
        self.roles.changed.connect(self.show_warnings)
        tabs = self.tabs = QTabWidget()
        tabs.addTab(self.people, "People")
        self.timeline = QLabel()
        self.timeline.setTextFormat(Qt.TextFormat.RichText)
        self.timeline.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.timeline.setWordWrap(True)
        self.timeline.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        timeline_box = QWidget()
        timeline_layout = QVBoxLayout(timeline_box)
        timeline_layout.setContentsMargins(0, 0, 0, 0)
        timeline_layout.addWidget(QLabel("<b>Timeline: who held each role</b>"))
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.timeline)
        timeline_layout.addWidget(scroll, 1)
        split = QSplitter()
        split.addWidget(self.roles)
        split.addWidget(timeline_box)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        roles_tab = QWidget()
        roles_layout = QVBoxLayout(roles_tab)
        roles_layout.addWidget(self.warnings)
        roles_layout.addWidget(split, 1)
        tabs.addTab(roles_tab, "Roles")
        tabs.addTab(self.leave, "Leave && pauses")
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("<h2>Staff & roles</h2>"))
        layout.addWidget(tabs, 1)
        follow_when_shown(self, self.as_of, self.show_warnings)
        self.show_warnings()

    def select_person(self, staff_id: str) -> None:
        table = self.people.table
        for row in range(table.rowCount()):
            if table.item(row, 0).text() == staff_id:
                table.selectRow(row)
                break

    def reload(self) -> None:
        for listing in (self.people, self.roles, self.leave):
            listing.refresh()
        self.show_warnings()

    def show_warnings(self, *_changed: object) -> None:
        """The warnings and the timeline, both recomputed after every change to the roles and
        whenever the as-of date moves (``_changed`` is the new date, read from ``self.as_of``)."""
        roles = staff.list_roles(self.db)
        self.timeline.setText(timeline_html(roles))
        day = self.as_of.day
        items = staff.role_warning_items(roles, day, in_force_at(self.db, day).policy.vacancy_warning_days)
        warnings = [w.words(date_format()) for w in items]
        when = f"<i>As of {shown(day)}</i><br>" if day != self.as_of.current_day() else ""  # the window's clock
        self.warnings.setText(when + ("<br>".join(f"⚠ {w}" for w in warnings) if warnings
                                      else "✓ Every required role is held."))
