"""Passwords and the recovery key: Argon2id for both the key-encryption key of a SQLite key slot
and the stored hash of a server database, checks on a new password, the recovery key's format.

A password is never stored, logged or shown: only what Argon2id makes of it.
"""

from __future__ import annotations

import base64
import hmac
import os
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from argon2.low_level import Type, hash_secret_raw

from app.security.policy import KdfCost, security_policy

KEY_BYTES = 32
SALT_BYTES = 16
RECOVERY_BYTES = 20  # 160 bits: 32 base-32 characters in eight groups of four


class PasswordRejected(ValueError):
    """A new password that does not meet the policy; the message says why."""


def cost() -> KdfCost:
    """The Argon2id cost for new slots and hashes (tests lower it; existing ones keep their own)."""
    return security_policy().kdf


def derive_key(secret: str, salt: bytes, kdf: KdfCost) -> bytes:
    """The 256-bit key Argon2id derives from a password (or the recovery key) and a salt."""
    return hash_secret_raw(secret.encode("utf-8"), salt, time_cost=kdf.time_cost, memory_cost=kdf.memory_kib,
                           parallelism=kdf.parallelism, hash_len=KEY_BYTES, type=Type.ID)


def new_salt() -> bytes:
    return os.urandom(SALT_BYTES)


def _hasher(kdf: KdfCost) -> PasswordHasher:
    return PasswordHasher(time_cost=kdf.time_cost, memory_cost=kdf.memory_kib, parallelism=kdf.parallelism,
                          hash_len=KEY_BYTES, salt_len=SALT_BYTES)


def hash_password(password: str) -> str:
    """The Argon2id hash (PHC string, parameters included) a server database stores."""
    return _hasher(cost()).hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    """Whether ``password`` matches; ``stored`` None (no such user) still costs one Argon2id run,
    so the time taken does not tell whether the user exists."""
    if not stored:
        derive_key(password, b"\0" * SALT_BYTES, cost())
        return False
    try:
        return _hasher(cost()).verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def check_new_password(password: str, *, name: str = "", old: str | None = None) -> None:
    """Refuse a password the policy does not accept (too short, the user name, unchanged)."""
    minimum = security_policy().min_password_length
    if len(password) < minimum:
        raise PasswordRejected(f"a password needs at least {minimum} characters")
    if password.strip() != password:
        raise PasswordRejected("a password cannot start or end with a space")
    if name and password.casefold() == name.casefold():
        raise PasswordRejected("a password cannot be the user name")
    if old is not None and hmac.compare_digest(password.encode(), old.encode()):
        raise PasswordRejected("the new password must differ from the old one")


def new_recovery_key() -> str:
    """Eight groups of four letters and digits, e.g. ``K7QM-…``: easy to write down, 160 bits."""
    text = base64.b32encode(secrets.token_bytes(RECOVERY_BYTES)).decode("ascii")
    return "-".join(text[i:i + 4] for i in range(0, len(text), 4))


def normal_recovery_key(text: str) -> str:
    """The key as typed, without spaces and dashes, in capitals (and 0/1 read as O/I)."""
    cleaned = "".join(ch for ch in text.upper() if ch.isalnum())
    return cleaned.replace("0", "O").replace("1", "I")
