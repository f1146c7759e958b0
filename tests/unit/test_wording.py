"""Codes in the coordinators' words: finding subjects, audit entries, times with their zone."""

from __future__ import annotations

import datetime as dt

from app.domain.wording import (
    article,
    change_words,
    local_time,
    metric_words,
    subject_words,
    table_words,
)


def test_finding_subjects_in_words() -> None:
    assert subject_words({"role": "clinical_champion", "meeting": "M-2025-03"}) == "Clinical champion, meeting M-2025-03"
    assert subject_words({"project": "bone_mets"}) == "Bone metastases"
    assert subject_words({"case": "MRQ-1"}) == "Case MRQ-1"
    assert subject_words({}) == "the facility"


def test_audit_entries_in_words() -> None:
    assert table_words("qip_steps") == "QIP step" and table_words("dosimetry_submissions") == "dosimetry submission"
    assert change_words("update", {"reply_required": False}, {"reply_required": True}) == "reply needed: no → yes"
    assert change_words("update", {"status": "pending"}, {"status": "not_enrolled"}) == "status: Pending → Not enrolled"
    assert "_" not in change_words("insert", None, {"staff_id": "S1", "profession": "radiation_oncologist"})


def test_times_in_local_time_with_the_zone(monkeypatch) -> None:
    import time

    monkeypatch.setenv("TZ", "America/Detroit")
    time.tzset()
    try:
        assert local_time(dt.datetime(2025, 6, 30, 18, 5, 9)) == "2025-06-30 14:05:09 EDT"
        assert local_time(dt.datetime(2025, 1, 15, 18, 0, 0)) == "2025-01-15 13:00:00 EST"
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()


def test_a_and_an_and_metrics() -> None:
    assert article("administrator") == "an administrator" and article("physicist") == "a physicist"
    assert metric_words("mean_heart_dose_gy") == "Mean heart dose (Gy)" and metric_words("lung_v20_pct") == "Lung V20 (%)"


def test_a_meeting_format_reads_well_in_brackets() -> None:
    from app.domain.vocabulary import label

    assert f"({label('virtual')})" == "(Virtual, by webinar)"


def test_stored_times_in_an_audit_entry_read_as_local_times() -> None:
    text = change_words("insert", None, {"created_at": "2026-12-01T15:09:20"})
    assert "T15:09" not in text and local_time(dt.datetime(2026, 12, 1, 15, 9, 20)) in text
