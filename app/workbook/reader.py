"""Read a workbook source into raw rows: ``.xlsx``, a folder of CSVs, or a ``.zip`` of CSVs.

Nothing is interpreted here except the CSV formula guard (a leading ``'`` added by our export).
Rows are read lazily, one sheet at a time, so memory holds one sheet's reader and the rows
validated so far, never the raw file. Blank rows are skipped; every row keeps the number a
spreadsheet shows (header = row 1). Every failure of a damaged file, whatever the library
raises, becomes a ``WorkbookError`` with one line that says what is wrong; the limits of
``app.workbook.limits`` are enforced before (archive checks) and while (rows, lines) reading.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, Any

from python_calamine import CalamineWorkbook

from app.storage.tabular import restore_csv
from app.workbook.archive import check_source_size, check_xlsx, open_zip, refuse
from app.workbook.limits import MAX_CELL_CHARS, MAX_COLUMNS, MAX_LINE_CHARS, MAX_ROWS
from app.workbook.schema import SHEET_NAMES, WorkbookError

Rows = Iterator[tuple[int, list[Any]]]
#: Exceptions a reader may raise that are the process's, not the file's: never swallowed.
_NOT_THE_FILE = (KeyboardInterrupt, SystemExit, GeneratorExit)


@dataclass
class RowBudget:
    """Counts the data rows of one import across its sheets (``MAX_ROWS``)."""

    rows: int = 0

    def take(self) -> None:
        self.rows += 1
        if self.rows > MAX_ROWS:
            raise refuse(f"more than {MAX_ROWS:,} rows; import the sheets one CSV file at a time")


@dataclass
class RawSheet:
    """One sheet whose rows are read when ``read`` is called (once)."""

    name: str
    open_rows: Callable[[], Iterator[list[Any]]]
    #: How messages name it: "cases.csv in data.zip", "sheet 'cases'".
    where: str = ""

    def read(self, budget: RowBudget) -> tuple[list[str], Rows]:
        where = self.where or self.name
        rows = _guarded(where, self.open_rows)
        header = _guarded(where, lambda: next(rows, None))
        headers = [str(h).strip() if h is not None else "" for h in (header or [])]
        while headers and headers[-1] == "":
            headers.pop()
        return headers, _numbered(where, rows, budget)


@dataclass
class Source:
    """The sheets of one source; ``close`` releases the files it holds open."""

    sheets: dict[str, RawSheet]
    _close: list[Callable[[], None]] = field(default_factory=list)

    def close(self) -> None:
        for close in reversed(self._close):
            close()
        self._close.clear()


def _blank(values: Iterable[Any]) -> bool:
    return all(v is None or (isinstance(v, str) and not v.strip()) for v in values)


def _damaged(where: str, exc: BaseException) -> WorkbookError:
    if isinstance(exc, MemoryError):
        return refuse(f"{where} needs more memory than this computer has to read")
    kind = type(exc)
    name = kind.__name__ if kind.__name__ != "error" else f"{kind.__module__}.error"  # zlib.error, not "error"
    return refuse(f"{where} cannot be read: the file is damaged ({name})")


def _guarded(where: str, step: Callable[[], Any]) -> Any:
    """``step()``, with any failure of the file's reader turned into one clear line."""
    try:
        return step()
    except WorkbookError:
        raise
    except _NOT_THE_FILE:
        raise
    except BaseException as exc:  # noqa: BLE001 - the Rust reader panics as a BaseException
        raise _damaged(where, exc) from None


def _numbered(where: str, rows: Iterator[list[Any]], budget: RowBudget) -> Rows:
    number = 1
    while True:
        try:  # ``_guarded``, written out: one row is too little work for a function and a lambda
            values = next(rows, None)
        except WorkbookError:
            raise
        except _NOT_THE_FILE:
            raise
        except BaseException as exc:  # noqa: BLE001 - the Rust reader panics as a BaseException
            raise _damaged(where, exc) from None
        if values is None:
            return
        number += 1
        if len(values) > MAX_COLUMNS and not _blank(values[MAX_COLUMNS:]):
            raise refuse(f"{where}, row {number} has values beyond column {MAX_COLUMNS}")
        values = values[:MAX_COLUMNS]
        if _blank(values):
            continue
        budget.take()
        yield number, values


# ---- .xlsx --------------------------------------------------------------------------------

def _unknown_sheets(names: Iterable[str]) -> list[str]:
    return [f"workbook: unknown sheet '{n}' (sheets: {', '.join(SHEET_NAMES)})" for n in names if n not in SHEET_NAMES]


def read_xlsx(path: Path) -> Source:
    check_xlsx(path)

    book = _guarded(path.name, lambda: CalamineWorkbook.from_path(str(path)))
    names = list(_guarded(path.name, lambda: book.sheet_names))
    problems = _unknown_sheets(names)
    if len(set(names)) != len(names):
        problems.append(f"workbook: {path.name} has two sheets of the same name")
    if problems:
        _guarded(path.name, book.close)
        raise WorkbookError(problems)

    def rows(name: str) -> Iterator[list[Any]]:
        where = f"sheet '{name}' of {path.name}"
        sheet = _guarded(where, lambda: book.get_sheet_by_name(name))
        if _guarded(where, lambda: sheet.start) is None:  # an empty sheet: its row iterator would panic
            return iter(())
        return _guarded(where, sheet.iter_rows)

    return Source({n: RawSheet(n, lambda n=n: rows(n), f"sheet '{n}' of {path.name}") for n in names},
                  [lambda: _guarded(path.name, book.close)])


# ---- CSV ----------------------------------------------------------------------------------

_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


def _lines(text: IO[str], where: str, used: list[int]) -> Iterator[str]:
    """The file's lines, each bounded, and each row's lines together bounded (``used``: the
    characters read for the current row, and its number)."""
    while True:
        try:
            line = text.readline(MAX_LINE_CHARS + 1)
        except UnicodeDecodeError:
            raise refuse(f"{where} is not UTF-8 text; save it as 'CSV UTF-8'") from None
        if not line:
            return
        used[0] += len(line)
        if len(line) > MAX_LINE_CHARS or used[0] > MAX_LINE_CHARS:
            raise refuse(f"{where}, row {used[1]}: the row is longer than {MAX_LINE_CHARS:,} characters (a cell "
                         f"holds at most {MAX_CELL_CHARS:,})")
        yield line


def _csv_rows(open_binary: Callable[[], IO[bytes]], where: str) -> Iterator[list[Any]]:
    """Stream one CSV file: UTF-8 (a BOM is fine), any line ending, cells up to ``MAX_CELL_CHARS``."""
    with open_binary() as raw:
        buffered = raw if hasattr(raw, "peek") else io.BufferedReader(raw)  # type: ignore[arg-type]
        if buffered.peek(2)[:2] in _UTF16_BOMS:
            raise refuse(f"{where} is UTF-16 text; save it as 'CSV UTF-8'")
        text = io.TextIOWrapper(buffered, encoding="utf-8-sig", newline="")
        used = [0, 1]
        reader = csv.reader(_lines(text, where, used), strict=True)
        row = 1
        while True:
            used[0], used[1] = 0, row
            try:
                cells = next(reader, None)
            except csv.Error as exc:
                message = str(exc)
                if "field larger than field limit" in message:
                    message = f"a cell is longer than {MAX_CELL_CHARS:,} characters"
                raise refuse(f"{where}, row {row}: {message}") from None
            if cells is None:
                return
            row += 1
            yield [restore_csv(cell) for cell in cells]


@contextmanager
def _field_limit() -> Iterator[None]:
    previous = csv.field_size_limit(MAX_CELL_CHARS)
    try:
        yield
    finally:
        csv.field_size_limit(previous)


def _csv_sheet(name: str, open_binary: Callable[[], IO[bytes]], where: str) -> RawSheet:
    return RawSheet(name, lambda: _csv_rows(open_binary, where), where)


def read_csv_folder(path: Path) -> Source:
    files = sorted(p for p in path.iterdir() if p.suffix.lower() == ".csv" and p.is_file())
    if not files:
        raise refuse(f"the folder {path} has no .csv files")
    check_source_size(path, sum(p.stat().st_size for p in files))
    problems = _unknown_sheets(p.stem for p in files)
    if problems:
        raise WorkbookError(problems)
    return Source({p.stem: _csv_sheet(p.stem, lambda p=p: p.open("rb"), p.name) for p in files})


def read_zip(path: Path) -> Source:
    archive = open_zip(path)
    members = [m for m in archive.namelist()
               if m.lower().endswith(".csv") and not m.startswith("__MACOSX") and not m.endswith("/")]
    names: dict[str, str] = {}
    problems: list[str] = []
    for member in members:
        stem = PurePosixPath(member).stem
        if stem in names:
            problems.append(f"workbook: {path.name} holds two files for the sheet '{stem}'")
        names[stem] = member
    if not members:
        problems.append(f"workbook: {path.name} holds no .csv files")
    problems += _unknown_sheets(names)
    if problems:
        archive.close()
        raise WorkbookError(problems)
    sheets = {name: _csv_sheet(name, lambda m=member: archive.open(m), f"{member} in {path.name}")
              for name, member in names.items()}
    return Source(sheets, [archive.close])


def open_source(path: Path) -> AbstractContextManager[Source]:
    """The sheets at ``path`` (``with open_source(p) as source``); WorkbookError if unreadable."""
    return _opened(path)


@contextmanager
def _opened(path: Path) -> Iterator[Source]:
    with _field_limit():
        source = _read(path)
        try:
            yield source
        finally:
            source.close()


def _read(path: Path) -> Source:
    try:
        if not path.exists():
            raise refuse(f"no file or folder at {path}")
        if path.is_dir():
            return read_csv_folder(path)
        suffix = path.suffix.lower()
        if suffix == ".xlsx":
            return read_xlsx(path)
        if suffix == ".zip":
            return read_zip(path)
        if suffix == ".csv":
            if path.stem not in SHEET_NAMES:
                raise WorkbookError(_unknown_sheets([path.stem]))
            check_source_size(path, path.stat().st_size)
            return Source({path.stem: _csv_sheet(path.stem, lambda: path.open("rb"), path.name)})
    except OSError as exc:
        raise refuse(f"{path.name} cannot be opened ({exc.strerror or type(exc).__name__})") from None
    raise refuse(f"{path.name} is not an .xlsx file, a .zip of CSV files or a folder of CSV files")
