"""The sign-in policy (``resources/security.toml``): password length, lockout, idle lock, Argon2id cost.

The dataclasses below are the file's model: each number declared once with its bounds, so a hand
edit that weakens sign-in below them is refused with the key and its line, never half-applied.

In the domain, not in ``app.security``: the shared database's server enforces the lockout numbers
too (``app.storage.server_roles``), and storage never imports security."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Annotated

from msgspec import Meta

from app.paths import resource
from app.typed_toml import key, read_file


class SecurityPolicyError(ValueError):
    """The security policy file is missing a number or holds one out of range."""


Minutes = Annotated[int, Meta(ge=1, le=24 * 60)]


@dataclass(frozen=True)
class KdfCost:
    """Argon2id parameters (stored beside each slot or inside each hash, so raising them later
    leaves existing passwords working)."""

    time_cost: Annotated[int, Meta(ge=1, le=100)]
    memory_kib: Annotated[int, Meta(ge=8, le=4 * 1024 * 1024)]
    parallelism: Annotated[int, Meta(ge=1, le=64)]


@dataclass(frozen=True)
class SecurityPolicy:
    min_password_length: Annotated[int, Meta(ge=8, le=256)] = key("passwords.min_length")
    failed_attempts: Annotated[int, Meta(ge=1, le=100)] = key("lockout.failed_attempts")
    window_minutes: Minutes = key("lockout.window_minutes")
    lock_minutes: Minutes = key("lockout.lock_minutes")
    idle_default_minutes: Minutes = key("idle_lock.default_minutes")
    idle_min_minutes: Minutes = key("idle_lock.min_minutes")
    idle_max_minutes: Minutes = key("idle_lock.max_minutes")
    kdf: KdfCost


@cache
def security_policy() -> SecurityPolicy:
    return read_file(resource("security.toml"), SecurityPolicy, SecurityPolicyError,
                     missing="security.toml cannot be read: there is no such file")
