"""Read a hand-edited TOML file into its typed model, refusing it with the file, the key and the line.

Every resource file the app reads (policy, data-quality rules, MIPS years, the QIP process, security,
export columns, program numbers, a screening mapping) has one model: a frozen dataclass or a
``msgspec.Struct`` whose fields are the file's keys, each declared once with its type and bounds
(``Annotated[int, msgspec.Meta(ge=0)]``). This module is the one reader of them all, so a
coordinator who mistypes a key gets the same kind of answer from every file: what is wrong, at
which key, on which line (``tomllib`` gives no line; ``key_lines`` finds it in the text).

Wording: a key whose type has bounds or a ``Meta(description=...)`` is explained in words
("'enrollment.zero_enrollment_days' must be a whole number ≥ 0 (found -3)"); one with a plain type
keeps msgspec's own words ("Expected `int`, got `str` - at `$.final.cap`"); a key read by an ``As``
reader says what its reader says. Every problem of a file is listed at once, so a hand-edited file
is fixed in one go; only unknown keys (a typo, which makes the rest misleading) are said alone.
"""

from __future__ import annotations

import dataclasses
import re
import tomllib
import typing
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

import msgspec

T = TypeVar("T")


@dataclass(frozen=True)
class As:
    """A key read by a function, for values msgspec has no type for (an exact ratio written as text,
    a code list with its vocabulary): ``read`` returns the value or raises ``ValueError`` whose text
    completes "'key' …" ("must be text in quotes (found 0.2)")."""

    read: Callable[[Any], Any]


def key(path: str) -> Any:
    """A dataclass field written elsewhere in the file than under its own name
    (``zero_enrollment_days: Days = key("enrollment.zero_enrollment_days")``)."""
    return dataclasses.field(metadata={"toml": path})


# ---- where each key is written ----------------------------------------------------------------

_PART = r'(?:[A-Za-z0-9_-]+|"(?:[^"\\]|\\.)*"|\'[^\']*\')'
_DOTTED = rf"{_PART}(?:\s*\.\s*{_PART})*"
_TABLE = re.compile(rf"^\s*\[\s*({_DOTTED})\s*\]\s*(?:#.*)?$")
_ARRAY = re.compile(rf"^\s*\[\[\s*({_DOTTED})\s*\]\]\s*(?:#.*)?$")
_KEY = re.compile(rf"^\s*({_DOTTED})\s*=")


def _dotted(text: str) -> str:
    return ".".join(part.strip("\"'") for part in re.findall(_PART, text))


def key_lines(text: str) -> dict[str, int]:
    """The line (1-based) on which each key is written, as ``table.key`` (``rules[3].check`` for
    the fourth ``[[rules]]``), for error messages: a hand-edited file is fixed faster when the
    message says where. Reads the plain ``[table]`` / ``[[array]]`` / ``key =`` layout of the
    bundled files, skipping multi-line strings; a key it cannot place is reported without a line."""
    lines: dict[str, int] = {}
    arrays: dict[str, int] = {}
    table, in_string = "", None
    for number, line in enumerate(text.splitlines(), start=1):
        if in_string is not None:
            if line.count(in_string) % 2:
                in_string = None
            continue
        array, header, found = _ARRAY.match(line), _TABLE.match(line), _KEY.match(line)
        if array:
            path = _dotted(array.group(1))
            arrays[path] = arrays.get(path, -1) + 1
            table = f"{path}[{arrays[path]}]"
            lines.setdefault(path, number)
            lines.setdefault(table, number)
        elif header:
            table = _dotted(header.group(1))
            lines.setdefault(table, number)
        elif found:
            lines.setdefault(f"{table}.{_dotted(found.group(1))}".lstrip("."), number)
        for quote in ('"""', "'''"):
            if line.count(quote) % 2:
                in_string = quote
                break
    return lines


def line_of(path: str, lines: dict[str, int]) -> int | None:
    """The line of ``path``, else of the nearest enclosing key or table written in the file."""
    while path:
        if path in lines:
            return lines[path]
        path = re.sub(r"(\.[^.\[]*|\[[^\]]*\])$", "", path) if re.search(r"[.\[]", path) else ""
    return None


# ---- the model's fields -----------------------------------------------------------------------

@dataclass(frozen=True)
class _Field:
    attr: str
    path: str        # dotted, relative to the table the model reads
    type: Any
    required: bool


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and (dataclasses.is_dataclass(tp) or issubclass(tp, msgspec.Struct))


@cache
def _fields(model: type) -> list[_Field]:
    if issubclass(model, msgspec.Struct):
        return [_Field(f.name, f.encode_name, f.type, f.required) for f in msgspec.structs.fields(model)]
    hints = typing.get_type_hints(model, include_extras=True)
    return [_Field(f.name, f.metadata.get("toml", f.name), hints[f.name],
                   f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING)
            for f in dataclasses.fields(model)]


def _reader(tp: Any) -> As | None:
    if typing.get_origin(tp) is typing.Annotated:
        return next((m for m in tp.__metadata__ if isinstance(m, As)), None)
    return None


def _words(tp: Any) -> str | None:
    """How a key's type is said in words, when the model says more than the bare type."""
    info = msgspec.inspect.type_info(tp)
    if isinstance(info, msgspec.inspect.UnionType):  # an optional key: said as its value's type
        given = [t for t in info.types if not isinstance(t, msgspec.inspect.NoneType)]
        if len(given) != 1:
            return None
        info = given[0]
    if isinstance(info, msgspec.inspect.Metadata):
        described = (info.extra_json_schema or {}).get("description")
        if described:
            return described
        info = info.type
    if isinstance(info, msgspec.inspect.IntType):
        low = (f"from {info.ge}" if info.ge is not None else None)
        if low and info.le is not None:
            return f"a whole number {low} to {info.le}"
        if info.ge is not None:
            return f"a whole number ≥ {info.ge}"
        if info.gt is not None:
            return f"a whole number > {info.gt}"
    return None


_MISSING = object()


def _get(data: Any, path: str) -> Any:
    node = data
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return _MISSING
        node = node[part]
    return node


def _leaves(data: dict[str, Any], prefix: str = "") -> list[str]:
    out = []
    for name, value in data.items():
        path = f"{prefix}{name}"
        out += _leaves(value, path + ".") if isinstance(value, dict) and value else [path]
    return out


def _known(model: type, prefix: str = "") -> list[str]:
    """Every key path the model reads; a key under a dict-typed field is that field's."""
    out = []
    for f in _fields(model):
        out += _known(f.type, f"{prefix}{f.path}.") if _is_model(f.type) else [f"{prefix}{f.path}"]
    return out


@cache
def _knows(model: type) -> tuple[list[str], frozenset[str], frozenset[str]]:
    """The model's key paths in order, as a set, and every table above them."""
    known = _known(model)
    tables = {k.rsplit(".", n)[0] for k in known for n in range(1, k.count(".") + 1)}
    return known, frozenset(known), frozenset(tables)


def _unknown(leaf: str, known: frozenset[str], tables: frozenset[str]) -> bool:
    """Not a key the model reads, nor one under a table it reads whole, nor a table of its keys."""
    parts = leaf.split(".")
    return leaf not in tables and not any(".".join(parts[:n]) in known for n in range(1, len(parts) + 1))


@dataclass(frozen=True)
class _Problem:
    """One thing wrong: at ``path``; ``said`` completes "'key' …" when ``worded`` (the model's words),
    else is msgspec's own sentence with its path."""

    path: str
    said: str
    worded: bool = True


def _convert(value: Any, f: _Field, where: str) -> Any:
    """One key's value, typed; ``_Bad`` says what is wrong, in the model's words where it has some."""
    reader = _reader(f.type)
    if reader is not None:
        try:
            return reader.read(value)
        except (TypeError, ValueError) as exc:
            raise _Bad(_Problem(where, str(exc))) from None
    try:
        return msgspec.convert(value, f.type)
    except msgspec.ValidationError as exc:
        words = _words(f.type)
        if words is not None:
            raise _Bad(_Problem(where, f"must be {words} (found {value!r})")) from None
        text = str(exc)
        if " - at `$" in text:  # an error inside a list or table: msgspec's path, from the file's root
            text = text.replace(" - at `$", f" - at `$.{where}", 1)
        else:
            text = f"{text} - at `$.{where}`"
        raise _Bad(_Problem(_inner(where, text), text, worded=False)) from None


class _Bad(Exception):
    def __init__(self, problem: _Problem) -> None:
        super().__init__(problem.said)
        self.problem = problem


def _build(model: type[T], data: Any, prefix: str, problems: list[_Problem]) -> T | None:
    values: dict[str, Any] = {}
    for f in _fields(model):
        where = f"{prefix}{f.path}"
        raw = _get(data, f.path)
        if raw is _MISSING:
            if f.required:
                problems.append(_Problem(where, "is missing"))
            continue
        if _is_model(f.type) and isinstance(raw, dict):
            values[f.attr] = _build(f.type, raw, where + ".", problems)
            continue
        try:
            values[f.attr] = _convert(raw, f, where)
        except _Bad as bad:
            problems.append(bad.problem)
    if problems:
        return None
    try:
        return model(**values)
    except (TypeError, ValueError) as exc:  # what the model's own check says of the table as a whole
        problems.append(_Problem(prefix.rstrip("."), str(exc), worded=False))
        return None


def _inner(path: str, message: str) -> str:
    """The deepest key msgspec's sentence names, inside a list or table."""
    inner = re.search(r" - at `\$\.([^`]*)`", message)
    unknown = re.match(r"Object contains unknown field `([^`]*)`", message)
    found = inner.group(1) if inner else path
    return f"{found}.{unknown.group(1)}" if unknown else found


def _said(problem: _Problem, line: int | None, quoted: bool) -> str:
    """A problem with its key and line: "line 13: 'enrollment.zero_enrollment_days' must be …"
    (``quoted``), "header_row must be …, on line 3" (a file whose keys are short), msgspec's
    sentence then "(line 52)"; a missing key has no line of its own."""
    if not problem.worded:
        return problem.said + (f" (line {line})" if line else "")
    if problem.said == "is missing":
        line = None
    if quoted:
        return (f"line {line}: " if line else "") + f"'{problem.path}' {problem.said}"
    return f"{problem.path} {problem.said}" + (f", on line {line}" if line else "")


def from_data(data: dict[str, Any], source: str, model: type[T], error: type[Exception],
              text: str | None = None, *, quoted: bool = True) -> T:
    """A checked ``model`` from a parsed TOML document; ``error`` names the file, the key and, when
    the file's ``text`` is given, the line. ``quoted``: keys in quotes, the line first (files with
    dotted keys); else bare keys, the line after."""
    known, known_set, tables = _knows(model)
    unknown = [k for k in _leaves(data) if _unknown(k, known_set, tables)]
    where = key_lines(text) if text is not None and unknown else {}
    if unknown:
        table = unknown[0].rpartition(".")[0]
        siblings = sorted(k[len(table) + 1 if table else 0:] for k in known
                          if k.rpartition(".")[0] == table)
        raise error(f"{source}: unknown key(s) {', '.join(repr(k) for k in unknown)}"
                    + "".join(f" ({k!r} is on line {where[k]})" for k in unknown if k in where)
                    + (f"; known {f'in [{table}]' if table else 'keys'}: {', '.join(siblings)}" if siblings else ""))
    problems: list[_Problem] = []
    built = _build(model, data, "", problems)
    if problems or built is None:
        where = key_lines(text) if text is not None else {}
        raise error(f"{source}: " + "; ".join(_said(p, line_of(p.path, where), quoted) for p in problems))
    return built


def read_text(text: str, source: str, model: type[T], error: type[Exception], *, quoted: bool = True) -> T:
    """A checked ``model`` from a file's text (``source``: how the messages name the file)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{source}: not valid TOML ({exc})") from None
    return from_data(data, source, model, error, text, quoted=quoted)


def read_file(path: Path, model: type[T], error: type[Exception], missing: str | None = None, *,
              quoted: bool = True) -> T:
    """A checked ``model`` from a file on disk, named by its file name; ``missing``: what to say
    when there is no such file (else it is said with its path)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise error(missing or f"There is no file {path}.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise error(f"{Path(path).name} cannot be read: {exc}") from None
    return read_text(text, Path(path).name, model, error, quoted=quoted)
