"""Look inside an .xlsx or .zip before anything reads it: refuse what would exhaust memory.

Python's ``zipfile`` stops at a member's declared size and checks its CRC, so a .zip of CSVs
only needs its directory checked. The .xlsx reader (calamine) has its own zip reader, which
trusts the compressed stream, and it allocates one cell for every position between the first
and the last used cell of a sheet, copying a shared string into every cell that uses it. So
every .xlsx member is inflated here first, with bounded output, and each worksheet is scanned
for its cell references and shared-string uses: a sheet whose cells or text would exceed the
limits is refused before the reader sees it.
"""

from __future__ import annotations

import re
import struct
import zipfile
import zlib
from array import array
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from app.workbook.limits import (
    MAX_COLUMNS,
    MAX_COMPRESSION_RATIO,
    MAX_MEMBERS,
    MAX_SHEET_CELLS,
    MAX_SHEET_TEXT,
    MAX_SOURCE_BYTES,
    MAX_UNCOMPRESSED_BYTES,
    RATIO_FLOOR_BYTES,
)
from app.workbook.schema import WorkbookError

READ_CHUNK = 1 << 20
#: Inflated bytes per step; a chunk ends at its last ``>`` so no tag is split between chunks.
INFLATE_STEP = 4 << 20
_LOCAL_HEADER = struct.Struct("<IHHHHHIIIHH")
_LOCAL_SIGNATURE = 0x04034B50

# Cells are counted by their start tags, with any namespace prefix; a reference counts only when
# written ` r="A1"` (what every spreadsheet program writes): a cell written otherwise has no
# counted reference, so tags > references and the sheet is refused rather than misjudged.
_P = rb"(?:[A-Za-z_][\w.-]*:)?"
_PLAIN_TAG = re.compile(rb"<c[ >/\t\n\r]")  # one pass over the chunk, not one per ending
_PREFIXED_TAG = re.compile(rb"<[A-Za-z_][\w.-]*:c[\s/>]")
# The same reference matched twice, once for its row and once for its column: two passes that
# each give a list of bytes are twice as fast as one giving (column, row) pairs to take apart.
_CELL_REF_ROW = re.compile(rb" r=[\"'][A-Za-z]{1,3}([0-9]{1,7})[\"']")
_CELL_REF_COLUMN = re.compile(rb" r=[\"']([A-Za-z]{1,3})[0-9]{1,7}[\"']")
_SHARED_MARKS = (b't="s"', b"t='s'")
_SHARED_USE = re.compile(rb"t=[\"']s[\"'][^>]*>(?:[^<]|<(?!" + _P + rb"v[\s>]|/" + _P + rb"c>))*<" + _P
                         + rb"v[^>]*>\s*([0-9]{1,10})")
_SHARED_ITEM = re.compile(rb"<" + _P + rb"si[\s>].*?</" + _P + rb"si>|<" + _P + rb"si\s*/>", re.S)
#: The least markup of one cell (``<c r="A1"/>``): what an inline text estimate subtracts per cell.
CELL_MARKUP = 11


def refuse(message: str) -> WorkbookError:
    return WorkbookError([f"workbook: {message}"])


def check_source_size(path: Path, size: int) -> None:
    if size > MAX_SOURCE_BYTES:
        raise refuse(f"{path.name} is {size / 2**20:.1f} MB; an import takes at most {MAX_SOURCE_BYTES // 2**20} MB "
                     "(import the sheets one CSV file at a time)")


def _safe_name(name: str) -> bool:
    """A member name that stays inside the archive: no absolute path, drive, ``..`` or backslash."""
    if not name or "\\" in name or "\x00" in name or name.startswith("/") or re.match(r"^[A-Za-z]:", name):
        return False
    return ".." not in PurePosixPath(name).parts


def open_zip(path: Path, what: str = "a .zip file") -> zipfile.ZipFile:
    """The archive at ``path`` with every member's name, size, ratio and method checked."""
    check_source_size(path, path.stat().st_size)
    try:
        archive = zipfile.ZipFile(path)
        infos = archive.infolist()
    except NotImplementedError as exc:  # e.g. "zip file version 9.9": a feature, not damage
        raise refuse(f"{path.name} uses a zip feature this app does not read ({exc})") from None
    except Exception as exc:  # zipfile raises many types on a damaged directory
        raise refuse(f"{path.name} cannot be read as {what} (damaged: {type(exc).__name__})") from None
    try:
        check_members(path, infos)
    except WorkbookError:
        archive.close()
        raise
    return archive


def check_members(path: Path, infos: list[zipfile.ZipInfo]) -> None:
    if len(infos) > MAX_MEMBERS:
        raise refuse(f"{path.name} holds {len(infos)} files; at most {MAX_MEMBERS}")
    seen: set[str] = set()
    total = 0
    for info in infos:
        name = info.filename
        if not _safe_name(name):
            raise refuse(f"{path.name} holds a file with an unsafe name ({name[:80]!r})")
        if name in seen:
            raise refuse(f"{path.name} holds '{name[:80]}' twice")
        seen.add(name)
        if info.flag_bits & 0x1:
            raise refuse(f"{path.name} is password-protected; save it without a password")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise refuse(f"{path.name} uses a compression method this app does not read (method {info.compress_type})")
        total += info.file_size
        if total > MAX_UNCOMPRESSED_BYTES:
            raise refuse(f"{path.name} expands to more than {MAX_UNCOMPRESSED_BYTES // 2**20} MB")
        if info.file_size > RATIO_FLOOR_BYTES and info.file_size > MAX_COMPRESSION_RATIO * max(info.compress_size, 1):
            raise refuse(f"{path.name}: '{name[:80]}' expands {info.file_size // max(info.compress_size, 1)} times "
                         f"(at most {MAX_COMPRESSION_RATIO}); it is not a workbook this app reads")


def inflate(path: Path, info: zipfile.ZipInfo, visit: Callable[[bytes], None] | None = None) -> int:
    """Inflate one member from its raw bytes, refusing any output beyond its declared size."""
    with path.open("rb") as handle:
        handle.seek(info.header_offset)
        header = handle.read(_LOCAL_HEADER.size)
        if len(header) < _LOCAL_HEADER.size or _LOCAL_HEADER.unpack(header)[0] != _LOCAL_SIGNATURE:
            raise refuse(f"{path.name} is damaged ('{info.filename[:80]}' cannot be found)")
        name_length, extra_length = _LOCAL_HEADER.unpack(header)[9:11]
        handle.seek(info.header_offset + _LOCAL_HEADER.size + name_length + extra_length)
        left = info.compress_size
        inflater = zlib.decompressobj(-15) if info.compress_type == zipfile.ZIP_DEFLATED else None
        out = 0
        crc = 0
        while left > 0:
            raw = handle.read(min(READ_CHUNK, left))
            if not raw:
                raise refuse(f"{path.name} is cut short ('{info.filename[:80]}' is incomplete)")
            left -= len(raw)
            pending = raw
            while pending:
                if inflater is None:
                    data, pending = pending, b""
                else:
                    try:
                        data = inflater.decompress(pending, INFLATE_STEP)
                    except zlib.error:
                        raise refuse(f"{path.name} is damaged ('{info.filename[:80]}' does not inflate)") from None
                    pending = inflater.unconsumed_tail
                out += len(data)
                if out > info.file_size:
                    raise refuse(f"{path.name}: '{info.filename[:80]}' expands beyond its declared size")
                crc = zlib.crc32(data, crc)
                if visit is not None and data:
                    visit(data)
                if inflater is not None and inflater.eof:
                    break
            if inflater is not None and inflater.eof:
                break
    if out != info.file_size or crc != info.CRC:
        raise refuse(f"{path.name} is damaged ('{info.filename[:80]}' fails its checksum)")
    return out


def _after_last_cell(data: bytes) -> int:
    """Where the last complete cell (``</c>``) ends, else the last tag: chunks never split a cell."""
    position = len(data)
    while True:
        position = data.rfind(b"c>", 0, position)
        if position <= 0:
            return data.rfind(b">") + 1
        if data[position - 1:position] in (b"/", b":"):
            return position + 2


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters.upper():
        number = number * 26 + letter - 64
    return number


@dataclass
class SheetScan:
    """What one worksheet's XML commits the reader to: cell span, cell count, shared-string uses."""

    name: str
    tags: int = 0
    refs: int = 0
    rows: set[bytes] = field(default_factory=set)
    columns: set[bytes] = field(default_factory=set)
    shared: array = field(default_factory=lambda: array("I"))
    inline_bytes: int = 0
    _tail: bytes = b""

    def feed(self, data: bytes) -> None:
        data = self._tail + data
        cut = _after_last_cell(data)
        self._tail = data[cut:]
        if len(self._tail) > INFLATE_STEP:  # no '>' for megabytes: not a sheet this app wrote or reads
            raise refuse(f"'{self.name}' is not a worksheet (a tag runs for megabytes)")
        self._scan(data[:cut])

    def _scan(self, data: bytes) -> None:
        self.tags += len(_PLAIN_TAG.findall(data))
        if b":c" in data:
            self.tags += len(_PREFIXED_TAG.findall(data))
        rows = _CELL_REF_ROW.findall(data)
        self.refs += len(rows)
        if rows:
            self.rows.update(rows)
            self.columns.update(_CELL_REF_COLUMN.findall(data))
        if any(mark in data for mark in _SHARED_MARKS):
            self.shared.extend(min(int(index), 0xFFFFFFFF) for index in _SHARED_USE.findall(data))
        self.inline_bytes += len(data)
        if self.refs > MAX_SHEET_CELLS or len(self.rows) > MAX_SHEET_CELLS:
            raise refuse(f"'{self.name}' has more than {MAX_SHEET_CELLS:,} cells; one sheet takes at most that many "
                         "(import the sheets one CSV file at a time)")

    def finish(self, shared_lengths: array) -> None:
        self._scan(self._tail)
        if self.tags > self.refs:
            raise refuse(f"'{self.name}' has cells without a cell reference; open it in a spreadsheet program and "
                         "save it again")
        if not self.refs:
            return
        rows = [int(r) for r in self.rows]
        columns = [_column_number(c) for c in self.columns]
        if max(columns) > MAX_COLUMNS:
            raise refuse(f"'{self.name}' uses column {max(columns)}; a sheet has at most {MAX_COLUMNS} columns")
        span = (max(rows) - min(rows) + 1) * (max(columns) - min(columns) + 1)
        if span > MAX_SHEET_CELLS:
            raise refuse(f"'{self.name}' spans {span:,} cells (up to row {max(rows):,}); one sheet takes at most "
                         f"{MAX_SHEET_CELLS:,} (import the sheets one CSV file at a time)")
        text = max(0, self.inline_bytes - CELL_MARKUP * self.tags)
        for index in self.shared:
            text += shared_lengths[index] if index < len(shared_lengths) else 0
            if text > MAX_SHEET_TEXT:
                raise refuse(f"'{self.name}' holds more than {MAX_SHEET_TEXT:,} characters of text")


@dataclass
class SharedScan:
    """The length of each shared string (its XML, an upper bound of its text)."""

    lengths: array = field(default_factory=lambda: array("I"))
    _tail: bytes = b""

    def feed(self, data: bytes) -> None:
        data = self._tail + data
        end = 0
        for match in _SHARED_ITEM.finditer(data):
            self.lengths.append(match.end() - match.start())
            end = match.end()
        self._tail = data[end:]
        if len(self._tail) > 2 * INFLATE_STEP:
            raise refuse("the shared strings of the workbook hold an item of megabytes")


def check_xlsx(path: Path) -> None:
    """Inflate every member of an .xlsx with bounded output and scan every XML part for cells
    (a worksheet may live anywhere the workbook's relationships say). Raises WorkbookError."""
    archive = open_zip(path, "an .xlsx file")
    with archive:
        infos = archive.infolist()
    tables = [i for i in infos if PurePosixPath(i.filename).name.lower().startswith("sharedstrings")]
    if len(tables) > 1:
        raise refuse(f"{path.name} holds {len(tables)} shared-string tables; a workbook has one")
    shared = SharedScan()
    scans: list[SheetScan] = []
    for info in infos:
        if info in tables:
            inflate(path, info, shared.feed)
        elif info.filename.lower().endswith(".xml"):
            scan = SheetScan(info.filename)
            inflate(path, info, scan.feed)
            scans.append(scan)
        else:
            inflate(path, info)
    for scan in scans:
        scan.finish(shared.lengths)
