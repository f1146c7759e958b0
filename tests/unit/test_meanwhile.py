"""``Meanwhile``: work a command needs later, done on a thread of its own now."""

from __future__ import annotations

import threading

import pytest

from app.meanwhile import Meanwhile


def test_the_result_is_what_the_work_returned_and_waits_for_it() -> None:
    release = threading.Event()
    work = Meanwhile(lambda: release.wait(5) and "checked")
    release.set()
    assert work.result() == "checked" and work.result() == "checked"


def test_what_the_work_raised_is_raised_in_the_callers_thread() -> None:
    class Refused(Exception):
        pass

    def refuse() -> None:
        raise Refused("row 2")

    work = Meanwhile(refuse)
    with pytest.raises(Refused, match="row 2"):
        work.result()


def test_a_caller_that_ends_first_does_not_wait_for_it() -> None:
    never = threading.Event()
    work = Meanwhile(lambda: never.wait(30))
    assert work._thread.daemon and work._thread.is_alive()  # the process may end without it
    never.set()
