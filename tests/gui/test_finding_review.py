"""A finding marked reviewed on screen: the note survives re-evaluation and is in the self-audit."""

from __future__ import annotations

import datetime as dt

from pypdf import PdfReader

from app.exports.service import preview_audit_pdf
from tests.gui.conftest import AS_OF, settle
from tests.support import as_role


def test_review_note_survives_a_re_evaluation_and_is_in_the_pdf(qtbot, settled_window, demo_db) -> None:
    import io

    window = settled_window
    window.show_findings("QIP-ENR-SELECTIVE")
    page = window.page("Findings")
    qtbot.waitUntil(lambda: page.result is not None and page.current() is not None, timeout=10000)
    assert page.review_button.isEnabled() and page.review_text.text() == "<i>Not reviewed.</i>"
    assert page.mark_reviewed("Both cases were discussed with the coordinating center on June 12.")
    settle(qtbot)
    qtbot.waitUntil(lambda: "Explained by" in page.review_text.text(), timeout=10000)
    assert page.current()["rule"] == "QIP-ENR-SELECTIVE"            # the reload kept the finding selected
    assert page.tree.currentItem().text(3) == "✓ reviewed"
    # a re-evaluation at another date where it still fires keeps the note
    window.as_of.set(AS_OF + dt.timedelta(days=3))
    settle(qtbot)
    qtbot.waitUntil(lambda: page.result is not None and page.result.as_of == AS_OF + dt.timedelta(days=3), timeout=10000)
    page.show_rule("QIP-ENR-SELECTIVE")
    assert "discussed with the coordinating center" in page.review_text.text()
    window.as_of.set(AS_OF)
    settle(qtbot)
    data, _pages = preview_audit_pdf(demo_db, year=AS_OF.year, as_of=AS_OF)
    text = " ".join(" ".join((p.extract_text() or "").split()) for p in PdfReader(io.BytesIO(data)).pages)
    assert "Explained by test-admin on" in text and "discussed with the coordinating center on June 12." in text


def test_the_physics_lead_cannot_mark_findings_reviewed(qtbot, demo_db) -> None:
    from ui.as_of import AsOf
    from ui.findings import FindingsPage

    page = FindingsPage(as_role(demo_db, "physics"), AsOf(AS_OF))
    qtbot.addWidget(page)
    settle(qtbot)
    page.show_rule("QIP-ENR-SELECTIVE")
    assert page.current() is not None and not page.review_button.isEnabled()
    assert "may mark findings reviewed" in page.review_button.toolTip()


def test_reviewed_findings_are_marked_and_can_be_left_out(qtbot, demo_db) -> None:
    """Issue 25: reviewed findings looked like the ones still to explain; the rule's code came
    first; the summary counted rules while the list showed findings."""
    from PySide6.QtGui import QPalette

    from app.rules.engine import ENTRIES
    from ui.as_of import AsOf
    from ui.findings import FindingsPage

    page = FindingsPage(demo_db, AsOf(AS_OF))
    qtbot.addWidget(page)
    settle(qtbot)
    qtbot.waitUntil(lambda: page.result is not None, timeout=10000)
    rule = next(f.rule for i, f in enumerate(page.result.findings) if not page.is_reviewed({"_index": i}))
    page.show_rule(rule)
    item = page.tree.currentItem()
    assert item.text(0) == f"{ENTRIES[rule].title} [{rule}]"   # the plain title first, the code in brackets
    assert page.mark_reviewed("Discussed with the coordinating center.")
    page.refresh()  # in the window the change hub does this
    settle(qtbot)
    qtbot.waitUntil(lambda: page.tree.currentItem() is not None and page.tree.currentItem().text(3) == "✓ reviewed",
                    timeout=10000)
    grey = page.palette().color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text)
    assert page.tree.currentItem().foreground(0).color() == grey
    total, reviewed = len(page.result.findings), sum(page.is_reviewed({"_index": i})
                                                       for i in range(len(page.result.findings)))
    assert reviewed >= 1
    page.search.setText("")
    assert page.summary.text().startswith(f"{total} of {total} findings shown, {total - reviewed} not reviewed")
    page.reviewed.setCurrentIndex(page.reviewed.findText("Not reviewed"))
    listed = [r for r in page.rows if r["_index"] is not None]
    assert len(listed) == total - reviewed and not any(page.is_reviewed(r) for r in listed)
    assert page.summary.text().startswith(f"{total - reviewed} of {total} findings shown")
    page.reviewed.setCurrentIndex(page.reviewed.findText("Reviewed"))
    page.search.setText(ENTRIES[rule].title.lower())   # found by its title too
    assert rule in {r["rule"] for r in page.rows} and all(page.is_reviewed(r) for r in page.rows)


def test_the_self_audit_heads_each_finding_with_its_plain_title(demo_db) -> None:
    """Issue 25: a rule's plain title first, its code in brackets, in the self-audit too."""
    import io

    from app.rules.engine import ENTRIES
    from app.services.findings import evaluate_at

    data, _pages = preview_audit_pdf(demo_db, year=AS_OF.year, as_of=AS_OF)
    text = " ".join(" ".join((p.extract_text() or "").split()) for p in PdfReader(io.BytesIO(data)).pages)
    rule = evaluate_at(demo_db, AS_OF).findings[0].rule
    assert f"{ENTRIES[rule].title} [{rule}] (" in text
