"""How long work says how far it has come, without knowing who listens (the window's progress
bar, a test): ``progress(what, done, in_all)`` with ``in_all`` 0 while the whole is not known
yet. Called from the worker thread; the listener carries it to wherever it shows it."""

from __future__ import annotations

from collections.abc import Callable

#: (what is being done, in the coordinators' words or a table's name; rows done; rows in all, 0: not known)
Progress = Callable[[str, int, int], None]

#: How many rows between two reports: often enough for a bar to move, rarely enough to cost nothing
EVERY_ROWS = 5000


def nobody(_what: str, _done: int, _in_all: int) -> None:
    """The listener when nobody listens."""
