"""Alt+letter is how a keyboard-first coordinator reaches a button or a field: on one screen a
letter leads to one place. (Two lists built alike, such as a meeting's and its attendance's Add…,
share their buttons' letters; Qt then moves between the two, which is how those screens read.)"""

from __future__ import annotations

import re
from collections import defaultdict

from PySide6.QtWidgets import QAbstractButton, QGroupBox, QLabel

from tests.gui.conftest import settle
from ui.main_window import AREAS


def _mnemonics(page, window) -> dict[str, set[str]]:  # type: ignore[no-untyped-def]
    found: dict[str, set[str]] = defaultdict(set)
    widgets = page.findChildren(QAbstractButton) + page.findChildren(QLabel) + page.findChildren(QGroupBox)
    for widget in widgets:
        if not widget.isVisibleTo(window):
            continue
        if isinstance(widget, QLabel) and widget.buddy() is None:
            continue  # a label's & reaches nothing without a buddy
        text = widget.title() if isinstance(widget, QGroupBox) else widget.text()
        letter = re.search(r"&([^&\s])", text or "")
        if letter:
            found[letter.group(1).lower()].add(text.replace("&", ""))
    return found


def test_one_alt_letter_leads_to_one_place_on_every_screen(qtbot, settled_window) -> None:  # type: ignore[no-untyped-def]
    clashes = {}
    for name, _ in AREAS:
        settled_window.show_area(name)
        settle(qtbot)
        page = settled_window.page(name)
        for letter, texts in _mnemonics(page, settled_window).items():
            if len(texts) > 1:
                clashes[f"{name}: Alt+{letter.upper()}"] = sorted(texts)
    assert clashes == {}
