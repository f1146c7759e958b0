"""Finding how a list writes its dates, and saying why.

EHR reports write US dates (``03/04/2025`` is March 4), European exports the other way round;
nothing in one cell tells them apart. So the format is decided once per file over every date it
holds: the one candidate that reads all of them wins, and the evidence says so in words ("all 412
dates fit MM/DD/YYYY; none fits DD/MM/YYYY"). When two candidates read every date (no day above
12 anywhere) the file is refused as ambiguous rather than guessed: the mapping's ``date_format``
settles it. Spreadsheet cells that already hold dates need no format.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

#: Candidate formats, most usual first, with the words the evidence uses for each.
CANDIDATES: tuple[tuple[str, str], ...] = (
    ("%m/%d/%Y", "MM/DD/YYYY"), ("%d/%m/%Y", "DD/MM/YYYY"), ("%Y-%m-%d", "YYYY-MM-DD"),
    ("%m-%d-%Y", "MM-DD-YYYY"), ("%d-%m-%Y", "DD-MM-YYYY"), ("%d.%m.%Y", "DD.MM.YYYY"),
    ("%Y/%m/%d", "YYYY/MM/DD"), ("%m/%d/%y", "MM/DD/YY"), ("%d/%m/%y", "DD/MM/YY"), ("%Y%m%d", "YYYYMMDD"),
    ("%d-%b-%Y", "DD-Mon-YYYY"), ("%d %b %Y", "DD Mon YYYY"), ("%b %d, %Y", "Mon DD, YYYY"),
)
WORDS = dict(CANDIDATES)
#: A time after the date ("03/04/2025 14:30", "2025-03-04T14:30:00") is dropped before reading.
_TIME_TAIL = re.compile(r"[ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?( ?[AaPp][Mm])?(Z|[+-]\d{2}:?\d{2})?$")


class AmbiguousDates(ValueError):
    """Two formats read every date of the file: the mapping must say which."""


@dataclass(frozen=True)
class DateFormat:
    """The format a file's dates are read with and the evidence for it."""

    format: str
    evidence: str

    @property
    def words(self) -> str:
        return WORDS.get(self.format, self.format)


MONTHS = {name: i for i, name in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct",
                                            "nov", "dec"), start=1)}
_DIRECTIVES = {"%Y": r"(?P<Y>\d{4})", "%y": r"(?P<y>\d{2})", "%m": r"(?P<m>\d{1,2})", "%d": r"(?P<d>\d{1,2})",
               "%b": r"(?P<b>[A-Za-z]{3})"}


def clean(text: str) -> str:
    text = text.strip()
    return _TIME_TAIL.sub("", text) if ":" in text else text


@lru_cache(maxsize=64)
def _pattern(fmt: str) -> re.Pattern[str] | None:
    """A regular expression for ``fmt`` when it uses only day, month and year directives (tens of
    times faster than ``strptime`` on a 50,000-row file); None: use ``strptime``."""
    parts = re.split(r"(%.)", fmt)
    out = []
    for i, part in enumerate(parts):
        if part.startswith("%"):
            if part not in _DIRECTIVES:
                return None
            expression = _DIRECTIVES[part]
            joined = (i >= 2 and parts[i - 1] == "") or (i + 2 < len(parts) and parts[i + 1] == "")
            out.append(expression.replace("{1,2}", "{2}") if joined else expression)
        else:
            out.append(re.escape(part))
    return re.compile("".join(out) + "$", re.IGNORECASE)


def parse(text: str, fmt: str) -> dt.date | None:
    """The date, or None when ``text`` does not fit ``fmt``."""
    text = clean(text)
    pattern = _pattern(fmt)
    if pattern is None:
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            return None
    match = pattern.match(text)
    if match is None:
        return None
    g = match.groupdict()
    try:
        year = int(g["Y"]) if g.get("Y") else (2000 + int(g["y"]) if int(g["y"]) < 69 else 1900 + int(g["y"]))
        month = int(g["m"]) if g.get("m") else MONTHS.get(g["b"].lower(), 0)
        return dt.date(year, month, int(g["d"]))
    except (ValueError, KeyError):
        return None


def _fits(values: Counter[str], fmt: str) -> int:
    return sum(n for v, n in values.items() if parse(v, fmt) is not None)


def _count(n: int) -> str:
    return "none fits" if n == 0 else ("1 fits" if n == 1 else f"only {n:,} fit")


def detect(values: Iterable[str], given: str | None = None) -> DateFormat | None:
    """The format of a file's date texts (None: there are none). ``given``: the mapping's
    ``date_format``, used as is. Raises ``AmbiguousDates`` when two formats read all of them; a
    format that reads most but not all is chosen, and the rest are row problems."""
    if given:
        return DateFormat(given, f"date format {WORDS.get(given, given)} from the mapping")
    texts = Counter(v for v in values if v and v.strip())
    if not texts:
        return None
    total = texts.total()
    scored = sorted(((_fits(texts, fmt), i, fmt) for i, (fmt, _) in enumerate(CANDIDATES)),
                    key=lambda t: (-t[0], t[1]))
    (best, _, fmt), (second, _, rival) = scored[0], scored[1]
    if best == 0:
        return DateFormat(CANDIDATES[0][0], f"none of the {total:,} dates fits a known format "
                                            "(MM/DD/YYYY, DD/MM/YYYY, YYYY-MM-DD, …); set date_format")
    if best == second:
        raise AmbiguousDates(
            f"the dates are ambiguous: all {best:,} that can be read fit both {WORDS[fmt]} and {WORDS[rival]} "
            f"(no day above 12): set date_format in the mapping (e.g. date_format = \"{fmt}\")")
    if best == total:
        every = "the 1 date fits" if total == 1 else f"all {total:,} dates fit"
        return DateFormat(fmt, f"{every} {WORDS[fmt]}; {_count(second)} {WORDS[rival]}")
    return DateFormat(fmt, f"{best:,} of {total:,} dates fit {WORDS[fmt]} ({_count(second)} "
                           f"{WORDS[rival]}); the others are listed as problems")
