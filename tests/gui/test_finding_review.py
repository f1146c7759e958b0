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
