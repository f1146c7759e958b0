"""Finding which column holds what from the file's own headers.

Headers are compared after ``normalise``: lower case, and every space and punctuation mark
dropped ("Patient ID", "PATIENT_ID" and "patient-id" are one header). ``KNOWN_HEADERS`` is the
documented list (docs/screen-import.md); a file whose headers are not in it is read with a
mapping file or the wizard's drop-downs instead.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

#: For each field, the headers recognised for it, most specific first.
KNOWN_HEADERS: dict[str, tuple[str, ...]] = {
    "mrn": ("MRN", "Patient ID", "PatientID", "Patient MRN", "Medical Record Number", "Medical Record No",
            "Med Rec No", "MR Number", "MRN Number", "Chart Number", "Hospital Number", "Patient Number", "Pat ID",
            "Id"),
    "name": ("Patient Name", "Name", "Patient", "Full Name", "Patient Full Name"),
    "last_name": ("Last Name", "LastName", "Patient Last Name", "Surname", "Family Name", "Last", "Pat Last Name"),
    "first_name": ("First Name", "FirstName", "Patient First Name", "Given Name", "First", "Pat First Name"),
    "birth_date": ("DOB", "Date of Birth", "Birth Date", "Birthdate", "Birth Dt", "Patient DOB", "Pat DOB"),
    "diagnosis": ("Diagnosis Code", "Diagnosis Codes", "Dx Code", "Dx Codes", "ICD10", "ICD-10", "ICD-10-CM",
                  "ICD10 Code", "ICD-10 Code", "ICD10CM Code", "ICD Code", "Diagnosis ICD10", "Dx ICD10",
                  "Diagnosis", "Dx", "Code", "Codes", "Diagnoses"),
    "primary_diagnosis": ("Primary", "Primary Site", "Primary Diagnosis", "Primary Dx", "Primary Site Code",
                          "Primary ICD10", "Primary Code", "Primary Cancer", "Other Codes"),
    "eligible_on": ("Consult Date", "Consultation Date", "Date of Consult", "Eligible Date", "Eligible On",
                    "Eligibility Date", "Referral Date", "Visit Date", "Appointment Date", "Appt Date",
                    "Encounter Date", "Diagnosis Date", "Date of Diagnosis", "Dx Date", "Start", "Date"),
    "payer": ("Insurance", "Primary Insurance", "Payer", "Payor", "Primary Payer", "Primary Payor",
              "Insurance Plan", "Insurance Name", "Financial Class", "Plan", "Coverage"),
}
_PUNCTUATION = re.compile(r"[^0-9a-z]+")


def normalise(header: str) -> str:
    """The form headers are compared in: lower case, letters and digits only."""
    return _PUNCTUATION.sub("", str(header).lower())


_LOOKUP: dict[str, tuple[str, int]] = {}
for _field, _names in KNOWN_HEADERS.items():
    for _rank, _name in enumerate(_names):
        _LOOKUP.setdefault(normalise(_name), (_field, _rank))


def detect(headers: Sequence[str]) -> dict[str, str]:
    """``{field: header}`` for every field some header is known for; when two headers name one
    field, the more specific name wins ("Consult Date" over "Date"). Separate last and first name
    columns win over a single name column only when both are there."""
    best: dict[str, tuple[int, str]] = {}
    for header in headers:
        found = _LOOKUP.get(normalise(header))
        if found and (found[0] not in best or found[1] < best[found[0]][0]):
            best[found[0]] = (found[1], header)
    columns = {f: h for f, (_, h) in best.items()}
    if "last_name" in columns and "first_name" in columns:
        columns.pop("name", None)
    else:
        columns.pop("last_name", None)
        columns.pop("first_name", None)
    return columns


def recognised(headers: Sequence[str]) -> int:
    """How many of ``headers`` are known ones (to find the header row below report titles)."""
    return sum(1 for h in headers if normalise(h) in _LOOKUP)


def digest(headers: Sequence[str]) -> str:
    """A fingerprint of a file's headers (normalised, blanks dropped): a saved profile is offered
    for a file whose digest matches, so next week's list maps in one click."""
    text = "\x1f".join(n for n in (normalise(h) for h in headers) if n)
    return hashlib.sha256(text.encode()).hexdigest()
