"""An export kind is one declaration (``app.domain.export_kinds``): the command line, the Reports
screen, the writer registry, the audit entry and the docs all follow it."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

from app.cli import build_parser
from app.domain.export_kinds import (
    BY_NAME,
    EXPORT_KINDS,
    KIND_INFO,
    REPORTS_SCREEN,
    UnknownExportKind,
)
from app.exports.service import KINDS, writer_of
from app.services.export_guard import record_export

ROOT = Path(__file__).resolve().parents[2]


def test_every_kind_with_a_writer_names_a_function_with_the_writers_signature() -> None:
    assert list(KINDS) == list(EXPORT_KINDS)
    for kind in KIND_INFO:
        if kind.writer is None:
            continue
        write = writer_of(kind)
        assert callable(write), kind.name
        assert list(inspect.signature(write).parameters)[:5] == ["db", "out", "year", "as_of", "identified"], kind.name


def test_the_command_line_offers_exactly_the_kinds_with_a_writer() -> None:
    export = build_parser()._subparsers._group_actions[0].choices["export"]  # type: ignore[union-attr]
    kind = next(a for a in export._actions if a.dest == "kind")
    assert tuple(kind.choices) == EXPORT_KINDS


def test_the_reports_screen_offers_its_kinds_the_self_audit_first_and_not_the_workbook() -> None:
    assert REPORTS_SCREEN[0].name == "audit-pdf"
    assert {k.name for k in REPORTS_SCREEN} == {k.name for k in KIND_INFO if k.reports_screen}
    assert "workbook" not in {k.name for k in REPORTS_SCREEN} and "audit-log" not in {k.name for k in REPORTS_SCREEN}


@pytest.mark.parametrize("doc", ["docs/exports.md", "docs/cli.md"])
def test_every_kind_the_command_line_writes_is_in_the_docs(doc: str) -> None:
    text = (ROOT / doc).read_text(encoding="utf-8")
    assert [k for k in EXPORT_KINDS if f"`{k}`" not in text] == []


def test_the_audit_records_only_a_declared_kind(db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(UnknownExportKind):
        record_export(db, "no-such-kind", tmp_path / "x.csv", False)
    record_export(db, BY_NAME["audit-log"].name, tmp_path / "x.csv", False)
