"""Help → User guide (F1): the guide shipped with the app, shown in a window with a find box and
a list of its parts, opened at the screen the coordinator is on.

The guide is put together here from ``resources/help/`` (the hand-written parts) and from what
the app already declares, so it cannot drift from it: one section per screen of ``SCREENS``
(its purpose line first), one per rule of the rules catalogue (its plain title, its code in
brackets, what it counts, what to do next) and the keyboard sheet of ``ui.shortcuts``. No
network: everything is read from files beside the program.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Protocol

from PySide6.QtCore import QTimer, QUrl
from PySide6.QtGui import QColor, QKeySequence, QShortcut, QTextCursor, QTextDocument
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QSplitter,
    QTextBrowser,
    QTextEdit,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.paths import resource
from ui.screens import SCREENS
from ui.shortcuts import SHORTCUTS

#: Where the rules' words come from: the catalogue (ID, kind, title) and the next step of each
#: rule. Each is read through the one function below, so a move of either touches one line.


def rule_catalogue() -> tuple[tuple[str, str, str], ...]:
    """Every rule as (ID, kind, plain title), in the catalogue's order."""
    from app.rules.engine import CATALOGUE

    return tuple(CATALOGUE)


def next_step(rule: str) -> str:
    """What to do when ``rule`` fires, as the Findings screen and the self-audit say it."""
    from app.reports.evidence import next_step as step

    return step(rule)


#: How the guide groups the rules, by the catalogue's kinds (a kind not named here is titled by
#: its own name, so a new kind still gets its part).
KIND_HEADINGS: dict[str, tuple[str, str]] = {
    "qip": ("QIP triggers", "A red tile or a trigger in Findings: the sign the coordinating center "
                            "looks for before asking for a Quality Improvement Plan."),
    "attendance": ("Attendance at collaborative-wide meetings",
                   "Violations of the attendance policy, counted together on the Dashboard's "
                   "attendance tile."),
    "ce": ("Continuing education credit", "Warnings on CE credit requested for a meeting."),
    "participation": ("Participation", "Warnings on the facility's yearly case volume."),
}


class GuideError(ValueError):
    """A file of ``resources/help/`` is missing or not as the guide needs it; ``file`` and
    ``problem`` say which and what."""

    def __init__(self, file: str, problem: str) -> None:
        super().__init__(f"{file}: {problem}")
        self.file = file
        self.problem = problem


@dataclass(frozen=True, slots=True)
class Section:
    """One heading of the guide: ``key`` is how the app opens it (``screen:Meetings``,
    ``rule:QIP-DATA-LAG``, ``glossary``…), ``level`` 1 for a part, deeper for its sections."""

    key: str
    level: int
    heading: str


@dataclass(frozen=True, slots=True)
class Guide:
    """The whole guide as Markdown and its headings in the order they appear."""

    markdown: str
    sections: tuple[Section, ...]

    def keys(self) -> set[str]:
        return {s.key for s in self.sections}


class ShowsScreens(Protocol):
    """A window with the list of screens on the left (``MainWindow.nav``)."""

    nav: QListWidget


def shown_title(window: ShowsScreens) -> str:
    """The title of the screen the window shows: what F1 explains and Ctrl+P prints."""
    return SCREENS[max(0, window.nav.currentRow())].title


def screen_key(title: str) -> str:
    return f"screen:{title}"


def rule_key(rule: str) -> str:
    """The section of a rule; a tile's family (``ATT-*``, ``DQ-*``) opens its part's first rule
    or, with none, the Dashboard's section."""
    return f"rule:{rule}"


def help_dir() -> Path:
    return resource("help")


def _read(name: str) -> str:
    path = help_dir() / name
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise GuideError(name, f"cannot be read ({exc.strerror or exc})") from None


def sections_of(name: str) -> dict[str, str]:
    """The ``## heading`` sections of a help file, heading → body. Lines before the first heading
    starting with ``#`` say what the file is for and are not shown; a heading inside a body would
    break the guide's list of parts, so it is refused."""
    found: dict[str, str] = {}
    heading: str | None = None
    body: list[str] = []
    for number, line in enumerate(_read(name).splitlines(), start=1):
        if line.startswith("## "):
            if heading is not None:
                found[heading] = "\n".join(body).strip()
            heading, body = line[3:].strip(), []
            if heading in found:
                raise GuideError(name, f"line {number}: '{heading}' is there twice")
        elif heading is None:
            if line.strip() and not line.startswith("#"):
                raise GuideError(name, f"line {number}: text before the first '## ' heading")
        elif line.startswith("#"):
            raise GuideError(name, f"line {number}: a heading inside the section '{heading}'")
        else:
            body.append(line)
    if heading is not None:
        found[heading] = "\n".join(body).strip()
    return found


def _slug(heading: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", heading.lower()).strip("-")


def _escaped(text: str) -> str:
    """``text`` read as words by Markdown, not as links or emphasis."""
    return re.sub(r"([\\`*_\[\]<>#|])", r"\\\1", text)


def keyboard_table() -> str:
    rows = ["| where | keys | what they do |", "|---|---|---|"]
    rows += [f"| {_escaped(w)} | {_escaped(k)} | {_escaped(d)} |" for w, k, d in SHORTCUTS]
    return "\n".join(rows)


class _Writer:
    def __init__(self) -> None:
        self.parts: list[str] = []
        self.sections: list[Section] = []

    def heading(self, key: str, level: int, words: str, body: str = "") -> None:
        self.sections.append(Section(key, level, words))
        self.parts.append(f"{'#' * level} {_escaped(words)}")
        if body:
            self.parts.append(body)


@cache
def guide() -> Guide:
    """The guide, put together once (it depends only on files shipped with the app)."""
    out = _Writer()
    start = _read("guide.md").split("\n## ")
    title, _, intro = start[0].partition("\n")
    out.heading("start", 1, title.lstrip("# ").strip(), intro.strip())
    for chunk in start[1:]:
        heading, _, body = chunk.partition("\n")
        out.heading(_slug(heading), 2, heading.strip(), body.strip())

    bodies = sections_of("screens.md")
    out.heading("screens", 1, "Screens", "The list on the left, from top to bottom (Ctrl+1 … Ctrl+9 go there).")
    for screen in SCREENS:
        body = bodies.get(screen.title, "")
        out.heading(screen_key(screen.title), 2, screen.title,
                    f"*{_escaped(screen.purpose)}*" + (f"\n\n{body}" if body else ""))

    counts = sections_of("rules.md")
    out.heading("rules", 1, "Dashboard tiles and rules",
                "Each rule by its plain title, its code in brackets (the code the tile, Findings and "
                "the self-audit show). A tile is green when its rule is clear, marked *Close* when it "
                "fires soon if nothing changes, and red when it has fired. The limits (days, counts) "
                "are those of the program year in force: the tile and the finding say them.")
    catalogue = rule_catalogue()
    kinds = list(dict.fromkeys(kind for _rule, kind, _title in catalogue))
    for kind in kinds:
        heading, intro = KIND_HEADINGS.get(kind, (kind.capitalize(), ""))
        out.heading(f"kind:{kind}", 2, heading, intro)
        for rule, rule_kind, title in catalogue:
            if rule_kind != kind:
                continue
            step = next_step(rule)
            body = counts.get(rule, "")
            if step:
                body += f"\n\n**What to do:** {_escaped(step)}"
            out.heading(rule_key(rule), 3, f"{title} [{rule}]", body.strip())

    out.heading("glossary", 1, "Glossary", _without_comments(_read("glossary.md")))
    out.heading("keyboard", 1, "Keyboard shortcuts", keyboard_table())
    return Guide("\n\n".join(out.parts) + "\n", tuple(out.sections))


def _without_comments(text: str) -> str:
    return "\n".join(line for line in text.splitlines() if not line.startswith("#")).strip()


def section_for(key: str) -> str:
    """The section to open for ``key``, or the guide's start when the guide has no such section
    (a tile family such as ``rule:ATT-*`` opens its kind's part)."""
    keys = guide().keys()
    if key in keys:
        return key
    if key.startswith("rule:"):
        family = key.removeprefix("rule:").rstrip("*")
        for rule, kind, _title in rule_catalogue():
            if rule.startswith(family):
                return f"kind:{kind}" if key.endswith("*") else rule_key(rule)
        return screen_key("Dashboard") if screen_key("Dashboard") in keys else "start"
    return "start"


class UserGuide(QDialog):
    """The guide's window: the parts on the left, the text on the right, a find box above.
    Not modal: it stays open beside the screen it explains."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("user-guide")
        self.setWindowTitle("User guide — MROQC Facility Desk")
        self.content = guide()
        self.find_box = QLineEdit()
        self.find_box.setObjectName("guide-find")
        self.find_box.setPlaceholderText("Find in the guide  (Ctrl+F; Enter: next, Shift+Enter: previous)")
        self.find_box.setClearButtonEnabled(True)
        self.found = QLabel()
        self.found.setMinimumWidth(120)
        self.parts = QTreeWidget()
        self.parts.setHeaderHidden(True)
        self.parts.setObjectName("guide-parts")
        self.text = QTextBrowser()
        self.text.setObjectName("guide-text")
        self.text.setOpenLinks(False)  # a link inside the guide opens its section; nothing goes online
        self.text.anchorClicked.connect(self._follow)
        self.text.document().setMarkdown(self.content.markdown)
        self._blocks = self._heading_blocks()
        self._items: dict[str, QTreeWidgetItem] = {}
        self._fill_parts()
        splitter = QSplitter()
        splitter.addWidget(self.parts)
        splitter.addWidget(self.text)
        splitter.setStretchFactor(1, 3)
        splitter.setSizes([270, 630])
        top = QHBoxLayout()
        top.addWidget(self.find_box, 1)
        top.addWidget(self.found)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(splitter, 1)
        self.find_box.textChanged.connect(lambda _t: self.find(from_start=True))
        self.find_box.returnPressed.connect(self.find)
        QShortcut(QKeySequence("Shift+Return"), self.find_box, activated=lambda: self.find(backward=True))
        QShortcut(QKeySequence(QKeySequence.StandardKey.Find), self, activated=self._focus_find)
        self.parts.currentItemChanged.connect(self._part_chosen)
        room = (parent or self).screen().availableGeometry()
        self.resize(min(900, room.width() - 40), min(640, room.height() - 60))
        self.current = "start"

    def _heading_blocks(self) -> dict[str, int]:
        """Each section's key → the position of its heading in the document (headings are in the
        order the guide wrote them)."""
        positions: list[int] = []
        block = self.text.document().begin()
        while block.isValid():
            if block.blockFormat().headingLevel() > 0:
                positions.append(block.position())
            block = block.next()
        if len(positions) != len(self.content.sections):
            raise GuideError("resources/help", f"{len(positions)} headings shown for "
                                               f"{len(self.content.sections)} sections")
        return {s.key: p for s, p in zip(self.content.sections, positions, strict=True)}

    def _fill_parts(self) -> None:
        parents: list[QTreeWidgetItem] = []
        for section in self.content.sections:
            if section.level == 1:
                item = QTreeWidgetItem([section.heading])
                self.parts.addTopLevelItem(item)
                parents = [item]
            else:
                parents = parents[: section.level - 1]
                item = QTreeWidgetItem([section.heading])
                (parents[-1] if parents else self.parts.invisibleRootItem()).addChild(item)
                parents.append(item)
            item.setData(0, 256, section.key)  # Qt.UserRole
            item.setToolTip(0, section.heading)  # a rule's title is longer than the list is wide
            self._items[section.key] = item
        for index in range(self.parts.topLevelItemCount()):
            self.parts.topLevelItem(index).setExpanded(True)

    def _part_chosen(self, item: QTreeWidgetItem | None, _previous: QTreeWidgetItem | None) -> None:
        if item is not None:
            self._scroll_to(str(item.data(0, 256)))

    def _focus_find(self) -> None:
        self.find_box.setFocus()
        self.find_box.selectAll()

    def show_section(self, key: str) -> None:
        """Open the guide at ``key`` (see ``section_for``): the heading at the top of the text."""
        key = section_for(key)
        item = self._items.get(key)
        if item is not None:
            self.parts.blockSignals(True)
            self.parts.setCurrentItem(item)
            self.parts.blockSignals(False)
        self._scroll_to(key)
        QTimer.singleShot(0, self, lambda: self._scroll_to(key))  # again once the window has its size

    def _scroll_to(self, key: str) -> None:
        position = self._blocks.get(key)
        if position is None:
            return
        self.current = key
        document = self.text.document()
        block = document.findBlock(position)
        self.text.setTextCursor(QTextCursor(block))
        top = document.documentLayout().blockBoundingRect(block).top()
        self.text.verticalScrollBar().setValue(int(top))

    def section_at_top(self) -> str:
        """The key of the section whose heading is last above the top of the text shown."""
        top = self.text.verticalScrollBar().value()
        layout = self.text.document().documentLayout()
        shown = "start"
        for key, position in self._blocks.items():
            if layout.blockBoundingRect(self.text.document().findBlock(position)).top() <= top + 2:
                shown = key
        return shown

    def _follow(self, url: QUrl) -> None:
        """``guide:<key>`` links open a section; the guide has no other links."""
        if url.scheme() == "guide":
            self.show_section(url.path())

    def find(self, backward: bool = False, from_start: bool = False) -> bool:
        """The next (or previous) place of the find box's words, round to the start at the end;
        every place is marked. The label says how many there are."""
        words = self.find_box.text().strip()
        places = list(self._places(words)) if words else []
        marks = []
        for cursor in places:
            mark = QTextEdit.ExtraSelection()
            mark.cursor = cursor  # type: ignore[attr-defined]
            mark.format.setBackground(QColor("#ffe97a"))  # type: ignore[attr-defined]
            marks.append(mark)
        self.text.setExtraSelections(marks)
        if not words:
            self.found.setText("")
            return False
        if not places:
            self.found.setText("not in the guide")
            return False
        flags = QTextDocument.FindFlag.FindBackward if backward else QTextDocument.FindFlag(0)
        if from_start:
            self.text.moveCursor(QTextCursor.MoveOperation.Start)
        if not self.text.find(words, flags):
            self.text.moveCursor(QTextCursor.MoveOperation.End if backward else QTextCursor.MoveOperation.Start)
            self.text.find(words, flags)
        self.found.setText("1 place" if len(places) == 1 else f"{len(places)} places")
        return True

    def _places(self, words: str) -> Iterable[QTextCursor]:
        document = self.text.document()
        cursor = document.find(words, 0)
        while not cursor.isNull():
            yield cursor
            cursor = document.find(words, cursor)


def open_guide(parent: QWidget, key: str = "start") -> UserGuide:
    """The parent's guide window (one per window, kept between openings), shown at ``key``."""
    guide_window = next((g for g in parent.findChildren(UserGuide)), None)
    if guide_window is None:
        guide_window = UserGuide(parent)
    guide_window.show()
    guide_window.raise_()
    guide_window.activateWindow()
    guide_window.show_section(key)
    return guide_window


def open_at_screen(window: ShowsScreens) -> UserGuide:
    """F1: the guide at the screen the window shows."""
    assert isinstance(window, QWidget)
    return open_guide(window, screen_key(shown_title(window)))


def open_rule_help(parent: QWidget, rule: str) -> UserGuide:
    """"Why?" on a tile: the guide at the rule's section (a family like ``ATT-*``: its part)."""
    return open_guide(parent, rule_key(rule))


def why_label(rule: str) -> QLabel:
    """A tile's rule code with a "Why?" link that opens the guide at the rule's section (the
    Dashboard's one hook into the guide; the link takes the click, so the tile's own click, to
    the findings, does not follow)."""
    label = QLabel(f"<small>{html.escape(rule)} · <a href='guide:{html.escape(rule_key(rule))}'>Why?</a></small>")
    label.setObjectName("why")
    label.setToolTip("What this tile counts and what to do when it is red (Help → User guide)")
    label.linkActivated.connect(lambda link: open_guide(label.window(), link.removeprefix("guide:")))
    return label
