"""A seeded, bounded corpus of damaged and hostile workbooks for ``mroqc-desk import`` (issue 13).

Every input is made here from the valid workbook of ``tests.unit.test_workbook`` (nothing is
downloaded): byte flips and truncations of .xlsx and .zip files, zip bombs (by ratio, by a lying
size, by member count, by declared size), member names that climb out of the archive, encodings,
line endings, huge cells and numbers, every nonsense value issue 13 found, and .xlsx files written
by hand to attack the spreadsheet reader (a cell in the far corner, cells without references,
a shared string used a hundred thousand times, entity expansion). The same seed gives the same
files; the whole corpus is about 100 files and 80 MB on disk, most of it one file that is too big.
"""

from __future__ import annotations

import csv
import io
import random
import struct
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from app.storage.tabular import Sheet, write_xlsx
from tests.unit.test_workbook import VALID, mutate

Sheets = dict[str, list[list[str]]]


@dataclass(frozen=True)
class Input:
    """One corpus file; ``family`` groups the figures; ``valid``: must import (exit 0)."""

    name: str
    path: Path
    family: str
    valid: bool = False


def copy_sheets(sheets: Sheets = VALID) -> Sheets:
    return {name: [list(row) for row in rows] for name, rows in sheets.items()}


def csv_bytes(rows: list[list[str]], *, newline: str = "\r\n", encoding: str = "utf-8") -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator=newline).writerows(rows)
    return buffer.getvalue().encode(encoding)


def write_folder(folder: Path, sheets: Sheets, **options: str) -> Path:
    folder.mkdir(parents=True)
    for name, rows in sheets.items():
        (folder / f"{name}.csv").write_bytes(csv_bytes(rows, **options))
    return folder


def write_zip(path: Path, members: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", method) as archive:
        for name, data in members.items():
            archive.writestr(zipfile.ZipInfo(name, (2025, 1, 1, 0, 0, 0)), data, compress_type=method)
    return path


def csv_zip(path: Path, sheets: Sheets) -> Path:
    return write_zip(path, {f"{name}.csv": csv_bytes(rows) for name, rows in sheets.items()})


def xlsx(path: Path, sheets: Sheets) -> Path:
    write_xlsx(path, [Sheet(name, rows[0], rows[1:], empty_note="") for name, rows in sheets.items()])
    return path


# ---- hand-written .xlsx parts ------------------------------------------------------------

_CONTENT_TYPES = ('<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
                  'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
                  'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName='
                  '"/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.'
                  'main+xml"/>{overrides}</Types>')
_SHEET_TYPE = ('<Override PartName="/xl/worksheets/sheet{n}.xml" ContentType="application/vnd.openxmlformats-'
               'officedocument.spreadsheetml.worksheet+xml"/>')
_SST_TYPE = ('<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.'
             'spreadsheetml.sharedStrings+xml"/>')
_ROOT_RELS = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
              '2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
              'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>')
_NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
_REL_NS = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'


def _column(number: int) -> str:
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def inline_row(row: int, values: list[str]) -> str:
    cells = "".join(f'<c r="{_column(i + 1)}{row}" t="inlineStr"><is><t>{v}</t></is></c>' for i, v in enumerate(values))
    return f'<row r="{row}">{cells}</row>'


def raw_xlsx(path: Path, sheets: dict[str, str], shared: str | None = None, extra: dict[str, bytes] | None = None) -> Path:
    """An .xlsx from sheet XML bodies (``<sheetData>`` content) by sheet name, written by hand."""
    names = list(sheets)
    workbook = (f'<?xml version="1.0" encoding="UTF-8"?><workbook {_NS} {_REL_NS}><sheets>'
                + "".join(f'<sheet name="{n}" sheetId="{i + 1}" r:id="rId{i + 1}"/>' for i, n in enumerate(names))
                + "</sheets></workbook>")
    rels = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
            'relationships">' + "".join(
                f'<Relationship Id="rId{i + 1}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
                f'worksheet" Target="worksheets/sheet{i + 1}.xml"/>' for i in range(len(names))))
    overrides = "".join(_SHEET_TYPE.format(n=i + 1) for i in range(len(names)))
    if shared is not None:
        rels += (f'<Relationship Id="rId{len(names) + 1}" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                 'relationships/sharedStrings" Target="sharedStrings.xml"/>')
        overrides += _SST_TYPE
    rels += "</Relationships>"
    members = {"[Content_Types].xml": _CONTENT_TYPES.format(overrides=overrides).encode(), "_rels/.rels": _ROOT_RELS.encode(),
               "xl/workbook.xml": workbook.encode(), "xl/_rels/workbook.xml.rels": rels.encode()}
    for i, name in enumerate(names):
        body = sheets[name]
        members[f"xl/worksheets/sheet{i + 1}.xml"] = (
            body.encode() if body.startswith("<?xml") else
            f'<?xml version="1.0" encoding="UTF-8"?><worksheet {_NS}><sheetData>{body}</sheetData></worksheet>'.encode())
    if shared is not None:
        members["xl/sharedStrings.xml"] = shared.encode()
    members.update(extra or {})
    return write_zip(path, members)


# ---- mutations of bytes -------------------------------------------------------------------

def flip_bytes(data: bytes, rng: random.Random, flips: int) -> bytes:
    out = bytearray(data)
    for _ in range(flips):
        at = rng.randrange(len(out))
        out[at] ^= 1 << rng.randrange(8)
    return bytes(out)


def flip_in_members(data: bytes, rng: random.Random, flips: int) -> bytes:
    """Flips inside the compressed data of the members (what zlib and the XML parser see)."""
    out = bytearray(data)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        spans = [(i.header_offset + 30 + len(i.filename.encode()), i.compress_size) for i in archive.infolist()
                 if i.compress_size > 16]
    for _ in range(flips):
        start, size = rng.choice(spans)
        at = start + rng.randrange(size)
        out[at] ^= 1 << rng.randrange(8)
    return bytes(out)


def patch_sizes(data: bytes, member: str, *, file_size: int | None = None) -> bytes:
    """Rewrite a member's uncompressed size in the central directory (a lying zip)."""
    out = bytearray(data)
    name = member.encode()
    at = 0
    while True:
        at = out.find(b"PK\x01\x02", at)
        if at < 0:
            raise ValueError(member)
        name_length = struct.unpack_from("<H", out, at + 28)[0]
        if bytes(out[at + 46:at + 46 + name_length]) == name:
            break
        at += 4
    if file_size is not None:
        struct.pack_into("<I", out, at + 24, file_size)
    return bytes(out)


# ---- the corpus ---------------------------------------------------------------------------

NONSENSE: list[tuple[str, int, str, str]] = [
    # issue 13's list, one value each (sheet, row as a spreadsheet numbers it, column, value)
    ("facility", 4, "value", "-3"),
    ("facility", 6, "value", "0"),
    ("facility", 6, "value", "99999"),
    ("facility", 5, "value", "2099-01-01"),
    ("cases", 2, "case_id", "C" * 100_000),
    ("cases", 2, "case_id", "C\x00NUL"),
    ("cases", 2, "birth_date", "1800-01-01"),
    ("cases", 2, "primary_site", "liver"),
    ("program_years", 2, "year", "-5"),
    ("dosimetry", 2, "submitted_on", "1900-01-01"),
    ("dosimetry", 2, "metrics", "a=1;a=2"),
    ("dosimetry", 2, "technique", "T" * 10_000),
    ("facility", 4, "value", str(2**63)),
    ("dosimetry", 2, "fractions", str(2**64)),
    ("dosimetry", 2, "total_dose_gy", "1e309"),
    ("dosimetry", 2, "total_dose_gy", "nan"),
    ("program_years", 2, "year", "1" * 5000),
    ("cases", 2, "note", "x" * 131_073),
    ("meetings", 2, "title", "=HYPERLINK(\"http://x\")" * 20),
]


def build(folder: Path, seed: int = 13) -> list[Input]:
    """Write the corpus into ``folder`` and list it."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    made: list[Input] = []

    def add(name: str, family: str, make: Callable[[Path], Path], valid: bool = False) -> None:
        made.append(Input(name, make(folder / name), family, valid))

    base_xlsx = xlsx(folder / "base.xlsx", copy_sheets())
    base_zip = csv_zip(folder / "base.zip", copy_sheets())
    made += [Input("base.xlsx", base_xlsx, "valid", True), Input("base.zip", base_zip, "valid", True)]
    add("base-folder", "valid", lambda p: write_folder(p, copy_sheets()), valid=True)
    xlsx_bytes, zip_bytes = base_xlsx.read_bytes(), base_zip.read_bytes()

    for i in range(10):
        flips = rng.choice((1, 2, 4, 16))
        add(f"flip-{i}.xlsx", "byte flips", lambda p, f=flips: _bytes(p, flip_in_members(xlsx_bytes, rng, f)))
    for i in range(4):
        add(f"flip-any-{i}.xlsx", "byte flips", lambda p: _bytes(p, flip_bytes(xlsx_bytes, rng, rng.choice((1, 8)))))
    for i in range(5):
        add(f"flip-{i}.zip", "byte flips", lambda p: _bytes(p, flip_in_members(zip_bytes, rng, rng.choice((1, 3)))))
    for i in range(5):
        add(f"cut-{i}.xlsx", "truncations", lambda p: _bytes(p, xlsx_bytes[:rng.randrange(len(xlsx_bytes))]))
    for i in range(3):
        add(f"cut-{i}.zip", "truncations", lambda p: _bytes(p, zip_bytes[:rng.randrange(len(zip_bytes))]))
    add("empty.xlsx", "truncations", lambda p: _bytes(p, b""))
    add("text.xlsx", "truncations", lambda p: _bytes(p, b"not a spreadsheet"))

    _bombs(add)
    _names(add, xlsx_bytes)
    _text_forms(add)
    _huge(add)
    for i, (sheet, row, column, value) in enumerate(NONSENSE):
        sheets = mutate(sheet, row, column, value)
        as_zip = i % 2 or len(value) > 32_767  # longer than a spreadsheet cell: only CSV carries it
        target = csv_zip if as_zip else xlsx
        add(f"nonsense-{i}.{'zip' if as_zip else 'xlsx'}", "nonsense values", lambda p, s=sheets, t=target: t(p, s))
    _crafted_xlsx(add)
    return made


def _bytes(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _bombs(add: Callable[..., None]) -> None:
    def ratio_zip(path: Path) -> Path:  # 300 MB of one letter in a note: about 300 KB compressed
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
            archive.writestr("facility.csv", csv_bytes(VALID["facility"]))
            with archive.open("cases.csv", "w", force_zip64=True) as member:
                member.write(b"case_id,project,eligible_on,status,note\r\nC9,breast,2025-01-02,pending,\"")
                block = b"a" * (1 << 20)
                for _ in range(300):
                    member.write(block)
                member.write(b"\"\r\n")
        return path

    add("bomb-ratio.zip", "zip bombs", ratio_zip)

    def ratio_xlsx(path: Path) -> Path:  # a worksheet padded with 60 MB of spaces
        body = inline_row(1, ["year", "performance_targets_met"]) + " " * 60_000_000
        return raw_xlsx(path, {"program_years": body})

    add("bomb-ratio.xlsx", "zip bombs", ratio_xlsx)

    def lying_zip(path: Path) -> Path:  # declares 100 bytes, inflates to 20 MB
        data = write_zip(path, {"facility.csv": csv_bytes(VALID["facility"]),
                                "cases.csv": b"case_id\r\n" + b"C1\r\n" * 5_000_000}).read_bytes()
        return _bytes(path, patch_sizes(data, "cases.csv", file_size=100))

    add("bomb-lying.zip", "zip bombs", lying_zip)

    def lying_xlsx(path: Path) -> Path:
        body = "".join(inline_row(r, [str(2000 + r % 50), "yes"]) for r in range(1, 200_000))
        data = raw_xlsx(path, {"program_years": body}).read_bytes()
        return _bytes(path, patch_sizes(data, "xl/worksheets/sheet1.xml", file_size=1000))

    add("bomb-lying.xlsx", "zip bombs", lying_xlsx)

    def declared_zip(path: Path) -> Path:  # claims 4 GB uncompressed
        data = csv_zip(path, copy_sheets()).read_bytes()
        return _bytes(path, patch_sizes(data, "cases.csv", file_size=0xFFFF0000))

    add("bomb-declared.zip", "zip bombs", declared_zip)
    add("bomb-members.zip", "zip bombs", lambda p: write_zip(p, {f"x{i}/cases.csv": b"case_id\r\n" for i in range(300)}))

    def nested(path: Path) -> Path:  # a zip whose cases.csv is itself a zip
        inner = io.BytesIO()
        with zipfile.ZipFile(inner, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("cases.csv", b"case_id\r\n" * 100_000)
        return write_zip(path, {"cases.csv": inner.getvalue(), "facility.csv": csv_bytes(VALID["facility"])})

    add("bomb-nested.zip", "zip bombs", nested)


def _names(add: Callable[..., None], xlsx_bytes: bytes) -> None:
    for i, name in enumerate(("../cases.csv", "/tmp/cases.csv", "a/../../cases.csv", "C:/cases.csv", "..\\cases.csv",
                              "cases.csv\x00.txt")):
        sheets = copy_sheets()
        members = {f"{k}.csv": csv_bytes(v) for k, v in sheets.items() if k != "cases"}
        members[name] = csv_bytes(sheets["cases"])
        add(f"names-{i}.zip", "member names", lambda p, m=members: write_zip(p, m))

    def evil_xlsx(path: Path) -> Path:
        with zipfile.ZipFile(io.BytesIO(xlsx_bytes)) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
            for info in source.infolist():
                out.writestr(info, source.read(info))
            out.writestr("../../evil.xml", b"<x/>")
        return path

    add("names-evil.xlsx", "member names", evil_xlsx)
    add("names-twice.zip", "member names", lambda p: write_zip(p, {"cases.csv": b"case_id\r\n", "sub/cases.csv": b"x\r\n"}))


def _text_forms(add: Callable[..., None]) -> None:
    sheets = copy_sheets()
    sheets["staff"][1][1] = "Dr. Ada Synthétique"
    for encoding in ("utf-16", "utf-16-be", "cp1252", "utf-8-sig", "utf-32"):
        add(f"enc-{encoding}", "encodings", lambda p, e=encoding: write_folder(p, sheets, encoding=e),
            valid=encoding == "utf-8-sig")
    add("enc-invalid", "encodings", lambda p: _invalid_utf8(write_folder(p, copy_sheets())))
    add("enc-nul", "encodings", lambda p: _nul_bytes(write_folder(p, copy_sheets())))
    for label, newline in (("cr", "\r"), ("lf", "\n"), ("crlf", "\r\n"), ("lfcr", "\n\r")):
        add(f"endings-{label}", "line endings", lambda p, n=newline: write_folder(p, copy_sheets(), newline=n),
            valid=label != "lfcr")
    add("endings-mixed.zip", "line endings", lambda p: write_zip(p, {
        f"{k}.csv": csv_bytes(v, newline=("\r", "\n", "\r\n")[i % 3]) for i, (k, v) in enumerate(copy_sheets().items())}),
        valid=True)


def _invalid_utf8(folder: Path) -> Path:
    path = folder / "staff.csv"
    path.write_bytes(path.read_bytes().replace(b"Ada", b"A\xffa"))
    return folder


def _nul_bytes(folder: Path) -> Path:
    path = folder / "cases.csv"
    path.write_bytes(path.read_bytes().replace(b"C1,", b"C\x001,"))
    return folder


def _huge(add: Callable[..., None]) -> None:
    def field(size: int, lines: bool = False) -> Callable[[Path], Path]:
        def make(path: Path) -> Path:
            path.mkdir()
            (path / "facility.csv").write_bytes(csv_bytes(VALID["facility"]))
            chunk = ("x" * 1000 + "\n") if lines else "x" * 1001
            body = chunk * (size // 1001)
            (path / "cases.csv").write_text(f'case_id,project,eligible_on,status,note\nC1,breast,2025-01-02,pending,"{body}"\n',
                                           encoding="utf-8")
            return path
        return make

    add("huge-cell-131073", "huge cells", field(131_073))
    add("huge-field-5mb-lines", "huge cells", field(5_000_000, lines=True))
    add("huge-field-5mb", "huge cells", field(5_000_000))

    def too_big(path: Path) -> Path:  # over the 50 MB a source may be
        with path.open("wb") as handle:
            handle.write(b"year,performance_targets_met\r\n")
            line = b"2020,yes\r\n" * 100_000
            for _ in range(60):
                handle.write(line)
        return path

    add("program_years.csv", "huge cells", too_big)

    def many_rows(path: Path) -> Path:  # more rows than one import takes
        path.mkdir()
        with (path / "data_entry.csv").open("wb") as handle:
            handle.write(b"date,kind\r\n")
            handle.write(b"2025-01-02,other\r\n" * 1_000_050)
        return path

    add("rows-1000050", "huge cells", many_rows)
    numbers = copy_sheets()
    numbers["facility"][3][1] = str(2**63)
    add("numbers.xlsx", "huge numbers", lambda p: raw_xlsx(p, {"facility": "".join(
        inline_row(i + 1, r) for i, r in enumerate(numbers["facility"])), "program_years":
        inline_row(1, ["year", "performance_targets_met"]) + '<row r="2"><c r="A2"><v>1e308</v></c><c r="B2" t="b">'
        '<v>1</v></c></row><row r="3"><c r="A3"><v>9223372036854775808</v></c><c r="B3" t="b"><v>0</v></c></row>'}))


def _crafted_xlsx(add: Callable[..., None]) -> None:
    header = inline_row(1, ["year", "performance_targets_met"])
    add("xlsx-huge-cell.xlsx", "crafted xlsx", lambda p: raw_xlsx(p, {"program_years": header + inline_row(
        2, ["9" * 200_000, "yes"])}))
    add("xlsx-far-corner.xlsx", "crafted xlsx", lambda p: raw_xlsx(p, {"program_years": header + (
        '<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>')}))
    add("xlsx-wide.xlsx", "crafted xlsx", lambda p: raw_xlsx(p, {"program_years": header + (
        '<row r="900000"><c r="BL900000" t="inlineStr"><is><t>x</t></is></c></row>')}))
    add("xlsx-tall.xlsx", "crafted xlsx", lambda p: raw_xlsx(p, {"program_years": header + (
        '<row r="1048576"><c r="A1048576" t="inlineStr"><is><t>x</t></is></c></row>')}))
    add("xlsx-no-refs.xlsx", "crafted xlsx", lambda p: raw_xlsx(p, {"program_years": header + (
        '<row>' + '<c t="inlineStr"><is><t>x</t></is></c>' * 5000 + '</row>')}))

    def shared_bomb(path: Path) -> Path:  # one 20,000-character string used by 100,000 cells: 2 billion characters
        shared = (f'<?xml version="1.0" encoding="UTF-8"?><sst {_NS} count="2" uniqueCount="2"><si><t>year</t></si>'
                  f'<si><t>{"y" * 20_000}</t></si></sst>')
        body = '<row r="1"><c r="A1" t="s"><v>0</v></c></row>' + "".join(
            f'<row r="{r}"><c r="A{r}" t="s"><v>1</v></c></row>' for r in range(2, 100_002))
        return raw_xlsx(path, {"program_years": body}, shared=shared)

    add("xlsx-shared-bomb.xlsx", "crafted xlsx", shared_bomb)

    def laughs(path: Path) -> Path:  # entity expansion ("billion laughs") in the shared strings
        entities = '<!ENTITY a "aaaaaaaaaa">' + "".join(
            f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(8))
        shared = (f'<?xml version="1.0"?><!DOCTYPE sst [{entities}]><sst {_NS}><si><t>&i;</t></si></sst>')
        return raw_xlsx(path, {"program_years": '<row r="1"><c r="A1" t="s"><v>0</v></c></row>'}, shared=shared)

    add("xlsx-laughs.xlsx", "crafted xlsx", laughs)
    add("xlsx-empty-sheet.xlsx", "crafted xlsx", lambda p: raw_xlsx(p, {"program_years": ""}))
    add("xlsx-header-only.xlsx", "crafted xlsx", lambda p: raw_xlsx(p, {"program_years": header}))
    add("xlsx-unknown-sheet.xlsx", "crafted xlsx", lambda p: raw_xlsx(p, {"Sheet1": header}))
    add("xlsx-bad-index.xlsx", "crafted xlsx", lambda p: raw_xlsx(p, {"program_years": header + (
        '<row r="2"><c r="A2" t="s"><v>4294967295</v></c></row>')}, shared=f'<sst {_NS}><si><t>x</t></si></sst>'))
    add("xlsx-bad-xml.xlsx", "crafted xlsx", lambda p: raw_xlsx(p, {"program_years": header + "<row r=\"2\"><c r="}))
    add("xlsx-out-of-order.xlsx", "crafted xlsx", lambda p: raw_xlsx(p, {"program_years": (
        inline_row(5, ["2020", "yes"]) + header + inline_row(3, ["2021", "no"]))}))
    add("xlsx-formula.xlsx", "crafted xlsx", lambda p: raw_xlsx(p, {"program_years": header + (
        '<row r="2"><c r="A2"><f>1/0</f><v>#DIV/0!</v></c><c r="B2" t="e"><v>#N/A</v></c></row>')}))
    add("xlsx-dates.xlsx", "crafted xlsx", lambda p: raw_xlsx(p, {"meetings": inline_row(1, [
        "meeting_id", "date", "format"]) + '<row r="2"><c r="A2" t="inlineStr"><is><t>M7</t></is></c><c r="B2" t="d">'
        '<v>2999-13-45T00:00:00</v></c><c r="C2" t="inlineStr"><is><t>virtual</t></is></c></row>'}))
