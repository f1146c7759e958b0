"""The policy in force at a date (issue 26): resolution on boundary dates, installed files taking
effect from their date, and malformed files refused with their key and line."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

import pytest

from app.domain.permissions import NotAllowed
from app.paths import resource
from app.rules.policy_file import (
    KnownPolicy,
    PolicyFileError,
    load_policy_file,
    read_policy_text,
    resolve_policy,
)
from app.services.findings import run_check, to_json
from app.services.policies import PolicyInstallError, install_policy, list_policies, policy_in_force
from app.storage.models import AuditEntry, InstalledPolicy
from tests.support import as_role

D = dt.date
BUNDLED = load_policy_file(2025)


def bundled_text() -> str:
    return resource("policy", "2025.toml").read_text(encoding="utf-8")


def newer_text(effective: str = "2027-01-01", zero_days: int = 45, year: int = 2027) -> str:
    """The bundled file as the coordinating center would publish its successor."""
    return (bundled_text().replace("year = 2025", f"year = {year}")
            .replace("effective_from = 2025-01-01", f"effective_from = {effective}")
            .replace('supersedes = ""', 'supersedes = "MROQC QIP policy 2025"')
            .replace("zero_enrollment_days = 30", f"zero_enrollment_days = {zero_days}"))


def known(*effective: str) -> list[KnownPolicy]:
    return [KnownPolicy(dataclasses.replace(BUNDLED, year=int(day[:4]), effective_from=D.fromisoformat(day)),
                        "bundled" if i == 0 else "installed") for i, day in enumerate(effective)]


@pytest.mark.parametrize(("as_of", "year", "reason"), [
    (D(2024, 12, 31), 2025, "before_first"),   # older than every file: the oldest, said so
    (D(2025, 1, 1), 2025, "in_force"),
    (D(2026, 12, 31), 2025, "in_force"),        # the day before the newer one
    (D(2027, 1, 1), 2027, "in_force"),          # its first day
    (D(2027, 1, 2), 2027, "in_force"),
])
def test_the_newest_file_in_force_on_the_date(as_of, year, reason) -> None:
    found = resolve_policy(known("2025-01-01", "2027-01-01"), as_of)
    assert (found.policy.year, found.reason) == (year, reason)


def test_the_statement_says_since_when_and_what_comes_next() -> None:
    files = known("2025-01-01", "2027-01-01")
    assert resolve_policy(files[:1], D(2026, 12, 7)).statement == \
        "MROQC QIP policy in force since 2025-01-01 (no newer one installed)"
    assert resolve_policy(files, D(2026, 12, 7)).statement == \
        "MROQC QIP policy in force since 2025-01-01 (a newer one takes effect on 2027-01-01)"
    assert "applied to this earlier date (no earlier policy installed)" in resolve_policy(files, D(2020, 1, 1)).statement
    chosen = resolve_policy(files, D(2027, 6, 30), chosen_year=2025)
    assert chosen.policy.year == 2025 and chosen.reason == "chosen"
    assert chosen.statement == ("MROQC QIP policy of 2025 (in force from 2025-01-01), chosen in Settings; without "
                                "that choice: MROQC QIP policy in force since 2027-01-01")
    with pytest.raises(PolicyFileError, match="no policy file for 1999"):
        resolve_policy(files, D(2026, 1, 1), chosen_year=1999)


def test_an_installed_file_replaces_a_bundled_one_of_the_same_date() -> None:
    files = known("2025-01-01") + [KnownPolicy(dataclasses.replace(BUNDLED, lag_days=45), "installed")]
    found = resolve_policy(files, D(2025, 6, 30))
    assert found.source == "installed" and found.policy.lag_days == 45


@pytest.mark.parametrize(("edit", "message"), [
    (("zero_enrollment_days = 30", "zero_enrollment_days = -3"),
     "line 13: 'enrollment.zero_enrollment_days' must be a whole number ≥ 0 (found -3)"),
    (("effective_from = 2025-01-01", 'effective_from = "soon"'),
     "line 8: 'effective_from' must be a date such as 2025-01-01"),
    (("trigger_letters = 2", "trigger_letters = 0"), "'correspondence.trigger_letters' must be a whole number > 0"),
    (('name = "MROQC QIP policy"', 'name = ""'), "line 7: 'name' must be some text"),
    (("lag_days = 30", "lag_dayz = 30"), "unknown key(s) 'data_entry.lag_dayz' ('data_entry.lag_dayz' is on line"),
    (("year = 2025", "year = = 2025"), "not valid TOML (Invalid value (at line 6, column 8))"),
])
def test_a_malformed_file_is_refused_with_its_key_and_line(edit, message) -> None:
    text = bundled_text()
    assert edit[0] in text
    with pytest.raises(PolicyFileError, match=re.escape(message)) as info:
        read_policy_text(text.replace(edit[0], edit[1], 1), "center-2027.toml")
    assert str(info.value).startswith("center-2027.toml: ")


def test_line_numbers_are_the_files_own(tmp_path) -> None:
    """The line quoted is where the key is written (checked against the text, not a constant)."""
    text = bundled_text().replace("zero_enrollment_days = 30", "zero_enrollment_days = -3")
    with pytest.raises(PolicyFileError) as info:
        read_policy_text(text, "x.toml")
    line = int(re.search(r"line (\d+):", str(info.value)).group(1))
    assert text.splitlines()[line - 1].startswith("zero_enrollment_days = -3")


def test_an_installed_file_takes_effect_from_its_date_and_is_audited(db) -> None:
    before = policy_in_force(db, D(2026, 12, 31))
    assert before.policy.year == 2025 and before.statement.endswith("(no newer one installed)")
    item = install_policy(db, newer_text(), "mroqc-2027.toml")
    assert item.source == "installed" and item.installed_by == "test-admin"
    # the day before its date: still 2025's, now saying what comes next
    assert policy_in_force(db, D(2026, 12, 31)).statement == \
        "MROQC QIP policy in force since 2025-01-01 (a newer one takes effect on 2027-01-01)"
    on = policy_in_force(db, D(2027, 1, 1))
    assert (on.policy.year, on.source, on.policy.zero_enrollment_days) == (2027, "installed", 45)
    assert run_check(db, D(2027, 1, 1)).policy.zero_enrollment_days == 45   # the rules read it
    assert to_json(run_check(db, D(2027, 3, 1)))["policy_in_force"]["source"] == "installed"
    with db.reader() as session:
        [entry] = session.query(AuditEntry).filter(AuditEntry.table_name == "installed_policies").all()
        assert entry.action == "insert" and entry.user == "test-admin"
        assert entry.after["effective_from"] == "2027-01-01"
    listed = list_policies(db)
    assert [(x.policy.year, x.source, x.until) for x in listed] == [(2025, "bundled", D(2026, 12, 31)),
                                                                     (2027, "installed", None)]


def test_install_refuses_without_writing(db) -> None:
    install_policy(db, newer_text(), "a.toml")
    with pytest.raises(PolicyInstallError, match="already installed"):
        install_policy(db, newer_text(), "again.toml")
    with pytest.raises(PolicyInstallError, match="not after the newest policy known"):
        install_policy(db, newer_text("2026-07-01", 40, 2026), "older.toml")   # would change judged dates
    with pytest.raises(PolicyFileError, match="line 13: 'enrollment.zero_enrollment_days'"):
        install_policy(db, newer_text("2028-01-01", -1, 2028), "bad.toml")
    with pytest.raises(NotAllowed):
        install_policy(as_role(db, "coordinator"), newer_text("2028-01-01"), "c.toml")
    with db.reader() as session:
        assert session.query(InstalledPolicy).count() == 1


def test_the_self_audit_attests_under_the_policy_in_force_not_a_years_label(db, tmp_path) -> None:
    """Issue 26: a 2026 audit said "under the 2025 MROQC policies"; it names the policy in force."""
    import re as regex

    from pypdf import PdfReader

    from app.reports.audit_service import build_report, export_audit_pdf

    report = build_report(db, year=2026, as_of=D(2026, 12, 7))
    assert report.policy_statement == "MROQC QIP policy in force since 2025-01-01 (no newer one installed)"
    out = tmp_path / "audit.pdf"
    export_audit_pdf(db, out, year=2026, as_of=D(2026, 12, 7))
    text = regex.sub(r"\s+", " ", " ".join(page.extract_text() for page in PdfReader(out).pages))
    assert "under the MROQC QIP policy in force since 2025-01-01 (no newer one installed), and attest" in text
    assert "2025 MROQC policies" not in text
