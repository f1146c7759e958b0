"""Every screen fits a 1366×768 screen at 100 % and 1280×720 at 150 % (853×480 logical pixels,
what QT_SCALE_FACTOR=1.5 leaves): no widget's text clipped, no widget outside the window —
what does not fit scrolls."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QRect
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractScrollArea,
    QComboBox,
    QLabel,
    QLineEdit,
    QWidget,
)

from tests.gui.conftest import settle
from ui.main_window import AREAS, MainWindow

#: (width, height) of the screen in logical pixels, less the window manager's title bar.
SIZES = {"1366x768 at 100%": (1366, 768 - 40), "1280x720 at 150%": (1280 * 2 // 3, 720 * 2 // 3 - 27)}


def scrolled(widget: QWidget, top: QWidget) -> bool:
    """Inside a scroll area (below ``top``): it may lie outside the visible part, scrolled to."""
    parent = widget.parentWidget()
    while parent is not None and parent is not top:
        if isinstance(parent, QAbstractScrollArea):
            return True
        parent = parent.parentWidget()
    return False


def problems_of(window: MainWindow, page: QWidget) -> list[str]:
    found = []
    area = QRect(QPoint(0, 0), window.size())
    for w in page.findChildren(QWidget):
        if not w.isVisible() or w.width() == 0:
            continue
        text = w.text() if isinstance(w, (QLabel, QAbstractButton, QLineEdit)) else ""
        name = f"{type(w).__name__} {text!r}"[:90]
        if not scrolled(w, window.screen_scroll) or isinstance(w, QAbstractScrollArea):
            corner = w.mapTo(window, QPoint(0, 0))
            if not area.contains(QRect(corner, w.size()).adjusted(1, 1, -1, -1)) and not scrolled(w, window):
                found.append(f"outside the window: {name} at {corner.x()},{corner.y()} {w.width()}x{w.height()}")
        if isinstance(w, QLabel) and w.text():
            if w.wordWrap():
                if w.heightForWidth(w.width()) > w.height() + 2:
                    found.append(f"text cut off: {name} needs {w.heightForWidth(w.width())} px high, has {w.height()}")
            elif w.minimumSizeHint().width() > w.width() + 2:
                found.append(f"text cut off: {name} needs {w.minimumSizeHint().width()} px wide, has {w.width()}")
        elif isinstance(w, QAbstractButton) and w.minimumSizeHint().width() > w.width() + 2:
            found.append(f"text cut off: {name} needs {w.minimumSizeHint().width()} px wide, has {w.width()}")
        elif isinstance(w, QComboBox) and w.minimumSizeHint().width() > w.width() + 2:
            found.append(f"text cut off: {type(w).__name__} {w.currentText()!r} needs {w.minimumSizeHint().width()} "
                         f"px wide, has {w.width()}")
        elif isinstance(w, QLineEdit) and w.width() < 40:
            found.append(f"too narrow to type in: {name} {w.width()} px in {type(w.parentWidget()).__name__} "
                         f"{w.parentWidget().objectName()} {w.placeholderText()!r}")
    return found


@pytest.mark.parametrize("size", list(SIZES))
def test_every_screen_fits_without_clipping(qtbot, settled_window: MainWindow, size: str) -> None:
    window = settled_window
    width, height = SIZES[size]
    window.resize(width, height)
    assert window.width() <= width and window.height() <= height
    report = {}
    for name, _ in AREAS:
        window.show_area(name)
        settle(qtbot)
        qtbot.wait(20)
        found = problems_of(window, window.page(name))
        if found:
            report[name] = found
    assert report == {}, "\n".join(f"{k}:\n  " + "\n  ".join(v) for k, v in report.items())


def test_the_check_sees_a_clipped_label(qtbot) -> None:  # type: ignore[no-untyped-def]
    host = QWidget()
    qtbot.addWidget(host)
    label = QLabel("A long sentence that cannot fit in forty pixels", host)
    label.setGeometry(0, 0, 40, 20)
    host.resize(400, 100)
    host.show()
    host.screen_scroll = host  # type: ignore[attr-defined]  # what problems_of reads of a window
    found = [p for p in problems_of(host, host) if "cut off" in p]  # type: ignore[arg-type]
    assert found


def test_the_dashboard_reflows_its_tiles_on_a_narrow_window(qtbot, settled_window: MainWindow) -> None:
    window = settled_window
    window.show_area("Dashboard")
    page = window.page("Dashboard")
    for size, columns in (("1366x768 at 100%", 5), ("1280x720 at 150%", 3)):
        window.resize(*SIZES[size])
        settle(qtbot)
        qtbot.wait(20)
        assert page._tile_columns == columns
        assert window.screen_scroll.horizontalScrollBar().maximum() == 0, f"{size}: the dashboard scrolls sideways"
