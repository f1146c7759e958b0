"""Help → User guide (F1): shipped with the app, a section for every screen and every rule (so it
cannot drift from them), a glossary, opened at the screen shown, searchable, no network."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from ui import help as guide_module
from ui.help import (
    GuideError,
    UserGuide,
    guide,
    open_guide,
    open_rule_help,
    rule_catalogue,
    rule_key,
    screen_key,
)
from ui.screens import SCREENS
from ui.shortcuts import SHORTCUTS


def test_every_screen_has_its_section_with_its_purpose_and_its_own_words() -> None:
    bodies = guide_module.sections_of("screens.md")
    headings = {s.key: s.heading for s in guide().sections}
    for screen in SCREENS:
        assert headings[screen_key(screen.title)] == screen.title
        assert screen.purpose.split(":")[0][:30] in guide().markdown.replace("\\", "")
        assert bodies.get(screen.title), f"resources/help/screens.md has no '## {screen.title}' section"
    assert set(bodies) <= {s.title for s in SCREENS}, "a section of screens.md names no screen"


def test_every_rule_has_its_section_by_plain_title_code_in_brackets_and_what_to_do() -> None:
    counts = guide_module.sections_of("rules.md")
    headings = {s.key: s.heading for s in guide().sections}
    text = guide().markdown.replace("\\", "")
    for rule, _kind, title in rule_catalogue():
        assert headings[rule_key(rule)] == f"{title} [{rule}]"
        assert counts.get(rule), f"resources/help/rules.md has no '## {rule}' section (what it counts)"
        step = guide_module.next_step(rule)
        assert step and step in text
    assert set(counts) <= {rule for rule, _k, _t in rule_catalogue()}, "rules.md names a rule that is gone"


def test_the_glossary_says_the_consortiums_words_and_the_keyboard_part_every_key() -> None:
    sections = {s.key for s in guide().sections}
    assert {"glossary", "keyboard", "a-cda-s-week"} <= sections
    glossary = guide_module._without_comments(guide_module._read("glossary.md")).lower()
    for word in ("**qip**", "**cda**", "**eligible**", "**decision window**", "**substitute**",
                 "**clinical champion**", "**as-of date**"):
        assert word in glossary
    for _where, keys, _what in SHORTCUTS:
        assert keys.replace("*", "\\*") in guide().markdown or keys in guide().markdown


def test_the_guide_needs_no_network() -> None:
    assert "http" not in guide().markdown.lower()


def test_a_help_file_with_a_heading_inside_a_section_is_refused(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "screens.md").write_text("# about\n\n## Dashboard\nwords\n### inside\n", encoding="utf-8")
    monkeypatch.setattr(guide_module, "help_dir", lambda: tmp_path)
    with pytest.raises(GuideError) as refused:
        guide_module.sections_of("screens.md")
    assert refused.value.file == "screens.md" and "line 5" in refused.value.problem
    with pytest.raises(GuideError):
        guide_module.sections_of("missing.md")


def test_f1_opens_the_guide_at_the_screen_shown(qtbot, settled_window) -> None:
    settled_window.show_area("Meetings")
    settled_window.activateWindow()
    menu = next(a.menu() for a in settled_window.menuBar().actions() if a.text() == "&Help")
    action = next(a for a in menu.actions() if a.text() == "&User guide")
    assert action.shortcut().toString() == "F1"
    action.trigger()
    shown = settled_window.findChild(UserGuide)
    assert shown is not None and shown.isVisible()
    qtbot.waitUntil(lambda: shown.section_at_top() == screen_key("Meetings"), timeout=3000)
    assert shown.parts.currentItem().text(0) == "Meetings"
    settled_window.show_area("Enrollment")
    action.trigger()
    assert settled_window.findChildren(UserGuide) == [shown]  # one guide per window, moved along
    qtbot.waitUntil(lambda: shown.section_at_top() == screen_key("Enrollment"), timeout=3000)
    keys = next(a for a in menu.actions() if a.text() == "&Keyboard shortcuts")
    assert keys.shortcut().toString() == "Shift+F1"
    shown.close()


def test_the_find_box_finds_words_anywhere_and_says_when_they_are_not_there(qtbot) -> None:
    window = UserGuide()
    qtbot.addWidget(window)
    window.show()
    window.find_box.setText("decision window")
    assert "places" in window.found.text() and window.text.textCursor().selectedText().lower() == "decision window"
    first = window.text.textCursor().position()
    qtbot.keyClick(window.find_box, Qt.Key.Key_Return)
    assert window.text.textCursor().position() > first
    window.find_box.setText("QIP-DATA-LAG")
    assert window.text.textCursor().selectedText() == "QIP-DATA-LAG"
    window.find_box.setText("zebra crossing")
    assert window.found.text() == "not in the guide"


def test_why_on_a_tile_opens_its_rule_or_its_family(qtbot) -> None:
    from PySide6.QtWidgets import QWidget

    host = QWidget()
    qtbot.addWidget(host)
    rule = rule_catalogue()[5][0]
    shown = open_rule_help(host, rule)
    qtbot.waitUntil(lambda: shown.section_at_top() == rule_key(rule), timeout=3000)
    open_rule_help(host, "ATT-*")
    qtbot.waitUntil(lambda: shown.section_at_top() == "kind:attendance", timeout=3000)
    assert open_guide(host, "no such part").current == "start"


def test_why_on_a_dashboard_tile_opens_the_guide_at_its_rule(qtbot, settled_window) -> None:
    from ui.dashboard import TileWidget

    settled_window.show_area("Dashboard")
    tile = settled_window.pages["Dashboard"].findChild(TileWidget, "tile-QIP-DATA-LAG")
    why = tile.findChild(type(settled_window.status_label), "why")
    assert "QIP-DATA-LAG" in why.text() and "Why?" in why.text()
    why.linkActivated.emit("guide:rule:QIP-DATA-LAG")
    shown = settled_window.findChild(UserGuide)
    qtbot.waitUntil(lambda: shown.section_at_top() == rule_key("QIP-DATA-LAG"), timeout=3000)
    assert settled_window.nav.currentRow() == 0  # still on the Dashboard: Why? is not the tile's click
    shown.close()
