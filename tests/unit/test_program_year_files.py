"""Adding a program year is dropping in files: a copy of the resources folder with a 2027 policy
file, a 2027 data-quality rule file and a 2028 MIPS program file is read as it stands, with no
list of years in code to extend (docs/rules.md, "Adding a program year")."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

import app.paths
from app.calculators import mips, mips_years
from app.rules import policy_file, quality_file
from app.rules.policy_file import PolicyFileError

D = dt.date


@pytest.fixture()
def resources(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A copy of the bundled resources the loaders read instead (their caches cleared around it)."""
    root = tmp_path / "resources"
    shutil.copytree(app.paths.resources_dir(), root, ignore=shutil.ignore_patterns("icons"))
    monkeypatch.setattr(app.paths, "resources_dir", lambda: root)
    caches = (quality_file.load_quality_file, mips_years.mips_year)
    for cached in caches:
        cached.cache_clear()
    yield root
    for cached in caches:
        cached.cache_clear()


def _successor(text: str, old: str, new: str, *edits: tuple[str, str]) -> str:
    for before, after in ((f"year = {old}", f"year = {new}"), (f"effective_from = {old}-01-01", f"effective_from = {new}-01-01"),
                          *edits):
        assert before in text
        text = text.replace(before, after, 1)
    return text


def test_a_new_years_files_are_picked_up_without_code(resources: Path) -> None:
    policy = (resources / "policy" / "2025.toml").read_text(encoding="utf-8")
    (resources / "policy" / "2027.toml").write_text(_successor(
        policy, "2025", "2027", ('supersedes = ""', 'supersedes = "MROQC QIP policy 2025"'),
        ("trigger_letters = 2", "trigger_letters = 3")), encoding="utf-8")
    rules = (resources / "quality" / "2025.toml").read_text(encoding="utf-8")
    (resources / "quality" / "2027.toml").write_text(_successor(rules, "2025", "2027"), encoding="utf-8")
    mips_2027 = (resources / "programs" / "mips" / "2027.toml").read_text(encoding="utf-8")
    (resources / "programs" / "mips" / "2028.toml").write_text(
        mips_2027.replace("performance_year = 2027", "performance_year = 2028")
        .replace("payment_year = 2029", "payment_year = 2030"), encoding="utf-8")

    assert policy_file.available_years() == [2025, 2027]
    assert [p.year for p in policy_file.bundled_policies()] == [2025, 2027]
    assert policy_file.load_policy(None, D(2026, 12, 31)).year == 2025
    newer = policy_file.load_policy(None, D(2027, 1, 1))
    assert (newer.year, newer.corr_trigger_letters, newer.supersedes) == (2027, 3, "MROQC QIP policy 2025")

    assert quality_file.available_years() == [2025, 2027]
    assert quality_file.quality_in_force(D(2027, 6, 30)).rules.year == 2027
    assert quality_file.quality_in_force(D(2026, 6, 30)).rules.year == 2025

    assert mips_years.available_years()[-1] == 2028
    assert mips_years.mips_year(2028).label == "2028 (provisional rules)"
    assert mips.year_of({"performance_year": 2028}, None).payment_year == 2030


def test_a_new_years_file_with_a_mistake_is_refused_with_its_line(resources: Path) -> None:
    policy = (resources / "policy" / "2025.toml").read_text(encoding="utf-8")
    bad = _successor(policy, "2025", "2027", ("lag_days = 30", "lag_days = thirty"))
    (resources / "policy" / "2027.toml").write_text(bad, encoding="utf-8")
    with pytest.raises(PolicyFileError, match=r"^2027.toml: not valid TOML \(.*line 27"):
        policy_file.bundled_policies()
    bad = _successor(policy, "2025", "2027", ("lag_days = 30", 'lag_days = "30"'))
    (resources / "policy" / "2028.toml").write_text(bad.replace("year = 2027", "year = 2028", 1), encoding="utf-8")
    (resources / "policy" / "2027.toml").unlink()
    with pytest.raises(PolicyFileError, match=r"^2028.toml: line 27: 'data_entry.lag_days' must be a whole number"):
        policy_file.load_policy_file(2028)
