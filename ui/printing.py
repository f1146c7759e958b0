"""File → Print… (Ctrl+P) and File → Print to PDF…: the screen the coordinator is on, on paper.

A list prints as the screen shows it: its visible columns in their order, its rows in the
current sort and filter, each cell's text as shown (a masked patient identifier stays masked,
as Ctrl+C copies it, ``ui.table_copy``). The Dashboard prints its tiles, the trend chart, the
next meeting, what is due and what fires next. A screen with no list prints as a picture of
itself. Every page carries the facility, the screen, the as-of date (as the facility writes
dates), the filter in force and "page n of m".

What to print is read from the page's widgets, so no screen has to offer anything for it.
"""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from PySide6.QtCore import (
    QModelIndex,
    QPersistentModelIndex,
    QRectF,
    Qt,
    QUrl,
)
from PySide6.QtGui import (
    QAbstractTextDocumentLayout,
    QFont,
    QFontMetricsF,
    QGuiApplication,
    QImage,
    QPageLayout,
    QPainter,
    QTextDocument,
    QTextTable,
)
from PySide6.QtPrintSupport import QPrinter, QPrintPreviewDialog
from PySide6.QtWidgets import (
    QAbstractItemView,
    QAbstractSpinBox,
    QCheckBox,
    QComboBox,
    QGroupBox,
    QLabel,
    QLayout,
    QLineEdit,
    QListWidget,
    QMessageBox,
    QTableView,
    QTabWidget,
    QTreeView,
    QWidget,
)

from ui.date_field import DateField, dates_shown, shown
from ui.help import shown_title
from ui.save_dialog import ask_save_path, start_folder
from ui.screens import DASHBOARD
from ui.table_copy import shown_columns

if TYPE_CHECKING:
    from app.storage.database import Database

#: Lists wider than this many columns print across the page (landscape).
LANDSCAPE_FROM_COLUMNS = 7
#: A list longer than this asks before printing (measured: ~500 register rows a second on a
#: 2-core test machine, so the 20,000-case demo's whole register takes most of a minute).
ASK_FROM_ROWS = 3000
#: The export kind a PDF printout is audited as (``app.domain.export_kinds``).
PRINTOUT_KIND = "printout"


class NothingToPrint(Exception):
    """The window has nothing to print yet (no database open, the screen not built); ``reason``
    is said to the user."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _Day(Protocol):
    day: dt.date


class PrintHost(Protocol):
    """What printing reads of the window (``MainWindow``): the screen chosen in the list on the
    left, its page, the facility, the as-of date and the database (a PDF written is an audited
    export)."""

    facility_name: str
    nav: QListWidget
    as_of: _Day
    db: Database | None

    def built(self, name: str) -> QWidget | None: ...




@dataclass(frozen=True)
class ListTable:
    """One list as shown: what it is called on the screen, its header and its rows' texts."""

    caption: str
    header: list[str]
    rows: list[list[str]]


#: The size of the printed text.
PRINT_POINTS = 9
#: Each column's share of the page is its longest text's, capped at this many characters, so
#: one long note does not squeeze every other column.
WIDEST_COLUMN_CHARS = 40
#: Rows per table in the first layout (the document draws a whole table on every page it
#: touches: 1,244 register rows took 8 s to print as one table, under 2 s in runs).
ROWS_PER_RUN = 40


@dataclass
class Printout:
    """One screen made ready for paper: its parts in order (HTML, or a list as shown), the
    pictures the HTML names (``image://…``) and whether it prints across the page."""

    screen: str
    facility: str
    as_of: dt.date
    filter_text: str
    parts: list[str | ListTable]
    landscape: bool = False
    images: dict[str, QImage] = field(default_factory=dict)

    @property
    def heading(self) -> str:
        """The line at the top of every page."""
        return f"{self.facility} · {self.screen} · as of {shown(self.as_of)}"

    @property
    def rows(self) -> int:
        return sum(len(p.rows) for p in self.parts if isinstance(p, ListTable))

    def tables(self) -> list[ListTable]:
        return [p for p in self.parts if isinstance(p, ListTable) and p.rows]

    def html(self, page_starts: dict[int, list[int]] | None = None) -> str:
        """The whole printout as HTML. Without ``page_starts`` each list is cut in runs of
        ``ROWS_PER_RUN`` rows (for measuring); with it, list n is cut where a page starts (each
        run on a new page, under the list's header)."""
        top = (f"<h2>{html.escape(self.screen)}</h2><p>{html.escape(self.facility)} · as of "
               f"{html.escape(shown(self.as_of))}<br>Filter: {html.escape(self.filter_text)}</p>")
        out, number = [top], 0
        for part in self.parts:
            if isinstance(part, str):
                out.append(part)
                continue
            if part.caption:
                rows = f"{len(part.rows)} row" + ("" if len(part.rows) == 1 else "s")
                out.append(f"<h3>{html.escape(part.caption)} <small>({rows})</small></h3>")
            if not part.rows:
                out.append("<p>Nothing in this list.</p>")
                continue
            if page_starts is None:
                cuts = list(range(0, len(part.rows), ROWS_PER_RUN))
            else:
                cuts = [0, *page_starts.get(number, [])]
            out.append(_runs_html(part, cuts, repeat_header=page_starts is not None))
            number += 1
        return "".join(out)

    def document(self, page_starts: dict[int, list[int]] | None = None) -> QTextDocument:
        """``html(page_starts)`` as a document with its pictures."""
        doc = QTextDocument()
        font = QFont(doc.defaultFont())
        font.setPointSizeF(PRINT_POINTS)
        doc.setDefaultFont(font)
        doc.setDefaultStyleSheet("th { background: #e6e6e6; text-align: left; } h2 { margin-bottom: 2px; }")
        for name, image in self.images.items():
            doc.addResource(QTextDocument.ResourceType.ImageResource, QUrl(f"image://{name}"), image)
        doc.setHtml(self.html(page_starts))
        return doc


def _widths(table: ListTable) -> list[int]:
    """Each column's share of the page width in percent, from its widest text as printed (header
    included, capped so one long note does not squeeze the rest, plus the cell's padding): the
    same in every run of a list."""
    font = QFont()
    font.setPointSizeF(PRINT_POINTS)
    metrics = QFontMetricsF(font)
    bold = QFont(font)
    bold.setBold(True)
    cap = metrics.horizontalAdvance("x" * WIDEST_COLUMN_CHARS)
    pad = metrics.horizontalAdvance("xxx")
    widest = [min(cap, max([QFontMetricsF(bold).horizontalAdvance(h)]
                           + [metrics.horizontalAdvance(r[c]) for r in table.rows[:2000]])) + pad
              for c, h in enumerate(table.header)]
    total = sum(widest) or 1
    return [max(1, round(100 * w / total)) for w in widest]


def _cell(text: str, width: int) -> str:
    """One cell; a single word (a case ID, a date, a rule code) is never cut in two."""
    whole = " style='white-space: nowrap'" if text and len(text) <= 24 and not any(c.isspace() for c in text) else ""
    return f"<td width='{width}%'{whole}>{html.escape(text).replace(chr(10), '<br>')}</td>"


def _runs_html(table: ListTable, cuts: list[int], repeat_header: bool) -> str:
    """The list as one HTML table per run (from each cut to the next), the header atop the first
    run, or atop every run (each then starts a page) with ``repeat_header``."""
    widths = _widths(table)
    head = "<thead><tr>" + "".join(f"<th width='{w}%'>{html.escape(h)}</th>"
                                   for h, w in zip(table.header, widths, strict=True)) + "</tr></thead>"
    runs = []
    for n, start in enumerate(cuts):
        stop = cuts[n + 1] if n + 1 < len(cuts) else len(table.rows)
        body = "".join("<tr>" + "".join(_cell(c, w) for c, w in zip(row, widths, strict=True)) + "</tr>"
                       for row in table.rows[start:stop])
        style = "margin: 0" + ("; page-break-before: always" if repeat_header and n else "")
        runs.append(f"<table border='1' cellspacing='0' cellpadding='2' width='100%' style='{style}'>"
                    f"{head if n == 0 or repeat_header else ''}<tbody>{body}</tbody></table>")
    return "".join(runs)


# -- what a screen shows --------------------------------------------------------------------------

def _indexes(view: QAbstractItemView, parent: QModelIndex | QPersistentModelIndex,
             depth: int = 0) -> list[tuple[int, QModelIndex]]:
    """Every row the view shows under ``parent``, in the order shown, with its depth in a tree
    (a collapsed branch's rows are not shown, so not printed)."""
    model = view.model()
    found: list[tuple[int, QModelIndex]] = []
    for row in range(model.rowCount(parent)):
        index = model.index(row, 0, parent)
        if isinstance(view, QTreeView):
            if view.isRowHidden(row, parent):
                continue
            found.append((depth, index))
            if model.hasChildren(index) and view.isExpanded(index):
                found += _indexes(view, index, depth + 1)
        else:
            if isinstance(view, QTableView) and view.isRowHidden(row):
                continue
            found.append((depth, index))
    return found


def shown_rows(view: QAbstractItemView) -> tuple[list[str], list[list[str]]]:
    """The header and every row of ``view`` as the screen shows them: visible columns in their
    order, rows in the view's sort and filter, each cell's display text."""
    model = view.model()
    if model is None:
        return [], []
    columns = shown_columns(view)
    header = [str(model.headerData(c, Qt.Orientation.Horizontal) or "") for c in columns]
    rows = []
    for depth, index in _indexes(view, view.rootIndex()):
        cells = []
        for n, column in enumerate(columns):
            value = index.siblingAtColumn(column).data()
            text = "" if value is None else str(value)
            cells.append(("    " * depth + text) if n == 0 else text)
        rows.append(cells)
    return header, rows


def shown_lists(page: QWidget) -> list[QAbstractItemView]:
    """The tables and trees the page shows now (another tab's stay out), in the order of the page."""
    return [view for view in page.findChildren(QAbstractItemView)
            if isinstance(view, QTableView | QTreeView) and view.isVisibleTo(page) and view.model() is not None
            and not _inside(view, QAbstractItemView, page)]


def _caption(view: QWidget, page: QWidget) -> str:
    """What the list is called on the screen: its own name (``accessibleName``: a record list's
    title), else its tab or group box, when it has one."""
    if view.accessibleName():
        return view.accessibleName()
    child, parent = view, view.parentWidget()
    while parent is not None and parent is not page:
        if isinstance(parent, QGroupBox) and parent.title():
            return parent.title().replace("&&", "\0").replace("&", "").replace("\0", "&")
        if isinstance(parent, QTabWidget):
            index = parent.indexOf(child)
            if index >= 0:
                return parent.tabText(index).replace("&&", "\0").replace("&", "").replace("\0", "&")
        child, parent = parent, parent.parentWidget()
    return ""


def filter_in_force(page: QWidget) -> str:
    """The page's filters as the coordinator set them, in words: the words searched for, each
    list chosen away from its "All …" first entry, each ticked box (with its date), each under
    the label beside it ("Year: 2025"). "none" when nothing narrows what is shown."""
    parts: list[str] = []
    for widget in page.findChildren(QWidget):
        if not widget.isVisibleTo(page) or not widget.isEnabled() or _inside(widget, QAbstractItemView, page):
            continue
        if isinstance(widget, QComboBox) and not widget.isEditable() and widget.count():
            first = widget.itemText(0)
            if widget.currentIndex() > 0 or not first.lower().startswith(("all", "any", "every")):
                parts.append(_labelled(widget, widget.currentText()))
        elif isinstance(widget, QAbstractSpinBox):
            parts.append(_labelled(widget, widget.text()))
        elif isinstance(widget, QCheckBox) and widget.isChecked():
            dates = [d for d in widget.parentWidget().findChildren(DateField) if d.isEnabled()] \
                if widget.parentWidget() is not None else []
            words = widget.text().replace("&", "")
            parts.append(f"{words} {dates[0].text()}".strip() if dates else words)
        elif (isinstance(widget, QLineEdit) and not widget.isReadOnly() and widget.text().strip()
              and not _inside(widget, (DateField, QComboBox, QAbstractSpinBox), page)):
            what = widget.placeholderText().split("(")[0].strip() or "search"
            parts.append(f"{what}: “{widget.text().strip()}”")
    return "; ".join(p for p in parts if p) or "none"


def _labelled(widget: QWidget, value: str) -> str:
    """``value`` under the words of the label just before ``widget`` in its row, if it has one."""
    parent = widget.parentWidget()
    layout = parent.layout() if parent is not None else None
    if layout is None:
        return value
    for holder in [layout, *layout.findChildren(QLayout)]:
        index = holder.indexOf(widget)
        if index > 0:
            before = holder.itemAt(index - 1).widget()
            if isinstance(before, QLabel) and before.text().strip() and "<" not in before.text():
                return f"{before.text().replace('&', '').strip().rstrip(':')}: {value}"
            return value
    return value


def _inside(widget: QWidget, kind: type | tuple[type, ...], page: QWidget) -> bool:
    """Whether ``widget`` sits inside a ``kind`` below ``page`` (a cell editor in a list, a field's
    own line edit in a date field or combo box)."""
    parent = widget.parentWidget()
    while parent is not None and parent is not page:
        if isinstance(parent, kind):
            return True
        parent = parent.parentWidget()
    return False


def list_printout(screen: str, page: QWidget, facility: str, as_of: dt.date) -> Printout:
    """A screen's lists as shown, one after the other, each under its caption."""
    tables = [ListTable(_caption(view, page), *shown_rows(view)) for view in shown_lists(page)]
    widest = max((len(t.header) for t in tables), default=0)
    return Printout(screen, facility, as_of, filter_in_force(page), list(tables),
                    landscape=widest >= LANDSCAPE_FROM_COLUMNS)


def picture_printout(screen: str, page: QWidget, facility: str, as_of: dt.date) -> Printout:
    """A screen with no list: a picture of it, as wide as the page."""
    image = page.grab().toImage()
    return Printout(screen, facility, as_of, filter_in_force(page), [f"<p>{_picture('screen', image, 9.0, 5.5)}</p>"],
                    landscape=image.width() > image.height(), images={"screen": image})


def _picture(name: str, image: QImage, width_in: float, height_in: float) -> str:
    """An ``<img>`` of ``image`` at most ``width_in`` × ``height_in`` inches on paper (the document
    counts 96 pixels to the inch on the printer), its proportions kept."""
    if image.isNull() or not image.width() or not image.height():
        return ""
    scale = min(width_in * 96 / image.width(), height_in * 96 / image.height())
    return f"<img src='image://{name}' width='{int(image.width() * scale)}' height='{int(image.height() * scale)}'>"


def dashboard_printout(page: QWidget, facility: str, as_of: dt.date) -> Printout:
    """The Dashboard's tiles (state, figure, rule, what it counts, the forecast), the trend chart
    and the lists beside it."""
    from ui.dashboard import STATUS_WORDS

    data = getattr(page, "data", None)
    if data is None:
        raise NothingToPrint("The Dashboard is still being worked out: print it once its tiles show.")
    tiles = [t for t in (getattr(page, "readiness", None), *data.tiles) if t is not None]
    rows = [[dates_shown(t.title), STATUS_WORDS.get(t.status, t.status), dates_shown(t.figure), t.rule,
             dates_shown(t.detail), dates_shown(t.forecast)] for t in tiles]
    parts: list[str | ListTable] = [
        f"<p>{html.escape(dates_shown(data.policy_statement))}</p>",
        ListTable("Tiles", ["Tile", "State", "Figure", "Rule", "What it counts", "If nothing changes"], rows)]
    images: dict[str, QImage] = {}
    charts = [w for w in page.findChildren(QWidget) if type(w).__name__ == "QChartView" and w.isVisibleTo(page)]
    if charts:
        images["trend"] = charts[0].grab().toImage()
        parts.append(f"<h3>Enrollment this year against last</h3><p>{_picture('trend', images['trend'], 4.0, 3.2)}</p>")
    parts.append(f"<h3>Next meeting</h3><p>{html.escape(dates_shown(data.next_meeting))}</p>")
    for title, widget in (("Due soon or overdue", getattr(page, "due", None)),
                          ("Next to fire if nothing changes", getattr(page, "upcoming", None))):
        if isinstance(widget, QListWidget):
            items = "".join(f"<li>{html.escape(dates_shown(widget.item(i).text()))}</li>"
                            for i in range(widget.count()))
            parts.append(f"<h3>{title}</h3><ul>{items}</ul>")
    return Printout(DASHBOARD.title, facility, as_of, "none (the whole facility)", parts,
                    landscape=True, images=images)


def printout_of(window: PrintHost) -> Printout:
    """The screen the window shows, ready for paper; ``NothingToPrint`` when there is none yet."""
    screen = shown_title(window)
    page = window.built(screen)
    if page is None:
        raise NothingToPrint(f"The {screen} screen is not open yet: nothing to print.")
    facility, day = window.facility_name, window.as_of.day
    if screen == DASHBOARD.title:
        return dashboard_printout(page, facility, day)
    if shown_lists(page):
        return list_printout(screen, page, facility, day)
    return picture_printout(screen, page, facility, day)


# -- on paper --------------------------------------------------------------------------------------

def page_starts(printout: Printout, body: QRectF, dots_per_inch: float) -> dict[int, list[int]]:
    """Where each list must start a new page (list number → row numbers) so that every page
    begins with the list's header: measured on the printout laid out in one long page ``body``
    wide (the document's own measure, ``dots_per_inch`` to the inch)."""
    document = printout.document()
    document.setTextWidth(body.width())
    layout = document.documentLayout()
    runs = [f for f in document.rootFrame().childFrames() if isinstance(f, QTextTable)]
    slack = dots_per_inch * 0.08  # margins the paged layout adds, a row's border
    starts: dict[int, list[int]] = {}
    page_top = 0.0  # where the page being filled starts, in the long page's measure
    run = iter(runs)
    for number, table in enumerate(printout.tables()):
        tops: list[float] = []
        bottoms: list[float] = []
        head = 0.0
        for first in range(0, len(table.rows), ROWS_PER_RUN):
            frame = next(run)
            if first == 0:  # the first run holds the header row
                head = _row_top(document, layout, frame, 1) - _row_top(document, layout, frame, 0)
            tops.extend(_row_top(document, layout, frame, r) for r in range(1 if first == 0 else 0, frame.rows()))
            bottoms.extend(tops[len(bottoms) + 1:])
            bottoms.append(layout.frameBoundingRect(frame).bottom())
        for row, bottom in enumerate(bottoms):
            if bottom - page_top > body.height() - slack and row > 0:
                starts.setdefault(number, []).append(row)
                page_top = tops[row] - head  # the repeated header goes above this row
    return starts


def _row_top(document: QTextDocument, layout: QAbstractTextDocumentLayout, table: QTextTable, row: int) -> float:
    return layout.blockBoundingRect(document.findBlock(table.cellAt(row, 0).firstPosition())).top()


def document_dpi() -> float:
    """The document's own measure: it lays out for the screen (the printer is not given to it:
    PySide would hand the printer's ownership to the layout, which let go of it too soon)."""
    screen = QGuiApplication.primaryScreen()
    return screen.logicalDotsPerInchY() if screen is not None else 96.0


def paint(printout: Printout, printer: QPrinter) -> int:
    """Lay ``printout`` out on ``printer``'s pages with the heading and "page n of m" on each;
    the number of pages."""
    printer.setDocName(f"{printout.facility} — {printout.screen}")
    area = printer.pageRect(QPrinter.Unit.DevicePixel)
    source = document_dpi()
    scale = printer.resolution() / source
    band = printer.resolution() * 0.35  # the heading's and the page number's strips
    body = QRectF(0, 0, area.width() / scale, (area.height() - 2 * band) / scale)  # in the document's measure
    document = printout.document(page_starts(printout, body, source))
    document.setPageSize(body.size())
    pages = max(1, document.pageCount())
    painter = QPainter()
    if not painter.begin(printer):
        raise OSError("the printer could not be started")
    try:
        small = QFont(document.defaultFont())
        small.setPointSizeF(8)
        for number in range(pages):
            if number:
                printer.newPage()
            painter.setFont(small)
            painter.setPen(Qt.GlobalColor.black)
            painter.drawText(QRectF(0, 0, area.width(), band),
                             Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, printout.heading)
            painter.drawText(QRectF(0, 0, area.width(), band),
                             Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                             f"Filter: {printout.filter_text}" if number else "")
            painter.drawText(QRectF(0, area.height() - band, area.width(), band),
                             Qt.AlignmentFlag.AlignCenter, f"Page {number + 1} of {pages}")
            painter.save()
            painter.translate(0, band)
            painter.scale(scale, scale)
            painter.translate(0, -number * body.height())
            context = QAbstractTextDocumentLayout.PaintContext()
            context.clip = QRectF(0, number * body.height(), body.width(), body.height())
            painter.setClipRect(context.clip)
            document.documentLayout().draw(painter, context)
            painter.restore()
    finally:
        painter.end()
    return pages


def ready_printer(printout: Printout, printer: QPrinter | None = None) -> QPrinter:
    printer = printer or QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setPageOrientation(QPageLayout.Orientation.Landscape if printout.landscape
                               else QPageLayout.Orientation.Portrait)
    return printer


def print_to_pdf(printout: Printout, path: Path) -> int:
    """``printout`` as a PDF file at ``path``; the number of pages."""
    printer = ready_printer(printout)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(path))
    return paint(printout, printer)


def preview_dialog(printout: Printout, parent: QWidget) -> QPrintPreviewDialog:
    """The print preview: pages as they will print, the printer button to print them."""
    dialog = QPrintPreviewDialog(parent)  # its own printer, which lives as long as it does
    ready_printer(printout, dialog.printer())
    dialog.setWindowTitle(f"Print preview — {printout.screen}")
    dialog.paintRequested.connect(lambda p: paint(printout, p))
    room = parent.screen().availableGeometry()
    dialog.resize(min(1000, room.width() - 40), min(760, room.height() - 60))
    return dialog


def _say(parent: QWidget, problem: NothingToPrint) -> None:
    QMessageBox.information(parent, "Nothing to print", problem.reason)


def confirm_long(parent: QWidget, printout: Printout) -> bool:
    """A very long list asks first (a filter prints fewer rows, and far faster)."""
    if printout.rows < ASK_FROM_ROWS:
        return True
    answer = QMessageBox.question(
        parent, "Print a long list",
        f"The list shows {printout.rows:,} rows: several hundred pages, which take a while to prepare.\n\n"
        "Print them all? (To print fewer, choose No and narrow the filter first.)",
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.No)
    return answer == QMessageBox.StandardButton.Yes


def _asked_printout(window: QWidget) -> Printout | None:
    """The screen's printout, or None after saying there is nothing to print or the person chose
    not to print a very long list (Print and Print to PDF alike)."""
    try:
        printout = printout_of(window)  # type: ignore[arg-type]
    except NothingToPrint as problem:
        _say(window, problem)
        return None
    return printout if confirm_long(window, printout) else None


def print_screen(window: PrintHost) -> QPrintPreviewDialog | None:
    """File → Print… (Ctrl+P): the preview of the screen shown, from which it prints."""
    assert isinstance(window, QWidget)
    printout = _asked_printout(window)
    if printout is None:
        return None
    dialog = preview_dialog(printout, window)
    db = window.db
    if db is not None:  # the preview closes accepted once it printed (on paper, or a file it asked for)
        from app.services.export_guard import (
            record_printed,  # as save_screen_as_pdf: loads SQLAlchemy
        )

        dialog.accepted.connect(lambda: record_printed(db, printout.screen, dialog.printer().printerName()))
    dialog.open()
    return dialog


def documents_folder() -> str:
    """Where Print to PDF's dialog starts: the folder last printed to, else Documents (``ui.save_dialog``)."""
    return str(start_folder(PRINTOUT_KIND))


def save_screen_as_pdf(window: PrintHost) -> Path | None:
    """File → Print to PDF…: the same pages as Print, saved as a PDF file the user names; a file
    leaving the app, so it needs the right to export and is written in the audit log as an export
    (de-identified: it holds what the screen shows, and no list shows a patient's MRN, name or
    birth date)."""
    from app.services.export_guard import check_target, export_permission, record_export
    from app.storage.tabular import ExportError
    from ui.permissions import may, refusal

    assert isinstance(window, QWidget)
    if window.db is not None and not may(window.db, export_permission(False)):
        QMessageBox.information(window, "Print to PDF", refusal(export_permission(False)))
        return None
    printout = _asked_printout(window)
    if printout is None:
        return None
    name = f"{printout.screen} {printout.as_of.isoformat()}.pdf".replace("&", "and").replace(" ", "-")
    choice = ask_save_path(window, PRINTOUT_KIND, "Print to PDF", name, "PDF (*.pdf)")
    if choice is None:
        return None
    chosen = str(choice.path)
    path = Path(chosen) if chosen.lower().endswith(".pdf") else Path(chosen + ".pdf")
    try:
        if window.db is not None:
            check_target(window.db, path)  # never over the database or one of its own files
        print_to_pdf(printout, path)
    except (OSError, ExportError) as exc:
        QMessageBox.warning(window, "Print to PDF", f"{path} could not be written: {exc}")
        return None
    if window.db is not None:
        record_export(window.db, PRINTOUT_KIND, path, False)
    return path
