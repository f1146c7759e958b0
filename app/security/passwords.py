"""Passwords and the recovery key: Argon2id for both the key-encryption key of a SQLite key slot
and the stored hash of a server database, checks on a new password, the recovery key's format.

A password is never stored, logged or shown: only what Argon2id makes of it.

A server database's ``users.password_hash`` is normally an Argon2id PHC string. A user whose
facility was moved from a file to the server brings a *key-slot verifier* instead
(``$mroqc-keyslot$…``, made by ``app.security.keyfile.Slot.password_verifier``): the file only had
their password as the Argon2id key that unwraps their slot, so the server keeps that slot's salt,
cost and nonce and the AES-CTR key stream the right key produces there. A password is right when
the key Argon2id derives from it produces the same stream, which is exactly when it would have
unwrapped the slot; the file's database key itself is not in it. Sign-in replaces it with a normal
hash the first time the password proves right (``needs_new_hash``).
"""

from __future__ import annotations

import base64
import hmac
import os
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from argon2.low_level import Type, hash_secret_raw
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from app.domain.security_policy import KdfCost, security_policy

KEY_BYTES = 32
SALT_BYTES = 16
#: The start of a key-slot verifier in ``users.password_hash`` (never of an Argon2id PHC string).
KEYSLOT_PREFIX = "$mroqc-keyslot$v=1$"
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


def recovery_database_key(recovery_key: str) -> bytes:
    """The database key a recovery key stands for: a new database's key is derived from its
    recovery key (160 random bits, so no slow derivation is needed), so the recovery key opens the
    database even when its key file is lost (``sign_in_with_recovery_key``)."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    return HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=b"MROQC Facility Desk",
                info=b"database key from the recovery key v1").derive(normal_recovery_key(recovery_key).encode("ascii"))


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
    so the time taken does not tell whether the user exists. ``stored`` is an Argon2id PHC string
    or a key-slot verifier carried over from a file (see the module's docstring)."""
    if not stored:
        derive_key(password, b"\0" * SALT_BYTES, cost())
        return False
    if stored.startswith(KEYSLOT_PREFIX):
        return _verify_keyslot(stored, password)
    try:
        return _hasher(cost()).verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)


def key_stream(kek: bytes, nonce: bytes, length: int = KEY_BYTES) -> bytes:
    """The AES-GCM key stream ``kek`` produces for ``nonce`` over ``length`` bytes: what a slot's
    wrapped key is XORed with (GCM encrypts zeros into the stream itself)."""
    return AESGCM(kek).encrypt(nonce, bytes(length), None)[:length]


def keyslot_verifier(salt: bytes, nonce: bytes, stream: bytes, kdf: KdfCost) -> str:
    """``$mroqc-keyslot$v=1$t=…,m=…,p=…$salt$nonce$stream``: a slot's proof of a password."""
    return (f"{KEYSLOT_PREFIX}t={kdf.time_cost},m={kdf.memory_kib},p={kdf.parallelism}"
            f"${_b64(salt)}${_b64(nonce)}${_b64(stream)}")


def _verify_keyslot(stored: str, password: str) -> bool:
    try:
        params, salt, nonce, stream = stored[len(KEYSLOT_PREFIX):].split("$")
        numbers = dict(part.split("=", 1) for part in params.split(","))
        kdf = KdfCost(int(numbers["t"]), int(numbers["m"]), int(numbers["p"]))
        salt_bytes, nonce_bytes, expected = _unb64(salt), _unb64(nonce), _unb64(stream)
    except (ValueError, KeyError):  # damaged: no password is right, and it still costs a run
        derive_key(password, b"\0" * SALT_BYTES, cost())
        return False
    kek = derive_key(password, salt_bytes, kdf)
    return hmac.compare_digest(key_stream(kek, nonce_bytes, len(expected)), expected)


def needs_new_hash(stored: str | None) -> bool:
    """Whether a password that just proved right should be stored again as a normal Argon2id hash
    (a key-slot verifier carried over from a file is replaced at the first sign-in)."""
    return bool(stored) and stored.startswith(KEYSLOT_PREFIX)


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


def password_rule(replacing: bool = False) -> str:  # noqa: FBT001, FBT002
    """What ``check_new_password`` accepts, in words, for the form to show before anyone types
    (the number from the security policy file): a rule learnt only from a refusal costs a try.
    ``replacing``: the person changes their own password (it must differ from the old one)."""
    minimum = security_policy().min_password_length
    rule = (f"At least {minimum} characters (a few words make a good one), with no space at the start or end, "
            "and not the user name.")
    return rule + " A new password must differ from the old one." if replacing else rule


def new_recovery_key() -> str:
    """Eight groups of four letters and digits, e.g. ``K7QM-…``: easy to write down, 160 bits."""
    text = base64.b32encode(secrets.token_bytes(RECOVERY_BYTES)).decode("ascii")
    return "-".join(text[i:i + 4] for i in range(0, len(text), 4))


def new_first_password() -> str:
    """A first password an administrator hands over (changed at the first sign-in): four groups of
    four letters and digits, 80 bits, easy to read out and type."""
    text = base64.b32encode(secrets.token_bytes(10)).decode("ascii").lower()
    return "-".join(text[i:i + 4] for i in range(0, len(text), 4))


def normal_recovery_key(text: str) -> str:
    """The key as typed, without spaces and dashes, in capitals (and 0/1 read as O/I)."""
    cleaned = "".join(ch for ch in text.upper() if ch.isalnum())
    return cleaned.replace("0", "O").replace("1", "I")
