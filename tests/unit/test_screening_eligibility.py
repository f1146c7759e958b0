"""The eligibility table of INTERFACES.md, row by row, and the code shapes around it."""

from __future__ import annotations

import pytest

from app.screening.codes import is_icd10_shaped, normalise_code, resolve, split_codes
from app.screening.eligibility import decide


def projects(codes: list[str], primary: list[str] | None = None) -> list[tuple[str, str]]:
    return [(c.project, c.primary_site) for c in decide(codes, primary).cases]


@pytest.mark.parametrize(("code", "project"), [
    ("C50.911", "breast"), ("C50", "breast"), ("C50.019", "breast"),
    ("C34.11", "lung"), ("C34.90", "lung"), ("C34", "lung"),
    ("C61", "prostate"),
])
def test_each_project_code(code: str, project: str) -> None:
    assert projects([code]) == [(project, project)]


@pytest.mark.parametrize(("primary", "site"), [
    ("C50.912", "breast"), ("C34.2", "lung"), ("C61", "prostate"), ("C43.9", "melanoma"), ("C64.1", "renal_cell"),
])
@pytest.mark.parametrize("mets", ["C79.51", "C79.52"])
def test_bone_metastases_with_each_eligible_primary_from_the_row(mets: str, primary: str, site: str) -> None:
    """The primary among the row's other codes is the metastasis' primary, not a case of its own."""
    assert projects([mets, primary]) == [("bone_mets", site)]


@pytest.mark.parametrize(("primary", "site"), [("C50.4", "breast"), ("C34.1", "lung"), ("C61.9", "prostate"),
                                               ("C43.5", "melanoma"), ("C64.9", "renal_cell"), ("Kidney", "renal_cell")])
def test_bone_metastases_with_primary_column(primary: str, site: str) -> None:
    assert projects(["C79.51"], [primary]) == [("bone_mets", site)]


def test_bone_metastases_without_eligible_primary_are_not_eligible_with_the_reason() -> None:
    assert decide(["C79.51"]).reason == "C79.51 without an eligible primary"
    assert decide(["C79.52", "C18.7"]).reason.startswith("C79.52 without an eligible primary")
    assert decide(["C79.51"], ["C18.7"]).reason == "C79.51 with primary C18.7 colon: not an eligible primary"
    assert not decide(["C79.51"], ["C25.9"]).eligible


@pytest.mark.parametrize(("code", "reason"), [
    ("C18.7", "C18.7 colon: not an MROQC diagnosis"),
    ("C32.9", "C32.9 larynx: not an MROQC diagnosis"),
    ("C71.9", "C71.9 brain: not an MROQC diagnosis"),
    ("D05.11", "D05.11 breast carcinoma in situ: not an MROQC diagnosis"),
    ("I10", "I10: not an MROQC diagnosis"),
    ("C43.9", "C43.9 melanoma: an MROQC diagnosis only as the primary of bone metastases"),
    ("C64.9", "C64.9 renal cell: an MROQC diagnosis only as the primary of bone metastases"),
    ("C79.31", "C79.31 brain metastases: not an MROQC diagnosis"),
])
def test_other_codes_are_not_eligible_with_a_reason(code: str, reason: str) -> None:
    decision = decide([code])
    assert not decision.eligible and decision.reason == reason


def test_two_eligible_diagnoses_make_one_case_per_project() -> None:
    assert projects(["C34.90", "C61"]) == [("lung", "lung"), ("prostate", "prostate")]
    assert projects(["C50.911", "C50.912"]) == [("breast", "breast")]
    assert projects(["C79.51", "C50.9"], ["C34.1"]) == [("bone_mets", "lung"), ("breast", "breast")]
    assert projects(["Z51.0", "C61"]) == [("prostate", "prostate")]


def test_no_code_is_not_eligible() -> None:
    assert decide([]).reason == "no diagnosis code"


def test_code_shapes_dots_and_case() -> None:
    assert normalise_code("c50911") == "C50.911" and normalise_code("C61") == "C61" and normalise_code("C34.90") == "C34.90"
    assert is_icd10_shaped("C79.51") and is_icd10_shaped("c7951") and is_icd10_shaped("Z51.0")
    assert not is_icd10_shaped("254637007") and not is_icd10_shaped("N/A") and not is_icd10_shaped("C5")
    assert split_codes(" C79.51, C50.911;C34.90  C61 ") == ["C79.51", "C50.911", "C34.90", "C61"]


def test_own_codes_translate_before_the_shape_is_judged() -> None:
    own = {"254637007": "C34.90", "X1234": "C61"}
    assert resolve("254637007", own).icd == "C34.90"
    assert resolve("X1234", own).icd == "C61"  # looks like ICD-10-CM, but the list says what it is
    assert resolve("C50911", {}).icd == "C50.911"
    assert resolve("444814009", own).icd is None
