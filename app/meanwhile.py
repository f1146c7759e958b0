"""Work started now and needed later, done on a thread of its own meanwhile.

For a C call that lets go of the interpreter, beside work that needs it: a new database's keys
are derived (Argon2id) while ``import --db NEW`` checks its workbook, instead of one after the
other (``app.security.signin.create_database``'s ``before_file``). A daemon thread: a command
that ends first (a refused workbook, Ctrl+C) does not wait for it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class Meanwhile(Generic[T]):
    """``work()`` started on a thread now; ``result()`` waits for it and returns what it returned,
    or raises what it raised (the same exception, in the caller's thread)."""

    def __init__(self, work: Callable[[], T], name: str = "meanwhile") -> None:
        self._work = work
        self._value: T | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._value = self._work()
        except BaseException as exc:  # noqa: BLE001 - handed to the caller as it is
            self._error = exc

    def result(self) -> T:
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._value  # type: ignore[return-value]
