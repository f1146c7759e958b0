"""What can go wrong with a screening list, as types the caller can read.

A file with bad rows is refused as a whole (``ScreeningRejected``, every problem listed as
``row N, column: message``); a mapping file that cannot be used is a ``MappingError`` (one line);
a register that changed between preview and import is ``PlanChanged``; an import that can no
longer be undone is ``UndoRefused``. All are ``ValueError``s, so the command line prints them as
one line and exits 2 without special handling.
"""

from __future__ import annotations

from dataclasses import dataclass

#: How many problems a refusal lists before it says "… and N more" (a 50,000-row file with the
#: wrong date column would otherwise print 50,000 lines).
MAX_LISTED = 200


@dataclass(frozen=True)
class Problem:
    """One reason the file is refused: the spreadsheet row number, the file's column header (or
    the field when no column exists) and what is wrong. ``str`` is the contract's wording."""

    row: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"row {self.row}, {self.column}: {self.message}"


class ScreeningRejected(ValueError):
    """The file is refused; nothing was written. ``problems`` holds every reason."""

    def __init__(self, problems: list[Problem], source: str = "the file") -> None:
        self.problems = list(problems)
        self.source = source
        super().__init__(f"{source} was refused, nothing was changed: {len(self.problems)} problem(s); "
                         + (str(self.problems[0]) if self.problems else ""))

    def listed(self) -> list[str]:
        """The problems as lines, cut at ``MAX_LISTED`` with a count of the rest."""
        lines = [str(p) for p in self.problems[:MAX_LISTED]]
        if len(self.problems) > MAX_LISTED:
            lines.append(f"… and {len(self.problems) - MAX_LISTED} more problem(s)")
        return lines


class MappingError(ValueError):
    """A mapping file (or saved profile) that cannot be used; the message names the key."""


class UnreadableFile(ValueError):
    """The file is not a list this importer can read (missing, empty, not CSV or .xlsx)."""


class PlanChanged(ValueError):
    """The register changed between the preview and the import: preview again."""


class UndoRefused(ValueError):
    """The import can no longer be undone as one step (a later change touched its cases)."""
