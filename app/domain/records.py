"""Record rules shared by the forms and the services: what makes a case, a person, a meeting
valid. Each validator returns ``{field: message}`` so a form can show the message beside the
field while the user types, and a service can refuse the save with the same words.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

from app.domain import fields
from app.domain.vocabulary import (
    ABSENCE_KINDS,
    BONE_METS_PRIMARY_SITES,
    DATA_ENTRY_KINDS,
    NOT_ENROLLED_REASONS,
    PROJECT_LABELS,
    PROJECTS,
    ROLES,
    label,
)

MAX_TOTAL_DOSE_GY = 200.0
MAX_FRACTIONS = 60
MAX_DOSE_PER_FRACTION_GY = 30.0
#: The earliest plausible birth date (a patient born before it would be over 120 at eligibility).
EARLIEST_BIRTH_DATE = dt.date(1900, 1, 1)
#: Dose metrics of one submission: how many, how long a name, the largest value.
MAX_METRICS = 50
MAX_METRIC_NAME = 64
MAX_METRIC_VALUE = 1_000_000.0
#: The primary site of a breast, lung or prostate case is its project (or left blank).
SITE_IS_PROJECT = ("breast", "lung", "prostate")

Problems = dict[str, str]


def _choice(problems: Problems, name: str, value: str | None, allowed: tuple[str, ...], required: bool = True) -> None:
    if value in (None, ""):
        if required:
            problems[name] = "required"
        return
    if value not in allowed:
        problems[name] = f"'{value}' is not one of: {', '.join(allowed)}"


def declared_problems(record: fields.RecordSpec, values: object, *keys: str) -> Problems:
    """What the field declarations alone say is wrong (a required field left empty, a value that
    is not one of the choices), for ``keys`` in their order (every field when none is named).
    ``values`` is a record or a dict of its fields."""
    problems: Problems = {}
    for key in keys or record.keys:
        f = record[key]
        value = values.get(key) if isinstance(values, dict) else getattr(values, key)
        if f.kind == "choice" and not f.open_choices:
            _choice(problems, key, value, f.choices, f.required)
        elif f.required and (value is None or (isinstance(value, str) and not value.strip())):
            problems[key] = "required"
    return problems


@dataclass
class CaseRecord:
    case_id: str
    project: str
    eligible_on: dt.date | None
    status: str = "pending"
    primary_site: str | None = None
    enrolled_on: dt.date | None = None
    not_enrolled_reason: str | None = None
    note: str | None = None
    payer: str | None = None
    mrn: str | None = None
    name: str | None = None
    birth_date: dt.date | None = None
    #: the version the record was read at (None: a new case); a save based on it is refused if
    #: the case changed since (``app.services.editing.Conflict``)
    version: int | None = None


def validate_case(c: CaseRecord, *, reason_required: bool = True) -> Problems:
    """``reason_required=False`` (the workbook import) accepts a not-enrolled case without a
    reason: POLICY.md makes it a QIP-ENR-SELECTIVE finding, which a refused import would hide."""
    problems = declared_problems(fields.CASE, c, "case_id", "project", "status", "payer", "eligible_on")
    if c.project == "bone_mets":
        if not c.primary_site:
            problems["primary_site"] = "a bone-metastases case needs its primary site"
        elif c.primary_site not in BONE_METS_PRIMARY_SITES:
            problems["primary_site"] = (
                f"'{c.primary_site}' is not an MROQC-eligible primary for bone metastases "
                f"(eligible: {', '.join(BONE_METS_PRIMARY_SITES)}): such a case is not MROQC-eligible and is not "
                "entered"
            )
    elif c.project in SITE_IS_PROJECT and c.primary_site and c.primary_site != c.project:
        problems["primary_site"] = (f"a {c.project} case's primary site is {c.project} (or blank), "
                                    f"not '{c.primary_site}'")
    if c.status == "enrolled":
        if c.enrolled_on is None:
            problems["enrolled_on"] = "an enrolled case needs its enrollment date"
        elif c.eligible_on and c.enrolled_on < c.eligible_on:
            problems["enrolled_on"] = "the enrollment date is before the eligible date"
    elif c.enrolled_on is not None:
        problems["enrolled_on"] = "only an enrolled case has an enrollment date"
    if c.status == "not_enrolled":
        if not c.not_enrolled_reason:
            if reason_required:
                problems["not_enrolled_reason"] = "say why the case was not enrolled"
        else:
            _choice(problems, "not_enrolled_reason", c.not_enrolled_reason, NOT_ENROLLED_REASONS)
        if c.not_enrolled_reason == "other" and not (c.note or "").strip():
            problems["note"] = "the reason 'other' needs a note"
    elif c.not_enrolled_reason:
        problems["not_enrolled_reason"] = "only a not-enrolled case has a reason"
    if c.birth_date and c.eligible_on and c.birth_date > c.eligible_on:
        problems["birth_date"] = "the birth date is after the eligible date"
    elif c.birth_date and c.birth_date < EARLIEST_BIRTH_DATE:
        problems["birth_date"] = f"a birth date before {EARLIEST_BIRTH_DATE.isoformat()} is implausible"
    return problems


@dataclass
class StaffRecord:
    staff_id: str
    name: str
    profession: str
    physician_title: str | None = None
    works_on_mroqc: bool = False
    treats_mroqc_patients: bool = False
    cmd_id: str | None = None
    arrt_id: str | None = None
    pgip_member_since: dt.date | None = None
    email: str | None = None
    version: int | None = None  # as read (see CaseRecord.version)

    def row(self) -> dict[str, object]:
        """The stored values by the declared staff fields (what the demo writes to the table)."""
        return {key: getattr(self, key) for key in fields.STAFF.keys}


def validate_staff(s: StaffRecord) -> Problems:
    problems = declared_problems(fields.STAFF, s)
    if s.physician_title and s.profession != "physician":
        problems["physician_title"] = "only a physician has a physician title"
    if s.email and "@" not in s.email:
        problems["email"] = "not an e-mail address"
    return problems


def validate_period(start: dt.date | None, end: dt.date | None, *, end_required: bool = False) -> Problems:
    problems: Problems = {}
    if start is None:
        problems["start"] = "required"
    if end is None and end_required:
        problems["end"] = "required"
    if start and end and end < start:
        problems["end"] = "the end is before the start"
    return problems


def validate_role(role: str, start: dt.date | None, end: dt.date | None) -> Problems:
    problems = validate_period(start, end)
    _choice(problems, "role", role, ROLES)
    return problems


@dataclass
class DosimetryRecord:
    case_id: str
    submitted_on: dt.date | None
    staff_id: str
    technique: str
    total_dose_gy: float | None
    fractions: int | None
    metrics: dict[str, float] = field(default_factory=dict)
    version: int | None = None  # as read (see CaseRecord.version)


def validate_dosimetry(d: DosimetryRecord) -> Problems:
    problems = declared_problems(fields.DOSIMETRY, d, "case_id", "staff_id", "technique", "submitted_on")
    if d.total_dose_gy is None:
        problems["total_dose_gy"] = "required"
    elif not 0 < d.total_dose_gy <= MAX_TOTAL_DOSE_GY:
        problems["total_dose_gy"] = f"a total dose must be above 0 and at most {MAX_TOTAL_DOSE_GY:g} Gy"
    if d.fractions is None:
        problems["fractions"] = "required"
    elif not 1 <= d.fractions <= MAX_FRACTIONS:
        problems["fractions"] = f"fractions must be from 1 to {MAX_FRACTIONS}"
    plausible_inputs = "total_dose_gy" not in problems and "fractions" not in problems
    if plausible_inputs and d.total_dose_gy / d.fractions > MAX_DOSE_PER_FRACTION_GY:
        problems["fractions"] = (
            f"{d.total_dose_gy / d.fractions:.1f} Gy per fraction is implausible (at most {MAX_DOSE_PER_FRACTION_GY:g})"
        )
    for name, value in d.metrics.items():
        if not name.strip():
            problems["metrics"] = "a metric needs a name"
        elif value is None or not math.isfinite(value) or not 0 <= value <= MAX_METRIC_VALUE:
            problems["metrics"] = f"metric '{name}' needs a number from 0 to {MAX_METRIC_VALUE:,.0f}"
    if len(d.metrics) > MAX_METRICS:
        problems["metrics"] = f"at most {MAX_METRICS} metrics"
    return problems


def parse_metrics(text: str) -> dict[str, float]:
    """``mean_heart_dose_gy=1.2;lung_v20_pct=18`` → dict; raises ValueError saying what is wrong
    (a name given twice, too many or too long names, a value that is not a finite number)."""
    metrics: dict[str, float] = {}
    for part in (text or "").split(";"):
        part = part.strip()
        if not part:
            continue
        name, sep, value = part.partition("=")
        name = name.strip()
        if not sep or not name:
            raise ValueError(f"'{part[:80]}' is not name=value")
        if len(name) > MAX_METRIC_NAME:
            raise ValueError(f"a metric name has at most {MAX_METRIC_NAME} characters")
        if name in metrics:
            raise ValueError(f"'{name}' is given twice")
        if len(metrics) >= MAX_METRICS:
            raise ValueError(f"at most {MAX_METRICS} metrics")
        try:
            number = float(value) if len(value) <= 40 else math.nan
        except ValueError:
            number = math.nan
        if not math.isfinite(number):
            raise ValueError(f"'{value.strip()[:40]}' in '{name}' is not a number")
        metrics[name] = number
    return metrics


def format_metrics(metrics: dict[str, float] | None) -> str:
    return ";".join(f"{k}={v:g}" for k, v in sorted((metrics or {}).items()))


def validate_meeting(meeting_id: str, date: dt.date | None, fmt: str) -> Problems:
    return declared_problems(fields.MEETING, {"meeting_id": meeting_id, "date": date, "format": fmt},
                             "meeting_id", "date", "format")


def validate_attendance(role: str, staff_id: str, ce_credit: str | None) -> Problems:
    return declared_problems(fields.ATTENDANCE, {"role": role, "staff_id": staff_id, "ce_credit": ce_credit},
                             "role", "staff_id", "ce_credit")


def validate_letter(received_on: dt.date | None, subject: str, due_on: dt.date | None, replied_on: dt.date | None) -> Problems:
    problems = declared_problems(fields.LETTER, {"received_on": received_on, "subject": subject},
                                 "received_on", "subject")
    if received_on and due_on and due_on < received_on:
        problems["due_on"] = "the reply is due before the letter arrived"
    if received_on and replied_on and replied_on < received_on:
        problems["replied_on"] = "the reply is dated before the letter arrived"
    return problems


def validate_absence(kind: str, start: dt.date | None, end: dt.date | None, staff_id: str | None, project: str | None) -> Problems:
    problems = validate_period(start, end, end_required=True)
    _choice(problems, "kind", kind, ABSENCE_KINDS)
    if kind in ("leave", "vacation") and not staff_id:
        problems["staff_id"] = "leave and vacation belong to a person"
    if kind == "enrollment_pause" and staff_id:
        problems["staff_id"] = "an enrollment pause is for the whole facility (no person)"
    _choice(problems, "project", project, PROJECTS, required=False)
    return problems


def validate_data_entry(kind: str, date: dt.date | None) -> Problems:
    problems: Problems = {}
    if date is None:
        problems["date"] = "required"
    _choice(problems, "kind", kind, DATA_ENTRY_KINDS)
    return problems


def case_advice(project: str | None, primary_site: str | None, not_enrolled_reason: str | None) -> str:
    """What a coordinator should know about the case as typed, in words (POLICY.md)."""
    notes = []
    if project == "bone_mets" and primary_site and primary_site not in BONE_METS_PRIMARY_SITES:
        eligible = ", ".join(label(p).lower() for p in BONE_METS_PRIMARY_SITES)
        notes.append(f"A bone-metastases case with a {label(primary_site).lower()} primary is not MROQC-eligible "
                     f"(only {eligible} primaries are), so it is not entered as an MROQC case.")
    if not_enrolled_reason == "measure_criteria":
        notes.append("“Did not meet the measure criteria” is not a reason MROQC accepts: a case left out because "
                     "it did not meet the performance-measure criteria is exactly what the selective-enrollment "
                     f"trigger (QIP-ENR-SELECTIVE) reports. Enroll it if it is {PROJECT_LABELS.get(project or '', 'eligible').lower()}-eligible, "
                     "or give the real reason.")
    return " ".join(notes)
