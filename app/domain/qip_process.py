"""The QIP process's steps (``resources/programs/qip_process.toml``): their order, titles and the
day each is due after an episode opens.

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


class QipProcess(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The file's model: ``[[step]]`` tables, in the order the steps are taken."""

    step: Annotated[tuple[ProcessStep, ...], msgspec.Meta(min_length=1)]


@cache
def process_steps() -> tuple[ProcessStep, ...]:
    return read_file(resource("programs", "qip_process.toml"), QipProcess, QipProcessError).step


def step_title(key: str) -> str:
    return next((s.title for s in process_steps() if s.key == key), key)
