"""The facility's certificate authority and each person's keys: who signed, provably.

Every database has its own certificate authority (CA), made when the database is created (or, for
an earlier version's database, the first time an administrator signs in). Its private key never
leaves an administrator's key slot: it is kept wrapped under each administrator's password (one
copy per administrator), never for other users. Its certificate — the *facility certificate* — is
what the coordinating center is given (Settings → Data, or ``mroqc-desk export facility-certificate``)
to check signed self-audits with.

Each user gets two key pairs, made by the administrator who sets their first password:

- an ECDSA P-256 *signing key*, certified by the facility CA (the certificate names the person:
  their user name, full name and staff ID). It signs the self-audit PDF and every transaction's
  audit entries (``app.storage.audit_signatures``): nobody can write in another's name;
- an X25519 *sealing key*, whose public half is in the same certificate (an extension), so that an
  administrator can hand a secret to a user without knowing their password (the CA's key to a new
  administrator; the new database key after a re-key).

Both private keys are kept only wrapped under the user's password, in their key slot
(``app.security.keyfile``): never readable by another user, the database, or a server.

ECDSA P-256 rather than Ed25519 for the signing key: PDF readers (Acrobat, poppler's ``pdfsig``)
validate ECDSA signatures; few validate EdDSA yet.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from dataclasses import dataclass

from cryptography import x509
from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, x25519
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, ObjectIdentifier

#: A private arc for the app's own certificate extension: the person's X25519 sealing key.
SEALING_KEY_OID = ObjectIdentifier("1.3.6.1.4.1.57264.77.1")
CA_YEARS = 20
PERSON_YEARS = 10
_CURVE = ec.SECP256R1()


class CertificateProblem(ValueError):
    """A certificate that is not one of this facility's, or not valid for what it is used for."""


def fingerprint(certificate: x509.Certificate) -> str:
    """SHA-256 of the certificate, as people compare it: 16 groups of four hex digits."""
    digest = certificate.fingerprint(hashes.SHA256()).hex().upper()
    return " ".join(digest[i:i + 4] for i in range(0, len(digest), 4))


def short_fingerprint(certificate: x509.Certificate) -> str:
    return fingerprint(certificate)[:19]  # the first four groups: enough to read aloud


def pem(certificate: x509.Certificate) -> str:
    return certificate.public_bytes(serialization.Encoding.PEM).decode("ascii")


def load_certificate(text: str | bytes) -> x509.Certificate:
    data = text.encode("ascii") if isinstance(text, str) else text
    try:
        return x509.load_pem_x509_certificate(data) if b"-----BEGIN" in data else x509.load_der_x509_certificate(data)
    except ValueError:
        raise CertificateProblem("not a certificate") from None


def private_bytes(key: ec.EllipticCurvePrivateKey | x25519.X25519PrivateKey) -> bytes:
    """A private key as the bytes a key slot wraps (PKCS8 DER for ECDSA, raw for X25519)."""
    if isinstance(key, x25519.X25519PrivateKey):
        return key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                 serialization.NoEncryption())
    return key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def load_signing_key(data: bytes) -> ec.EllipticCurvePrivateKey:
    key = serialization.load_der_private_key(data, password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise CertificateProblem("not a signing key")
    return key


def load_sealing_key(data: bytes) -> x25519.X25519PrivateKey:
    return x25519.X25519PrivateKey.from_private_bytes(data)


# ---- the facility's certificate authority ------------------------------------------------


def new_authority(facility: str, now: dt.datetime) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    """A new facility CA: its self-signed certificate and private key."""
    key = ec.generate_private_key(_CURVE)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"{facility or 'MROQC facility'} — facility certificate"[:64]),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, (facility or "MROQC facility")[:64]),
                      x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "MROQC Facility Desk")])
    start = _utc(now) - dt.timedelta(days=1)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(start)
        .not_valid_after(start + dt.timedelta(days=365 * CA_YEARS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                     crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256()))
    return certificate, key


@dataclass(frozen=True)
class PersonKeys:
    """A user's two private keys (in memory once signed in; in their key slot otherwise)."""

    signing: ec.EllipticCurvePrivateKey
    sealing: x25519.X25519PrivateKey

    @classmethod
    def new(cls) -> PersonKeys:
        return cls(ec.generate_private_key(_CURVE), x25519.X25519PrivateKey.generate())


def issue(authority: x509.Certificate, authority_key: ec.EllipticCurvePrivateKey,
          signing_public: ec.EllipticCurvePublicKey, sealing_public_key: x25519.X25519PublicKey, *,
          user: str, full_name: str | None, staff_id: str | None, now: dt.datetime) -> x509.Certificate:
    """The certificate of a person's public keys, issued by the facility CA (naming the person:
    user name, full name and the staff ID they are linked to)."""
    attributes = [x509.NameAttribute(NameOID.COMMON_NAME, (full_name or user)[:64]),
                  x509.NameAttribute(NameOID.USER_ID, user[:64]),
                  x509.NameAttribute(NameOID.ORGANIZATION_NAME,
                                     authority.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value)]
    if staff_id:
        attributes.append(x509.NameAttribute(NameOID.SERIAL_NUMBER, f"staff {staff_id}"[:64]))
    start = _utc(now) - dt.timedelta(minutes=5)
    sealing_public = sealing_public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return (
        x509.CertificateBuilder().subject_name(x509.Name(attributes)).issuer_name(authority.subject)
        .public_key(signing_public).serial_number(x509.random_serial_number())
        .not_valid_before(start).not_valid_after(min(start + dt.timedelta(days=365 * PERSON_YEARS),
                                                     authority.not_valid_after_utc))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                     crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(authority_key.public_key()), critical=False)
        .add_extension(x509.UnrecognizedExtension(SEALING_KEY_OID, sealing_public), critical=False)
        .sign(authority_key, hashes.SHA256()))


def issued_by(certificate: x509.Certificate, authority: x509.Certificate) -> bool:
    """Whether ``authority`` (the facility certificate) signed ``certificate``."""
    if certificate.issuer != authority.subject:
        return False
    public = authority.public_key()
    if not isinstance(public, ec.EllipticCurvePublicKey):
        return False
    try:
        public.verify(certificate.signature, certificate.tbs_certificate_bytes,
                      ec.ECDSA(certificate.signature_hash_algorithm))  # type: ignore[arg-type]
    except InvalidSignature:
        return False
    return True


def person_of(certificate: x509.Certificate) -> tuple[str | None, str | None, str | None]:
    """(user name, full name, staff ID) a person's certificate names."""
    def first(oid: ObjectIdentifier) -> str | None:
        found = certificate.subject.get_attributes_for_oid(oid)
        return str(found[0].value) if found else None

    staff = first(NameOID.SERIAL_NUMBER)
    return first(NameOID.USER_ID), first(NameOID.COMMON_NAME), staff.removeprefix("staff ") if staff else None


def sealing_public_key(certificate: x509.Certificate) -> x25519.X25519PublicKey:
    try:
        extension = certificate.extensions.get_extension_for_oid(SEALING_KEY_OID)
    except x509.ExtensionNotFound:
        raise CertificateProblem("the certificate carries no sealing key") from None
    value = extension.value
    assert isinstance(value, x509.UnrecognizedExtension)
    return x25519.X25519PublicKey.from_public_bytes(value.value)


# ---- signatures over audit entries ---------------------------------------------------------


def sign(key: ec.EllipticCurvePrivateKey, message: bytes) -> bytes:
    return key.sign(message, ec.ECDSA(hashes.SHA256()))


def verify(certificate: x509.Certificate, message: bytes, signature: bytes) -> bool:
    public = certificate.public_key()
    if not isinstance(public, ec.EllipticCurvePublicKey):
        return False
    try:
        public.verify(signature, message, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return False
    return True


# ---- handing a secret to a person (sealed to their X25519 key) -----------------------------


def _sealing_key(shared: bytes, ephemeral: bytes, recipient: bytes, purpose: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=ephemeral + recipient,
                info=f"MROQC Facility Desk seal|{purpose}".encode()).derive(shared)


def seal(recipient: x25519.X25519PublicKey, secret: bytes, purpose: str) -> dict[str, str]:
    """``secret`` encrypted so that only the holder of ``recipient``'s private key opens it (an
    ephemeral X25519 exchange, HKDF, AES-256-GCM; ``purpose`` is bound as authenticated data)."""
    ephemeral = x25519.X25519PrivateKey.generate()
    ephemeral_public = ephemeral.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    recipient_bytes = recipient.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    key = _sealing_key(ephemeral.exchange(recipient), ephemeral_public, recipient_bytes, purpose)
    nonce = os.urandom(12)
    return {"ephemeral": ephemeral_public.hex(), "nonce": nonce.hex(),
            "sealed": AESGCM(key).encrypt(nonce, secret, purpose.encode()).hex()}


def unseal(private: x25519.X25519PrivateKey, box: dict[str, str], purpose: str) -> bytes | None:
    """What ``seal`` sealed to ``private``'s public key, or None (not for this key, or changed)."""
    try:
        ephemeral = bytes.fromhex(box["ephemeral"])
        recipient = private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        key = _sealing_key(private.exchange(x25519.X25519PublicKey.from_public_bytes(ephemeral)), ephemeral,
                           recipient, purpose)
        return AESGCM(key).decrypt(bytes.fromhex(box["nonce"]), bytes.fromhex(box["sealed"]), purpose.encode())
    except (KeyError, ValueError, InvalidTag):
        return None


def _utc(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
