"""The coordinators' vocabulary: every enumerated value the workbook and POLICY.md name.

Kept as plain tuples of strings (not Enum classes) because they travel unchanged through the
workbook, the database, JSON output and the UI; one tuple per column is the single source that
validation, the demo generator and the forms all read.
"""

from __future__ import annotations

PROJECTS: tuple[str, ...] = ("breast", "lung", "prostate", "bone_mets")
PROJECT_LABELS: dict[str, str] = {
    "breast": "Breast",
    "lung": "Lung",
    "prostate": "Prostate",
    "bone_mets": "Bone metastases",
}
BONE_METS_PRIMARY_SITES: tuple[str, ...] = ("breast", "lung", "prostate", "melanoma", "renal_cell")
#: Primaries behind bone metastases that MROQC does not take: offered in the form only to say so.
INELIGIBLE_PRIMARY_SITES: tuple[str, ...] = ("colorectal", "bladder", "kidney_other", "thyroid", "liver", "pancreas",
                                             "head_and_neck", "myeloma", "other_primary")

CASE_STATUSES: tuple[str, ...] = ("pending", "enrolled", "not_enrolled")
NOT_ENROLLED_REASONS: tuple[str, ...] = (
    "declined",
    "unable_to_consent",
    "not_treated",
    "transferred",
    "deceased",
    "ineligible_on_review",
    "other",
    "measure_criteria",
)
PAYERS: tuple[str, ...] = ("bcbsm", "bcn", "medicare", "medicaid", "other", "uninsured")
#: Payers that count as Blue Cross Blue Shield of Michigan for the non-BCBSM share.
BCBSM_PAYERS: tuple[str, ...] = ("bcbsm", "bcn")
#: Codes whose words are not just the code with spaces.
SPECIAL_LABELS: dict[str, str] = {
    "bcbsm": "BCBSM",
    "bcn": "BCN",
    "cda": "CDA",
    "cmo": "CMO",
    "ro_involved": "RO involved",
    "in_person": "In person",
    "virtual": "Virtual, by webinar",  # never nested in brackets: "(Virtual, by webinar)"
    "mdcb": "MDCB",
    "arrt": "ARRT",
    "asrt": "ASRT",
    "pro": "PRO",
    "qip": "QIP",
    "ce": "Continuing education",
    "measure_criteria": "Did not meet the measure criteria",
    "kidney_other": "Kidney (not renal cell)",
    "other_primary": "Another primary",
    "renal_cell": "Renal cell",
}

REQUIRED_ROLES: tuple[str, ...] = ("clinical_champion", "physics_lead", "cda")
OPTIONAL_ROLES: tuple[str, ...] = ("administrative_lead", "dosimetry_representative")
ROLES: tuple[str, ...] = REQUIRED_ROLES + OPTIONAL_ROLES
ROLE_LABELS: dict[str, str] = {
    "clinical_champion": "Clinical champion",
    "physics_lead": "Physics lead",
    "cda": "Clinical data abstractor",
    "administrative_lead": "Administrative lead",
    "dosimetry_representative": "Dosimetry representative",
}
#: Roles that only one person may hold at a time (an overlap is an input warning).
SINGLE_HOLDER_ROLES: tuple[str, ...] = ("clinical_champion", "physics_lead")

PROFESSIONS: tuple[str, ...] = (
    "radiation_oncologist",
    "physician",
    "resident",
    "physician_assistant",
    "nurse_practitioner",
    "physicist",
    "dosimetrist",
    "cda",
    "administrator",
    "nurse",
    "other",
)
PHYSICIAN_TITLES: tuple[str, ...] = ("cmo", "chief_of_quality", "ro_involved", "other")

FACILITY_KINDS: tuple[str, ...] = ("hospital", "freestanding")
DATA_ENTRY_KINDS: tuple[str, ...] = ("abstraction", "pro", "followup", "other")
MEETING_FORMATS: tuple[str, ...] = ("in_person", "virtual")
#: ``attendee`` marks someone at a meeting who covered none of the required roles.
ATTENDANCE_ROLES: tuple[str, ...] = REQUIRED_ROLES + ("attendee",)
CE_CREDITS: tuple[str, ...] = ("mdcb", "arrt", "asrt")
ABSENCE_KINDS: tuple[str, ...] = ("leave", "vacation", "enrollment_pause")
#: A dosimetry submission's technique, as the physics lead names it (shown as written: not codes).
DOSIMETRY_TECHNIQUES: tuple[str, ...] = ("3D-CRT", "IMRT", "VMAT", "SBRT", "Electrons", "Protons", "Other")


def label(value: str | None) -> str:
    """Turn a stored code such as ``not_enrolled`` into words for people."""
    if not value:
        return ""
    if value in PROJECT_LABELS:
        return PROJECT_LABELS[value]
    if value in ROLE_LABELS:
        return ROLE_LABELS[value]
    if value in SPECIAL_LABELS:
        return SPECIAL_LABELS[value]
    return value.replace("_", " ").capitalize()


#: Every stored code, so a display can turn codes (and only codes) into words.
CODES: frozenset[str] = frozenset(
    PROJECTS + BONE_METS_PRIMARY_SITES + CASE_STATUSES + NOT_ENROLLED_REASONS + PAYERS + ROLES + PROFESSIONS
    + PHYSICIAN_TITLES + FACILITY_KINDS + DATA_ENTRY_KINDS + MEETING_FORMATS + ATTENDANCE_ROLES + CE_CREDITS
    + ABSENCE_KINDS
)
