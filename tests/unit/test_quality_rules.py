"""The data-quality rules (resources/quality/2025.toml): each on both sides of its boundary, judged
over the register in SQL and on one record as a form does, which must agree."""

from __future__ import annotations

import datetime as dt

import pytest

from app.domain.permissions import Permission
from app.rules.quality import age_years, detail, duplicates, period_of, subject_of
from app.rules.quality_file import Duplicate, load_quality_file
from app.services import quality
from app.storage.models import Attendance, Case, Correspondence, DosimetrySubmission, Meeting, Staff

D = dt.date
AS_OF = D(2026, 6, 30)
RULES = load_quality_file(2025)


def case(case_id: str, **values) -> Case:  # type: ignore[no-untyped-def]
    base = {"project": "breast", "primary_site": "breast", "eligible_on": D(2026, 1, 10), "status": "pending",
            "payer": "bcbsm", "birth_date": D(1960, 1, 1)}
    base.update(values)
    if base.get("enrolled_on") is not None and "status" not in values:
        base["status"] = "enrolled"
    return Case(case_id=case_id, **base)


def enrolled(case_id: str, **values) -> Case:  # type: ignore[no-untyped-def]
    return case(case_id, **{"status": "enrolled", "enrolled_on": D(2026, 1, 20), **values})


def cases() -> list[Case]:
    """Fresh rows each time (an ORM object belongs to one database)."""
    return [
        # DQ-CASE-PAYER: enrolled at the as-of date without a payer
        enrolled("PAY-NO", payer=None), enrolled("PAY-YES", payer="medicare"), case("PAY-PENDING", payer=None),
        enrolled("PAY-LATER", payer=None, enrolled_on=D(2026, 7, 5)),
        # DQ-CASE-PRIMARY
        case("BM-NONE", project="bone_mets", primary_site=None), case("BM-MELANOMA", project="bone_mets", primary_site="melanoma"),
        case("BM-COLORECTAL", project="bone_mets", primary_site="colorectal"),
        # DQ-CASE-SITE-BLANK
        case("SITE-BLANK", primary_site=None), case("SITE-SET"),
        # DQ-CASE-ENROLLED-LATE (90 < days ≤ 365) and -IMPLAUSIBLE (> 365)
        enrolled("LATE-90", eligible_on=D(2026, 1, 1), enrolled_on=D(2026, 4, 1)),
        enrolled("LATE-91", eligible_on=D(2026, 1, 1), enrolled_on=D(2026, 4, 2)),
        enrolled("LATE-365", eligible_on=D(2025, 1, 1), enrolled_on=D(2026, 1, 1)),
        enrolled("LATE-366", eligible_on=D(2024, 12, 31), enrolled_on=D(2026, 1, 1)),
        # DQ-CASE-AGE: 18 on the 18th birthday; 110 is still plausible, 111 not; 29 February
        case("AGE-18", eligible_on=D(2026, 3, 1), birth_date=D(2008, 3, 1)),
        case("AGE-17", eligible_on=D(2026, 3, 1), birth_date=D(2008, 3, 2)),
        case("AGE-110", eligible_on=D(2026, 3, 1), birth_date=D(1915, 3, 2)),
        case("AGE-111", eligible_on=D(2026, 3, 1), birth_date=D(1915, 3, 1)),
        case("LEAP-17", eligible_on=D(2026, 2, 28), birth_date=D(2008, 2, 29)),
        case("LEAP-18", eligible_on=D(2026, 3, 1), birth_date=D(2008, 2, 29)),
        # DQ-CASE-FUTURE
        case("FUTURE-NO", eligible_on=AS_OF), case("FUTURE-YES", eligible_on=D(2026, 7, 1)),
        # DQ-CASE-DUPLICATE: same MRN and project within 90 days
        case("DUP-A", mrn="M1", eligible_on=D(2026, 1, 1)), case("DUP-B", mrn="M1", eligible_on=D(2026, 4, 1)),
        case("DUP-LUNG", mrn="M1", project="lung", primary_site="lung", eligible_on=D(2026, 1, 5)),
        case("DUP-C", mrn="M2", eligible_on=D(2026, 1, 1)), case("DUP-D", mrn="M2", eligible_on=D(2026, 4, 2)),
        # DQ-DOSE-MISSING: 90 days after enrollment
        enrolled("MISS-90", enrolled_on=D(2026, 4, 1)), enrolled("MISS-91", enrolled_on=D(2026, 3, 31)),
        enrolled("MISS-SUBMITTED", project="lung", primary_site="lung", enrolled_on=D(2026, 1, 1)),
        enrolled("MISS-SUBMITTED-LATER", project="lung", primary_site="lung", enrolled_on=D(2026, 1, 1)),
        enrolled("MISS-PROSTATE", project="prostate", primary_site="prostate", enrolled_on=D(2026, 1, 1)),
        # submitted, and failing another rule: what the register's scan of cases returns is judged by
        # each rule of that scan only (the missing dosimetry is judged apart, knowing the submissions)
        enrolled("MISS-SUBMITTED-NO-PAYER", payer=None, enrolled_on=D(2026, 1, 1)),
        *[enrolled(f"DOSE-{n}") for n in range(1, 10)],
    ]


# (case, technique, total Gy, fractions, submitted): breast plans of 1.8 to 6.0 Gy a fraction, 10 to 70 Gy
SUBMISSIONS = [
    ("DOSE-1", "IMRT", 60.0, 10, D(2026, 2, 1)), ("DOSE-2", "IMRT", 60.1, 10, D(2026, 2, 1)),
    ("DOSE-3", "3D-CRT", 18.0, 10, D(2026, 2, 1)), ("DOSE-4", "3D-CRT", 17.9, 10, D(2026, 2, 1)),
    ("DOSE-5", "VMAT", 70.0, 35, D(2026, 2, 1)), ("DOSE-6", "VMAT", 70.5, 35, D(2026, 2, 1)),
    ("DOSE-7", "3D-CRT", 150.0, 15, D(2026, 2, 1)), ("DOSE-8", "Other", 150.0, 15, D(2026, 2, 1)),
    ("DOSE-9", "IMRT", 40.05, 15, AS_OF), ("DOSE-9", "IMRT", 40.05, 15, D(2026, 7, 1)),
    ("MISS-SUBMITTED", "VMAT", 60.0, 30, D(2026, 2, 1)), ("MISS-SUBMITTED-NO-PAYER", "VMAT", 50.0, 25, D(2026, 2, 1)), ("MISS-SUBMITTED-LATER", "VMAT", 60.0, 30, D(2026, 7, 15)),
]

#: (rule, subject, fires) — each rule on both sides of its boundary
EXPECTED = [
    ("DQ-CASE-PAYER", {"case": "PAY-NO"}, True), ("DQ-CASE-PAYER", {"case": "PAY-YES"}, False),
    ("DQ-CASE-PAYER", {"case": "PAY-PENDING"}, False), ("DQ-CASE-PAYER", {"case": "PAY-LATER"}, False),
    ("DQ-CASE-PRIMARY", {"case": "BM-NONE"}, True), ("DQ-CASE-PRIMARY", {"case": "BM-MELANOMA"}, False),
    ("DQ-CASE-PRIMARY", {"case": "BM-COLORECTAL"}, True), ("DQ-CASE-PRIMARY", {"case": "SITE-BLANK"}, False),
    ("DQ-CASE-SITE-BLANK", {"case": "SITE-BLANK"}, True), ("DQ-CASE-SITE-BLANK", {"case": "SITE-SET"}, False),
    ("DQ-CASE-SITE-BLANK", {"case": "BM-NONE"}, False),
    ("DQ-CASE-ENROLLED-LATE", {"case": "LATE-90"}, False), ("DQ-CASE-ENROLLED-LATE", {"case": "LATE-91"}, True),
    ("DQ-CASE-ENROLLED-LATE", {"case": "LATE-365"}, True), ("DQ-CASE-ENROLLED-LATE", {"case": "LATE-366"}, False),
    ("DQ-CASE-ENROLLED-IMPLAUSIBLE", {"case": "LATE-365"}, False),
    ("DQ-CASE-ENROLLED-IMPLAUSIBLE", {"case": "LATE-366"}, True),
    ("DQ-CASE-AGE", {"case": "AGE-18"}, False), ("DQ-CASE-AGE", {"case": "AGE-17"}, True),
    ("DQ-CASE-AGE", {"case": "AGE-110"}, False), ("DQ-CASE-AGE", {"case": "AGE-111"}, True),
    ("DQ-CASE-AGE", {"case": "LEAP-17"}, True), ("DQ-CASE-AGE", {"case": "LEAP-18"}, False),
    ("DQ-CASE-FUTURE", {"case": "FUTURE-NO"}, False), ("DQ-CASE-FUTURE", {"case": "FUTURE-YES"}, True),
    ("DQ-CASE-FUTURE", {"case": "PAY-LATER"}, True),
    ("DQ-CASE-DUPLICATE", {"case": "DUP-B"}, True), ("DQ-CASE-DUPLICATE", {"case": "DUP-A"}, False),
    ("DQ-CASE-DUPLICATE", {"case": "DUP-LUNG"}, False), ("DQ-CASE-DUPLICATE", {"case": "DUP-D"}, False),
    ("DQ-DOSE-MISSING", {"case": "MISS-90"}, False), ("DQ-DOSE-MISSING", {"case": "MISS-91"}, True),
    ("DQ-DOSE-MISSING", {"case": "MISS-SUBMITTED"}, False), ("DQ-DOSE-MISSING", {"case": "MISS-SUBMITTED-LATER"}, True),
    ("DQ-DOSE-MISSING", {"case": "MISS-PROSTATE"}, False),
    ("DQ-DOSE-MISSING", {"case": "MISS-SUBMITTED-NO-PAYER"}, False),
    ("DQ-CASE-PAYER", {"case": "MISS-SUBMITTED-NO-PAYER"}, True),
    ("DQ-DOSE-FRACTION", {"case": "DOSE-1", "submitted_on": "2026-02-01"}, False),
    ("DQ-DOSE-FRACTION", {"case": "DOSE-2", "submitted_on": "2026-02-01"}, True),
    ("DQ-DOSE-FRACTION", {"case": "DOSE-3", "submitted_on": "2026-02-01"}, False),
    ("DQ-DOSE-FRACTION", {"case": "DOSE-4", "submitted_on": "2026-02-01"}, True),
    ("DQ-DOSE-TOTAL", {"case": "DOSE-2", "submitted_on": "2026-02-01"}, False),
    ("DQ-DOSE-TOTAL", {"case": "DOSE-5", "submitted_on": "2026-02-01"}, False),
    ("DQ-DOSE-TOTAL", {"case": "DOSE-6", "submitted_on": "2026-02-01"}, True),
    ("DQ-DOSE-FRACTION", {"case": "DOSE-6", "submitted_on": "2026-02-01"}, False),
    ("DQ-DOSE-FRACTION", {"case": "DOSE-7", "submitted_on": "2026-02-01"}, True),   # 150 Gy in 15: issue 27
    ("DQ-DOSE-TOTAL", {"case": "DOSE-7", "submitted_on": "2026-02-01"}, True),
    ("DQ-DOSE-FRACTION", {"case": "DOSE-8", "submitted_on": "2026-02-01"}, False),  # no range for "Other"
    ("DQ-DOSE-FUTURE", {"case": "DOSE-9", "submitted_on": "2026-06-30"}, False),
    ("DQ-DOSE-FUTURE", {"case": "DOSE-9", "submitted_on": "2026-07-01"}, True),
    ("DQ-ATT-FUTURE", {"meeting": "M-PAST", "role": "cda", "staff": "CD"}, False),
    ("DQ-ATT-FUTURE", {"meeting": "M-NEXT", "role": "cda", "staff": "CD"}, True),
    ("DQ-LETTER-REPLY-ORDER", {"letter": "L-SAME-DAY"}, False), ("DQ-LETTER-REPLY-ORDER", {"letter": "L-BEFORE"}, True),
    ("DQ-LETTER-FUTURE", {"letter": "L-SAME-DAY"}, False), ("DQ-LETTER-FUTURE", {"letter": "L-RECEIVED-LATER"}, True),
    ("DQ-LETTER-FUTURE", {"letter": "L-REPLIED-LATER"}, True), ("DQ-LETTER-FUTURE", {"letter": "L-TODAY"}, False),
]


def seed(db) -> None:  # type: ignore[no-untyped-def]
    with db.transaction(Permission.IMPORT) as s:
        s.add(Staff(staff_id="CD", name="C D", profession="cda"))
        s.add_all(cases())
        s.flush()
        s.add_all([DosimetrySubmission(case_id=c, technique=t, total_dose_gy=g, fractions=n, submitted_on=on,
                                       staff_id="CD", metrics={}) for c, t, g, n, on in SUBMISSIONS])
        s.add_all([Meeting(meeting_id="M-PAST", date=AS_OF, format="virtual"),
                   Meeting(meeting_id="M-NEXT", date=D(2026, 7, 1), format="in_person"),
                   Meeting(meeting_id="M-EMPTY", date=D(2026, 9, 1), format="in_person")])
        s.flush()
        s.add_all([Attendance(meeting_id="M-PAST", role="cda", staff_id="CD"),
                   Attendance(meeting_id="M-NEXT", role="cda", staff_id="CD")])
        s.add_all([
            Correspondence(letter_id="L-SAME-DAY", received_on=D(2026, 3, 10), replied_on=D(2026, 3, 10), subject="a",
                           reply_required=True),
            Correspondence(letter_id="L-BEFORE", received_on=D(2026, 3, 10), replied_on=D(2026, 3, 9), subject="b",
                           reply_required=True),
            Correspondence(letter_id="L-RECEIVED-LATER", received_on=D(2026, 7, 1), subject="c", reply_required=False),
            Correspondence(letter_id="L-REPLIED-LATER", received_on=D(2026, 6, 1), replied_on=D(2026, 7, 1),
                           subject="d", reply_required=True),
            Correspondence(letter_id="L-TODAY", received_on=AS_OF, replied_on=AS_OF, subject="e", reply_required=True),
        ])


def keys(problems) -> set[tuple[str, str]]:  # type: ignore[no-untyped-def]
    from app.services.reviews import subject_key

    return {(p.rule, subject_key(p.subject)) for p in problems}


@pytest.fixture
def seeded(db):  # type: ignore[no-untyped-def]
    seed(db)
    return db


def test_every_rule_of_the_file_is_tested_on_both_sides() -> None:
    rules = {r.id for r in RULES.rules}
    fired = {rule for rule, _, fires in EXPECTED if fires}
    passed = {rule for rule, _, fires in EXPECTED if not fires}
    assert fired == rules and passed == rules


@pytest.mark.parametrize(("rule", "subject", "fires"), EXPECTED, ids=lambda x: str(x))
def test_each_rule_on_both_sides_of_its_boundary_over_the_register(seeded, rule, subject, fires) -> None:
    from app.services.reviews import subject_key

    report = quality.evaluate_quality(seeded, AS_OF)
    assert ((rule, subject_key(subject)) in keys(report.problems)) is fires


def _rows(db) -> dict[str, list[dict]]:  # type: ignore[no-untyped-def]
    """Every record as the pure rules read it (this test may loop; the service may not)."""
    from sqlalchemy import select

    out: dict[str, list[dict]] = {}
    with db.reader() as s:
        for record in quality.COLUMNS:
            out[record] = [dict(r._mapping) for r in s.execute(quality._base(record))]
        submitted = {cid for cid, in s.execute(select(DosimetrySubmission.case_id).where(
            DosimetrySubmission.submitted_on <= AS_OF))}
        mrns = dict(s.execute(select(Case.case_id, Case.mrn)).all())
    for row in out["case"]:
        row["has_submission"] = row["case_id"] in submitted
        row["mrn"] = mrns[row["case_id"]]
    return out


def test_the_register_sql_and_the_one_record_rules_agree(seeded) -> None:
    """The SQL selects exactly the records the pure rules fail (not one more: it is exact, not
    only a superset the rules then sort out), each record kind."""
    rows = _rows(seeded)
    dup = RULES.rule("DQ-CASE-DUPLICATE")
    assert isinstance(dup.check, Duplicate)
    pure_dups = {later["case_id"] for later, _, _ in duplicates(dup.check, rows["case"])}
    with seeded.reader() as s:
        dialect = s.get_bind().dialect.name
        for record in quality.COLUMNS:
            members = [r for r in RULES.rules if r.record == record and r.id != "DQ-DOSE-MISSING"]
            failing = [v for v in rows[record]
                       if any(detail(rule, v, AS_OF, RULES) for rule in members)]
            assert sorted(str(subject_of(record, v)) for v in quality._failing(s, record, members, RULES, AS_OF, dialect)) \
                == sorted(str(subject_of(record, v)) for v in failing), record
        missing = RULES.rule("DQ-DOSE-MISSING")
        sql_missing = {v["case_id"] for v in quality._missing_dosimetry(s, missing, missing.check, AS_OF)}
        sql_dups = {later["case_id"] for later, _, _ in quality._duplicates(s, dup.check, dialect)}
    assert sql_missing == {v["case_id"] for v in rows["case"] if detail(missing, v, AS_OF, RULES)}
    assert sql_dups == pure_dups == {"DUP-B"}


def test_messages_name_the_record_and_values_but_no_patient_identifier(seeded) -> None:
    report = quality.evaluate_quality(seeded, AS_OF)
    text = {p.rule + " " + str(p.subject): p.message for p in report.problems}
    assert text["DQ-DOSE-FRACTION {'case': 'DOSE-7', 'submitted_on': '2026-02-01'}"] == (
        "Dosimetry of case DOSE-7 (Breast) submitted 2026-02-01: 150 Gy in 15 fractions is 10.00 Gy per fraction; "
        "Breast 3D-CRT plans are expected at 1.8 to 6 Gy per fraction.")
    assert text["DQ-CASE-AGE {'case': 'AGE-17'}"] == ("Case AGE-17 (Breast): the birth date makes the patient younger "
                                                      "than 18 at eligibility.")
    assert "M1" not in text["DQ-CASE-DUPLICATE {'case': 'DUP-B'}"]
    assert "2008" not in " ".join(text.values())  # no birth date


def test_age_counts_whole_years_with_the_birthday() -> None:
    assert age_years(D(2008, 3, 1), D(2026, 3, 1)) == 18
    assert age_years(D(2008, 3, 2), D(2026, 3, 1)) == 17
    assert age_years(D(2008, 2, 29), D(2026, 2, 28)) == 17
    assert age_years(D(2008, 2, 29), D(2026, 3, 1)) == 18


def test_periods_follow_the_enrollment_period() -> None:
    assert period_of(D(2026, 6, 30), "01-01").label == "2026"
    mid = period_of(D(2026, 6, 30), "07-01")
    assert (mid.start, mid.end, mid.label) == (D(2025, 7, 1), D(2026, 6, 30), "2025–26")
    assert period_of(D(2026, 7, 1), "07-01").label == "2026–27"
    assert period_of(D(2025, 2, 28), "02-29").start == D(2025, 2, 28)


def test_a_record_dated_after_the_as_of_date_counts_in_the_as_of_dates_period(seeded) -> None:
    report = quality.evaluate_quality(seeded, AS_OF)
    future = next(p for p in report.problems if p.rule == "DQ-CASE-FUTURE" and p.subject == {"case": "FUTURE-YES"})
    assert future.period == period_of(AS_OF, "01-01")


def test_the_self_audit_has_a_page_of_readiness_counts_and_explanations(seeded, tmp_path) -> None:
    from pypdf import PdfReader

    from app.reports.audit_pdf import write_audit_pdf
    from app.reports.audit_service import build_report

    report = quality.evaluate_quality(seeded, AS_OF)
    late = [p for p in report.problems if p.rule == "DQ-CASE-ENROLLED-LATE"]
    quality.explain(seeded, late, "Both enrolled after a second opinion elsewhere.", AS_OF)
    audit = build_report(seeded, year=2026, as_of=AS_OF)
    q = audit.quality
    assert q is not None and q.status == "red" and q.periods.startswith("2026 (2026-01-01 to 2026-12-31)")
    rows = {r.project: r for r in q.rows}
    assert rows["breast"].status == "red" and rows["breast"].reviewed == 1  # LATE-91 is 2026's; LATE-365 is 2025's
    assert {r.rule: (r.count, r.open) for r in q.rules}["DQ-CASE-ENROLLED-LATE"] == (1, 0)
    assert [e.records for e in q.explanations] == [("DQ-CASE-ENROLLED-LATE case LATE-91",)]
    assert q.earlier.startswith("2025:")
    out = tmp_path / "audit.pdf"
    write_audit_pdf(audit, out)
    text = "\n".join(page.extract_text() for page in PdfReader(out).pages)
    assert "Data quality: ready to submit" in text and "Readiness: NOT READY" in text
    assert "Both enrolled after a second opinion elsewhere." in text and "DQ-DOSE-FRACTION" in text


def test_a_workbook_import_reports_the_problems_it_brought_in_apart_from_refused_rows(empty_db, tmp_path) -> None:
    from app.workbook.importer import import_workbook
    from app.workbook.schema import WorkbookError
    from tests.unit.test_workbook import VALID, mutate, write_folder

    clean = import_workbook(empty_db, write_folder(tmp_path / "clean", VALID), as_of=D(2025, 6, 30))
    assert sorted((p.rule, p.subject["case"]) for p in clean.quality) == [  # notes only: no site on C1 and C3
        ("DQ-CASE-SITE-BLANK", "C1"), ("DQ-CASE-SITE-BLANK", "C3")]
    sheets = mutate("cases", 2, "payer", "")  # C1: enrolled without a payer, which the workbook allows
    sheets["cases"].append(["C4", "breast", "breast", "2025-03-01", "pending", "", "", "", "", "", "", "2015-01-01"])
    result = import_workbook(empty_db, write_folder(tmp_path / "problems", sheets), as_of=D(2025, 6, 30))
    assert sorted((p.rule, p.subject["case"]) for p in result.quality) == [
        ("DQ-CASE-AGE", "C4"), ("DQ-CASE-PAYER", "C1")]
    assert "It brought in 2 data-quality problem(s) (2 errors: DQ-CASE-AGE 1, DQ-CASE-PAYER 1)" in str(result)
    again = import_workbook(empty_db, write_folder(tmp_path / "problems", sheets), as_of=D(2025, 6, 30))
    assert again.quality == []  # already there: not brought in by this import
    refused = mutate("cases", 2, "project", "colon")
    with pytest.raises(WorkbookError) as rejected:  # a refused row is refused, never a quality warning
        import_workbook(empty_db, write_folder(tmp_path / "refused", refused), as_of=D(2025, 6, 30))
    assert "colon" in str(rejected.value.problems)


def test_a_screening_list_says_what_its_cases_would_bring_in(db, tmp_path) -> None:
    from app.screening.mapping import Mapping
    from app.screening.service import import_list, preview, read_list

    path = tmp_path / "list.csv"
    path.write_text("Patient ID,Patient Name,DOB,Diagnosis Code,Consult Date,Insurance\n"
                    "77001,\"DOE, JANE\",01/28/1960,C50.9,06/13/2025,\n"
                    "77002,\"ROE, RITA\",01/28/2012,C50.9,06/13/2025,\n", encoding="utf-8")
    plan = preview(db, path, Mapping(), as_of=D(2025, 6, 30)).plan
    assert [(p.rule, p.severity) for p in plan.quality] == [("DQ-CASE-AGE", "error")]
    assert "It would bring in 1 data-quality problem(s) (1 error: DQ-CASE-AGE 1)" in plan.summary(written=False)
    assert plan.to_json()["quality"][0]["record"] == {"case": plan.quality[0].subject["case"]}
    assert "77002" not in str(plan.to_json()["quality"])  # no MRN
    receipt = import_list(db, read_list(path, Mapping()), as_of=D(2025, 6, 30))
    assert [p.rule for p in receipt.plan.quality] == ["DQ-CASE-AGE"]
