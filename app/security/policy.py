"""The sign-in policy (``resources/security.toml``): password length, lockout, idle lock, Argon2id cost."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache

from app.paths import resource


class SecurityPolicyError(ValueError):
    """The security policy file is missing a number or holds one out of range."""


@dataclass(frozen=True)
class KdfCost:
    """Argon2id parameters (stored beside each slot or inside each hash, so raising them later
    leaves existing passwords working)."""

    time_cost: int
    memory_kib: int
    parallelism: int


@dataclass(frozen=True)
class SecurityPolicy:
    min_password_length: int
    failed_attempts: int
    window_minutes: int
    lock_minutes: int
    idle_default_minutes: int
    idle_min_minutes: int
    idle_max_minutes: int
    kdf: KdfCost


def _int(data: dict, section: str, key: str, low: int, high: int) -> int:
    try:
        value = data[section][key]
    except KeyError:
        raise SecurityPolicyError(f"security.toml: [{section}] {key} is missing") from None
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise SecurityPolicyError(f"security.toml: [{section}] {key} must be a whole number from {low} to {high}")
    return value


@cache
def security_policy() -> SecurityPolicy:
    try:
        data = tomllib.loads(resource("security.toml").read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise SecurityPolicyError(f"security.toml cannot be read: {exc}") from None
    return SecurityPolicy(
        min_password_length=_int(data, "passwords", "min_length", 8, 256),
        failed_attempts=_int(data, "lockout", "failed_attempts", 1, 100),
        window_minutes=_int(data, "lockout", "window_minutes", 1, 24 * 60),
        lock_minutes=_int(data, "lockout", "lock_minutes", 1, 24 * 60),
        idle_default_minutes=_int(data, "idle_lock", "default_minutes", 1, 24 * 60),
        idle_min_minutes=_int(data, "idle_lock", "min_minutes", 1, 24 * 60),
        idle_max_minutes=_int(data, "idle_lock", "max_minutes", 1, 24 * 60),
        kdf=KdfCost(
            time_cost=_int(data, "kdf", "time_cost", 1, 100),
            memory_kib=_int(data, "kdf", "memory_kib", 8, 4 * 1024 * 1024),
            parallelism=_int(data, "kdf", "parallelism", 1, 64),
        ),
    )
