"""Diagnosis codes as lists give them: "C50.911", "c50911", "C34.90; C79.51", a SNOMED-CT number.

ICD-10-CM codes are compared without their dot and shown with it ("C50911" is "C50.911"). A code
that is not of ICD-10-CM shape is looked up in the mapping's ``[codes]`` (a list's own codes,
e.g. SNOMED-CT from Synthea); failing that it is *unknown* (the mapping's ``unknown_codes`` says
whether that refuses the file or only makes the row not eligible).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: A letter, a digit, a digit or letter (the category), then up to four more characters.
_ICD10_SHAPE = re.compile(r"^[A-Z][0-9][0-9A-Z][0-9A-Z]{0,4}$")
_SEPARATORS = re.compile(r"[,;\s]+")


def _compact(text: str) -> str:
    return text.strip().upper().replace(".", "").replace(" ", "")


def is_icd10_shaped(text: str) -> bool:
    """Whether ``text`` looks like an ICD-10-CM code (dots optional, any case)."""
    compact = _compact(text)
    return bool(_ICD10_SHAPE.match(compact)) and text.strip().count(".") <= 1


def normalise_code(text: str) -> str:
    """"c50911" → "C50.911"; a code of three characters has no dot. Only for ICD-shaped text."""
    compact = _compact(text)
    return compact if len(compact) <= 3 else f"{compact[:3]}.{compact[3:]}"


def split_codes(cell: str) -> list[str]:
    """The codes of one cell, separated by commas, semicolons or spaces, in their order."""
    return [part for part in _SEPARATORS.split(cell.strip()) if part]


@dataclass(frozen=True)
class Resolved:
    """One code of a row: as written, and as ICD-10-CM (None when unknown)."""

    written: str
    icd: str | None


def resolve(token: str, own_codes: dict[str, str]) -> Resolved:
    """The ICD-10-CM code for one token: the mapping's ``[codes]`` first (a list's own code may
    look like ICD-10-CM by chance), then the token itself when it has ICD-10-CM shape."""
    written = token.strip()
    mapped = own_codes.get(written)
    if mapped is None and is_icd10_shaped(written):
        mapped = own_codes.get(normalise_code(written))
        if mapped is None:
            return Resolved(written, normalise_code(written))
    return Resolved(written, mapped)
