"""Which MROQC projects a row's ICD-10-CM codes make it eligible for: the table of INTERFACES.md.

| code | project |
|---|---|
| ``C50*`` | breast |
| ``C34*`` | lung |
| ``C61*`` | prostate |
| ``C79.51``, ``C79.52`` | bone metastases, when the primary is ``C50`` breast, ``C34`` lung, ``C61`` prostate, ``C43`` melanoma or ``C64`` renal cell |

The primary of a bone metastasis comes from the row's primary column when it names an eligible
one, else from the row's other codes (the first eligible primary among them, which is then read
as the metastasis' primary, not as a case of its own project). Every other code is not eligible,
with a reason that names it ("C18.7 colon: not an MROQC diagnosis").
"""

from __future__ import annotations

from dataclasses import dataclass, field

PROJECT_BY_CATEGORY: dict[str, str] = {"C50": "breast", "C34": "lung", "C61": "prostate"}
BONE_METASTASIS_CODES: frozenset[str] = frozenset({"C79.51", "C79.52"})
PRIMARY_BY_CATEGORY: dict[str, str] = {"C50": "breast", "C34": "lung", "C61": "prostate", "C43": "melanoma",
                                       "C64": "renal_cell"}
#: Words a primary column may hold instead of a code (registry exports often do).
PRIMARY_WORDS: dict[str, str] = {"breast": "breast", "lung": "lung", "bronchus": "lung", "prostate": "prostate",
                                 "melanoma": "melanoma", "renal cell": "renal_cell", "renalcell": "renal_cell",
                                 "renal_cell": "renal_cell", "kidney": "renal_cell", "renal": "renal_cell"}

#: Names of ICD-10-CM categories, only to explain a not-eligible row in the coordinator's words.
CATEGORY_NAMES: dict[str, str] = {
    **{f"C{n:02d}": "head and neck" for n in range(0, 15)},
    "C15": "esophagus", "C16": "stomach", "C17": "small intestine", "C18": "colon", "C19": "rectosigmoid junction",
    "C20": "rectum", "C21": "anus", "C22": "liver", "C23": "gallbladder", "C24": "biliary tract",
    "C25": "pancreas", "C30": "nasal cavity", "C31": "sinuses", "C32": "larynx", "C33": "trachea",
    "C34": "lung", "C37": "thymus", "C38": "heart and mediastinum", "C40": "bone", "C41": "bone",
    "C43": "melanoma", "C44": "skin (not melanoma)", "C45": "mesothelioma", "C46": "Kaposi sarcoma",
    "C47": "peripheral nerves", "C48": "peritoneum", "C49": "soft tissue", "C50": "breast", "C51": "vulva",
    "C52": "vagina", "C53": "cervix", "C54": "uterus", "C55": "uterus", "C56": "ovary", "C57": "female genital organs",
    "C60": "penis", "C61": "prostate", "C62": "testis", "C63": "male genital organs", "C64": "renal cell",
    "C65": "renal pelvis", "C66": "ureter", "C67": "bladder", "C68": "urinary organs", "C69": "eye",
    "C70": "meninges", "C71": "brain", "C72": "spinal cord and nerves", "C73": "thyroid", "C74": "adrenal gland",
    "C75": "endocrine glands", "C76": "ill-defined site", "C77": "lymph-node metastases",
    "C78": "metastases to respiratory or digestive organs", "C79": "metastases", "C80": "unknown primary",
    **{f"C{n}": "lymphoma, leukemia or myeloma" for n in range(81, 97)},
    **{f"D0{n}": "carcinoma in situ" for n in range(0, 10)},
}
SPECIFIC_NAMES: dict[str, str] = {"C79.31": "brain metastases", "C79.32": "meningeal metastases",
                                  "C79.51": "bone metastases", "C79.52": "bone-marrow metastases",
                                  "D05": "breast carcinoma in situ"}


@dataclass(frozen=True)
class Eligible:
    """One case a row makes: its project and, for bone metastases, the primary site."""

    project: str
    primary_site: str
    code: str


@dataclass(frozen=True)
class Decision:
    """A row's eligibility: the cases it makes (one per project) or why none."""

    cases: tuple[Eligible, ...] = ()
    reasons: tuple[str, ...] = field(default_factory=tuple)

    @property
    def eligible(self) -> bool:
        return bool(self.cases)

    @property
    def reason(self) -> str:
        return "; ".join(self.reasons)


def category(code: str) -> str:
    return code[:3]


def describe(code: str) -> str:
    """"C18.7 colon", or the bare code when its category has no name here."""
    name = SPECIFIC_NAMES.get(code) or SPECIFIC_NAMES.get(category(code)) or CATEGORY_NAMES.get(category(code))
    return f"{code} {name}" if name else code


def _primary_from_column(values: list[str]) -> tuple[str | None, str | None]:
    """(primary site, the value it came from), or (None, the first value) when none is eligible."""
    for value in values:
        site = PRIMARY_BY_CATEGORY.get(category(value)) or PRIMARY_WORDS.get(value.strip().lower())
        if site:
            return site, value
    return None, values[0] if values else None


def decide(codes: list[str], primary: list[str] | None = None, unknown: list[str] | None = None) -> Decision:
    """The projects of one row from its ICD-10-CM ``codes`` (in the file's order), its primary
    column's codes or words ``primary``, and the ``unknown`` codes left out (for the reason)."""
    primary = primary or []
    cases: list[Eligible] = []
    reasons: list[str] = []
    used: set[str] = set()
    for mets in [c for c in codes if c in BONE_METASTASIS_CODES][:1]:
        site, source = _primary_from_column(primary)
        if site is None:
            for other in codes:
                if other not in BONE_METASTASIS_CODES and category(other) in PRIMARY_BY_CATEGORY:
                    site, source = PRIMARY_BY_CATEGORY[category(other)], other
                    used.add(other)
                    break
        if site is not None:
            cases.append(Eligible("bone_mets", site, mets))
        elif source:
            reasons.append(f"{mets} with primary {describe(source) if source[:1].isupper() else source}: "
                           "not an eligible primary")
        else:
            reasons.append(f"{mets} without an eligible primary")
        used.update(c for c in codes if c in BONE_METASTASIS_CODES)
    for code in codes:
        project = PROJECT_BY_CATEGORY.get(category(code))
        if code in used:
            continue
        if project and all(c.project != project for c in cases):
            cases.append(Eligible(project, project, code))
        elif not project and not cases:
            if category(code) in PRIMARY_BY_CATEGORY:
                reasons.append(f"{describe(code)}: an MROQC diagnosis only as the primary of bone metastases")
            else:
                reasons.append(f"{describe(code)}: not an MROQC diagnosis")
    if not cases:
        reasons += [f"{code}: neither ICD-10-CM nor in [codes]" for code in unknown or []]
        if not reasons:
            reasons.append("no diagnosis code")
        return Decision((), tuple(dict.fromkeys(reasons)))
    return Decision(tuple(cases), ())
