"""The QIP process (``resources/programs/qip_process.toml``): its steps' order, titles and the
day each is due after an episode opens; how many days ahead a step is "due soon"; when an
episode may be withdrawn.

In the domain, not in the QIP service, because the audit log names a QIP step by its title too
(``app.storage.audit_words``), and storage never imports a service."""

from __future__ import annotations

from functools import cache
from typing import Annotated

import msgspec

from app.paths import resource
from app.typed_toml import read_file


class QipProcessError(ValueError):
    """The QIP process file cannot be used; says which key and on which line."""


class ProcessStep(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    key: Annotated[str, msgspec.Meta(min_length=1, description="a step key in quotes")]
    title: Annotated[str, msgspec.Meta(min_length=1, description="the step's title in quotes")]
    #: days after the episode opens (the outreach)
    due_days: Annotated[int, msgspec.Meta(ge=0)]


class Withdrawal(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """When an episode opened by mistake may still be withdrawn rather than closed."""

    #: false: only while none of its steps is marked done (the work recorded stays, closed)
    after_a_step_is_done: bool = False


class Reminders(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """When a step not done yet is "due soon" (the QIP tracker, the Dashboard's QIP list, the digest)."""

    #: from this many days before its due date; the day after it, it is overdue
    due_soon_days: Annotated[int, msgspec.Meta(ge=0, le=30, description="a whole number of days from 0 to 30")]


class QipProcess(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The file's model: ``[[step]]`` tables, in the order the steps are taken, ``[reminders]`` and
    ``[withdrawal]``."""

    step: Annotated[tuple[ProcessStep, ...], msgspec.Meta(min_length=1)]
    reminders: Reminders
    withdrawal: Withdrawal = Withdrawal()


@cache
def qip_process() -> QipProcess:
    return read_file(resource("programs", "qip_process.toml"), QipProcess, QipProcessError)


def process_steps() -> tuple[ProcessStep, ...]:
    return qip_process().step


def due_soon_days() -> int:
    """How many days before its due date a step is "due soon" (``[reminders] due_soon_days``)."""
    return qip_process().reminders.due_soon_days


def withdrawal() -> Withdrawal:
    """When the QIP process lets an episode be withdrawn (``[withdrawal]``)."""
    return qip_process().withdrawal


def step_title(key: str) -> str:
    return next((s.title for s in process_steps() if s.key == key), key)
