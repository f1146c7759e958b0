"""Work a command starts now and needs later, done on a thread of its own meanwhile.

For what the interpreter can run beside a C call that lets go of it: ``import --db NEW`` checks
its workbook while the new database's keys are derived (Argon2id, which runs without the
interpreter), instead of one after the other. A daemon thread: a command that ends first (a
refused password, Ctrl+C) does not wait for it.
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
