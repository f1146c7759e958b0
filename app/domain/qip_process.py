"""The QIP process's steps (``resources/programs/qip_process.toml``): their order, titles and the
day each is due after an episode opens.

In the domain, not in the QIP service, because the audit log names a QIP step by its title too
(``app.storage.audit_words``), and storage never imports a service."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache

from app.paths import resource


@dataclass(frozen=True)
class ProcessStep:
    key: str
    title: str
    due_days: int


@cache
def process_steps() -> tuple[ProcessStep, ...]:
    with resource("programs", "qip_process.toml").open("rb") as handle:
        data = tomllib.load(handle)
    return tuple(ProcessStep(s["key"], s["title"], int(s["due_days"])) for s in data["step"])


def step_title(key: str) -> str:
    return next((s.title for s in process_steps() if s.key == key), key)
