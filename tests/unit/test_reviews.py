"""Findings marked reviewed: who may, audited, the note follows the finding while it keeps firing
for the same subject, is history when it clears and fires again, and is in the self-audit."""

from __future__ import annotations

import datetime as dt

import pytest

from app.domain.permissions import NotAllowed
from app.reports.audit_service import build_report
from app.services.findings import run_check
from app.services.reviews import ReviewError, mark_reviewed, review_states
from app.storage.models import AuditEntry
from tests.support import as_role
from tests.unit.test_findings_service import seed

D = dt.date


def lung_zero(db, as_of):
    return next((f for f in run_check(db, as_of).findings
                 if f.rule == "QIP-ENR-ZERO" and f.subject == {"project": "lung"}), None)


def state(db, as_of):
    finding = lung_zero(db, as_of)
    return None if finding is None else review_states(db, [finding], as_of)[0]


def test_reviewers_and_coordinators_may_review_and_it_is_audited(db) -> None:
    seed(db)
    finding = lung_zero(db, D(2025, 6, 30))
    with pytest.raises(NotAllowed):
        mark_reviewed(as_role(db, "physics"), finding, "x", D(2025, 6, 30))
    with pytest.raises(ReviewError):
        mark_reviewed(db, finding, "   ", D(2025, 6, 30))
    mark_reviewed(as_role(db, "coordinator", "cy"), finding, "Lung referrals paused for a linac upgrade.", D(2025, 6, 30))
    review = mark_reviewed(as_role(db, "reviewer", "dr-champ"), finding, "Confirmed with the chair.", D(2025, 6, 30))
    assert review.reviewed_by == "dr-champ" and review.line.startswith("Explained by dr-champ on ")
    with db.reader() as session:
        entries = session.query(AuditEntry).filter(AuditEntry.table_name == "finding_reviews").all()
    assert [(e.user, e.action) for e in entries] == [("cy", "insert"), ("dr-champ", "insert")]
    assert entries[0].after["note"] == "Lung referrals paused for a linac upgrade."


def test_the_note_follows_the_finding_and_is_kept_when_it_fires_again(db) -> None:
    seed(db)  # lung enrolled on April 3 and (E2) July 15
    mark_reviewed(db, lung_zero(db, D(2025, 6, 30)), "No lung referrals in spring.", D(2025, 6, 30))
    assert state(db, D(2025, 6, 30)).current.note == "No lung referrals in spring."
    assert state(db, D(2025, 7, 10)).current.note == "No lung referrals in spring."    # still firing, same spell
    assert state(db, D(2025, 6, 29)).current is None       # before it was reviewed
    assert lung_zero(db, D(2025, 7, 31)) is None             # July 15's enrollment cleared it
    again = state(db, D(2025, 8, 20))                         # 36 days later it fires again: a new spell
    assert again.current is None and [r.note for r in again.history] == ["No lung referrals in spring."]
    mark_reviewed(db, lung_zero(db, D(2025, 8, 20)), "Second gap: the CDA left.", D(2025, 8, 20))
    later = state(db, D(2025, 8, 25))
    assert later.current.note == "Second gap: the CDA left." and len(later.history) == 2


def test_the_self_audit_says_who_explained_it(db) -> None:
    seed(db)
    mark_reviewed(db, lung_zero(db, D(2025, 6, 30)), "No lung referrals in spring.", D(2025, 6, 30))
    report = build_report(db, year=2025, as_of=D(2025, 7, 10))
    [lung] = [f for f in report.findings if f["rule"] == "QIP-ENR-ZERO" and f["subject"] == {"project": "lung"}]
    assert lung["review"]["line"].startswith("Explained by test-admin on ")
    assert lung["review"]["line"].endswith("(as of 2025-06-30): No lung referrals in spring.")
    assert not any("review" in f for f in report.findings if f is not lung)


def test_the_pdf_prints_the_explanation(db, tmp_path) -> None:
    from pypdf import PdfReader

    from app.reports.audit_pdf import write_audit_pdf

    seed(db)
    mark_reviewed(db, lung_zero(db, D(2025, 6, 30)), "No lung referrals in spring.", D(2025, 6, 30))
    out = tmp_path / "audit.pdf"
    write_audit_pdf(build_report(db, year=2025, as_of=D(2025, 7, 10)), out)
    text = " ".join(" ".join((p.extract_text() or "").split()) for p in PdfReader(out).pages)
    assert "Explained by test-admin on" in text and "No lung referrals in spring." in text


def test_a_note_written_while_looking_ahead_is_in_todays_and_every_later_self_audit(db) -> None:
    seed(db)
    # written on July 1 (10:00 in Michigan) while the screen showed July 10: it explains from July 1 on
    at = dt.datetime(2025, 7, 1, 14, 0)
    review = mark_reviewed(db, lung_zero(db, D(2025, 7, 10)), "Linac upgrade: lung referrals paused.", D(2025, 7, 10),
                           at=at)
    assert review.line.startswith("Explained by test-admin on 2025-07-01 10:00 EDT (as of 2025-07-10)")
    assert state(db, D(2025, 6, 30)).current is None                     # before it was written
    for day in (D(2025, 7, 1), D(2025, 7, 5), D(2025, 7, 10)):          # that day's self-audit, and later ones
        report = build_report(db, year=2025, as_of=day)
        [lung] = [f for f in report.findings if f["rule"] == "QIP-ENR-ZERO" and f["subject"] == {"project": "lung"}]
        assert lung["review"]["note"] == "Linac upgrade: lung referrals paused.", day


def test_a_note_made_at_one_as_of_date_follows_the_finding_into_a_later_self_audit(db) -> None:
    seed(db)
    mark_reviewed(db, lung_zero(db, D(2025, 6, 30)), "No lung referrals in spring.", D(2025, 6, 30),
                  at=dt.datetime(2025, 7, 2, 15, 0))  # written later about June 30: explains June 30 on
    for day in (D(2025, 6, 30), D(2025, 7, 10)):
        report = build_report(db, year=2025, as_of=day)
        [lung] = [f for f in report.findings if f["rule"] == "QIP-ENR-ZERO" and f["subject"] == {"project": "lung"}]
        assert lung["review"]["note"] == "No lung referrals in spring."
