"""New case IDs in the facility's own pattern, never holding the patient's MRN.

The pattern is the commonest "prefix + zero-padded number" among the existing case IDs (the demo
writes ``MRQ-0000001``; a facility may use ``BR-2025-0042``); a new case takes the next number
after the highest of that pattern. A case ID shows up in exports, findings and e-mails, so a
number that happens to contain the MRN is skipped (MRNs of fewer than ``MRN_MIN_CHARS``
characters are too short to identify anyone inside a longer number and are not looked for).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

DEFAULT_PREFIX = "MRQ-"
DEFAULT_WIDTH = 7
MRN_MIN_CHARS = 4
_NUMBERED = re.compile(r"^(.*?)(\d+)$")


@dataclass
class CaseIdPattern:
    """Hands out the next free case IDs of one pattern."""

    prefix: str
    width: int
    last: int
    taken: set[str]

    @classmethod
    def of(cls, existing: Iterable[str]) -> CaseIdPattern:
        ids = set(existing)
        patterns: Counter[tuple[str, int]] = Counter()
        highest: dict[tuple[str, int], int] = {}
        for case_id in ids:
            match = _NUMBERED.match(case_id)
            if match:
                key = (match.group(1), len(match.group(2)))
                patterns[key] += 1
                highest[key] = max(highest.get(key, 0), int(match.group(2)))
        if not patterns:
            return cls(DEFAULT_PREFIX, DEFAULT_WIDTH, 0, ids)
        key = max(patterns, key=lambda k: (patterns[k], k[1], k[0]))
        return cls(key[0], key[1], highest[key], ids)

    def next_for(self, mrn: str) -> str:
        """The next free ID that does not contain ``mrn`` (as written or without leading zeros)."""
        hidden = {m for m in (mrn.strip(), mrn.strip().lstrip("0")) if len(m) >= MRN_MIN_CHARS}
        while True:
            self.last += 1
            candidate = f"{self.prefix}{self.last:0{self.width}d}"
            if candidate not in self.taken and not any(m in candidate for m in hidden):
                self.taken.add(candidate)
                return candidate
