"""The signed-in person's keys for the session: signing their audit entries and what they sign.

At sign-in the person's key slot gives their boxes (``app.security.keyfile.Slot``): their signing
and sealing keys, and an administrator's copy of the facility CA's key. ``Person`` keeps them in
memory while the database is open (like the database key) and signs every transaction's audit
entries (``sign_transaction``, called by ``Database.transaction`` before it commits).

Keys are made by the administrator who sets a person's first password (``users add``,
``users reset-password``), and the certificate is issued then. An account from before this
version has no keys yet: its first sign-in makes them and leaves a *request*, which an
administrator issues after comparing its code with the one the person's own window shows (the
database, which every user can write, cannot tell a real request from a forged one — a person can).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, x25519
from sqlalchemy import func, insert, select

from app.security import pki, server_keys
from app.security.evidence import signed_message, unrecorded_counts
from app.security.keyfile import KeyFile, Unlocked, editing, key_file_for
from app.storage import audit
from app.storage.models import (
    AuditSignature,
    Facility,
    FacilityCertificate,
    Staff,
    User,
    UserCertificate,
)

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from app.storage.database import Database

SIGNING, SEALING, AUTHORITY, SEEN, TRUSTED = "signing", "sealing", "authority", "seen", "trusted"


class KeysMissing(PermissionError):
    """The signed-in person has no certificate the facility issued yet (or the administrator lacks
    the facility CA's key): says what to do."""


@dataclass
class Person:
    """The signed-in person's keys (never logged, never written unwrapped)."""

    name: str
    keys: pki.PersonKeys | None = field(default=None, repr=False)
    certificate_id: int | None = None
    certificate: x509.Certificate | None = None  # None while the request waits for an administrator
    authority_key: ec.EllipticCurvePrivateKey | None = field(default=None, repr=False)
    slot: str | None = None
    kek: bytes | None = field(default=None, repr=False)  # re-wraps a box later in the session
    #: the facility certificate this person trusts (kept under their password: a certificate put
    #: in the database by someone else is not trusted)
    trusted: x509.Certificate | None = None
    #: where signatures began, as this person first saw it
    signed_from: int | None = None
    keys_path: object | None = None  # their key file (SQLite), where what they saw is kept
    _last_signed: tuple[int, str] | None = field(default=None, repr=False)

    def sign_transaction(self, session: Session) -> None:
        """Sign the chain's hash at this transaction's last audit entry (if it wrote any)."""
        link = session.info.pop("_last_link", None)
        if link is None or self.keys is None or self.certificate_id is None:
            return
        last_id, last_hash, user, change_set = link
        if user != self.name:  # written in another name (a test's stand-in role): not this person's to sign
            return
        signature = pki.sign(self.keys.signing, signed_message(last_id, last_hash, user, change_set))
        session.execute(insert(AuditSignature).values(last_entry_id=last_id, entry_hash=last_hash, user_name=user,
                                                      certificate_id=self.certificate_id, signature=signature.hex()))
        self._last_signed = (last_id, last_hash)

    def committed(self) -> None:
        """After a transaction this person signed committed: remember its end as what they saw
        (under their password, in their slot), so its removal is found at their next sign-in."""
        if self._last_signed is None or self.keys_path is None:
            return
        last_id, last_hash = self._last_signed
        self._last_signed = None
        remember_seen(self.keys_path, self, last_id, last_hash, self.signed_from)


def request_code(public_key_pem: str, sealing_public: str) -> str:
    """What a person reads aloud to the administrator issuing their certificate: a digest of both keys."""
    digest = hashlib.sha256((public_key_pem + sealing_public).encode()).hexdigest().upper()[:16]
    return "-".join(digest[i:i + 4] for i in range(0, 16, 4))


def _public_parts(keys: pki.PersonKeys) -> tuple[str, str]:
    signing = keys.signing.public_key().public_bytes(serialization.Encoding.PEM,
                                                    serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    sealing = keys.sealing.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw).hex()
    return signing, sealing


def key_boxes(keys: pki.PersonKeys, authority_key: ec.EllipticCurvePrivateKey | None = None,
              trusted: x509.Certificate | None = None) -> dict[str, bytes]:
    boxes = {SIGNING: pki.private_bytes(keys.signing), SEALING: pki.private_bytes(keys.sealing)}
    if authority_key is not None:
        boxes[AUTHORITY] = pki.private_bytes(authority_key)
    if trusted is not None:
        boxes[TRUSTED] = pki.pem(trusted).encode("ascii")
    return boxes


# ---- the facility CA ------------------------------------------------------------------------


def active_authority(session: Session) -> tuple[int, x509.Certificate] | None:
    row = session.scalars(select(FacilityCertificate).where(FacilityCertificate.active.is_(True))
                          .order_by(FacilityCertificate.id.desc()).limit(1)).first()
    return (row.id, pki.load_certificate(row.certificate_pem)) if row is not None else None


def authorities(session: Session) -> list[x509.Certificate]:
    """Every facility certificate this database ever had (the newest first)."""
    return [pki.load_certificate(pem) for pem in session.scalars(
        select(FacilityCertificate.certificate_pem).order_by(FacilityCertificate.id.desc()))]


def _on_server(session: Session) -> bool:
    """A shared database: certificates and keys are written by the server's definer functions."""
    return session.get_bind().dialect.name == "postgresql"


def add_authority(session: Session, certificate: x509.Certificate, now: dt.datetime) -> None:
    if _on_server(session):
        session.execute(select(func.mroqc_add_authority(pki.fingerprint(certificate), pki.pem(certificate))))
        return
    for earlier in session.scalars(select(FacilityCertificate).where(FacilityCertificate.active.is_(True))):
        earlier.active = False  # through the ORM: audited, as every change
    session.add(FacilityCertificate(created_at=now, fingerprint=pki.fingerprint(certificate),
                                    certificate_pem=pki.pem(certificate), active=True))


def _first_authority(session: Session, person: Person, new_boxes: dict[str, bytes],
                     now: dt.datetime) -> tuple[tuple[int, x509.Certificate] | None, x509.Certificate]:
    """The first administrator of a database without a facility CA makes one, on a file or a
    server alike: its certificate goes into the database, its key into the person and the key
    boxes to keep (``new_boxes``). Returns the authority now active and its certificate."""
    certificate, key = pki.new_authority(facility_name(session), now)
    add_authority(session, certificate, now)
    session.flush()
    person.authority_key = key
    new_boxes[AUTHORITY] = pki.private_bytes(key)
    return active_authority(session), certificate


def issue_certificate(session: Session, authority: x509.Certificate, authority_key: ec.EllipticCurvePrivateKey,
                      keys: pki.PersonKeys, *, user: str, issuer: str, now: dt.datetime) -> UserCertificate:
    """Issue (and record) the certificate of ``user``'s new keys; earlier ones are superseded."""
    signing, sealing = _public_parts(keys)
    return issue_for(session, authority, authority_key, signing, sealing, user=user, issuer=issuer, now=now)


def issue_for(session: Session, authority: x509.Certificate, authority_key: ec.EllipticCurvePrivateKey,
              signing_pem: str, sealing_hex: str, *, user: str, issuer: str, now: dt.datetime,
              request: UserCertificate | None = None) -> UserCertificate:
    """Issue a certificate for public keys (new ones, a waiting request, or a person's keys again
    once their staff record changed); the person's earlier certificates are superseded."""
    person = session.scalars(select(User).where(User.name == user)).first()
    staff_id = person.staff_id if person is not None else None
    staff = session.get(Staff, staff_id) if staff_id else None
    signing_public = serialization.load_pem_public_key(signing_pem.encode())
    assert isinstance(signing_public, ec.EllipticCurvePublicKey)
    certificate = pki.issue(authority, authority_key, signing_public,
                            x25519.X25519PublicKey.from_public_bytes(bytes.fromhex(sealing_hex)), user=user,
                            full_name=staff.name if staff is not None else person.full_name if person is not None else None,
                            staff_id=staff_id, now=now)
    if _on_server(session):
        new_id = session.scalar(select(func.mroqc_issue_certificate(
            user, signing_pem, sealing_hex, request_code(signing_pem, sealing_hex), pki.pem(certificate),
            pki.fingerprint(certificate), request.id if request is not None else None)))
        if request is not None:
            session.expire(request)
        return session.get(UserCertificate, new_id)  # type: ignore[return-value]
    for earlier in session.scalars(select(UserCertificate).where(
            UserCertificate.user_name == user, UserCertificate.superseded_at.is_(None),
            UserCertificate.id != (request.id if request else -1))):
        earlier.superseded_at = now  # through the ORM: audited, as every change
    row = request or UserCertificate(user_name=user, requested_at=now, public_key_pem=signing_pem,
                                     sealing_public=sealing_hex, request_code=request_code(signing_pem, sealing_hex))
    row.certificate_pem, row.fingerprint = pki.pem(certificate), pki.fingerprint(certificate)
    row.issued_at, row.issued_by = now, issuer
    if request is None:
        session.add(row)
    session.flush()
    return row


def current_certificate(session: Session, user: str) -> UserCertificate | None:
    """The person's certificate in force (issued or waiting), None when they have no keys yet."""
    return session.scalars(select(UserCertificate).where(UserCertificate.user_name == user,
                                                         UserCertificate.superseded_at.is_(None))
                           .order_by(UserCertificate.id.desc()).limit(1)).first()


# ---- sign-in --------------------------------------------------------------------------------


def _keys_and_certificate(db: Database, person: Person, name: str, role: str,
                          new_boxes: dict[str, bytes]
                          ) -> tuple[tuple[int, x509.Certificate] | None, UserCertificate | None, str, str]:
    """What a sign-in (to a file or a server) finds of the person's keys: keys made now for an
    account older than keys (an account moved from a file too; added to ``new_boxes``), the
    facility CA, the person's current certificate for their signing key (set on ``person`` in the
    everyday case: nothing to write), and the public parts a request for one needs."""
    if person.keys is None:
        person.keys = pki.PersonKeys.new()
        new_boxes.update(key_boxes(person.keys))
    with db.reader() as session:
        authority = active_authority(session)
        mine = session.scalars(select(UserCertificate).where(UserCertificate.user_name == name,
                                                             UserCertificate.superseded_at.is_(None))
                               .order_by(UserCertificate.id.desc())).all()
    signing_pem, sealing_hex = _public_parts(person.keys)
    row = next((r for r in mine if r.public_key_pem == signing_pem), None)
    if row is not None and not (authority is None and role == "admin"):
        person.certificate_id = row.id
        person.certificate = pki.load_certificate(row.certificate_pem) if row.certificate_pem else None
    return authority, row, signing_pem, sealing_hex


def unlocked_person(db: Database, unlocked: Unlocked, name: str, role: str, keys_path: str | None,
                    now: dt.datetime) -> Person:
    """The person a sign-in unlocked, their keys taken from the slot's boxes. An account from
    before keys existed gets them now (and a request for their certificate); an administrator
    gets the facility CA if there is none yet, and takes a copy of its key handed to them."""
    person = Person(name=name, slot=unlocked.slot, kek=unlocked.kek)
    boxes = dict(unlocked.boxes)
    keys_file = Path(keys_path) if keys_path else None
    if keys_file is not None and AUTHORITY not in boxes and role == "admin":
        handed = _take_handed_authority(keys_file, unlocked)
        if handed is not None:
            boxes[AUTHORITY] = handed
    if SIGNING in boxes and SEALING in boxes:
        person.keys = pki.PersonKeys(pki.load_signing_key(boxes[SIGNING]), pki.load_sealing_key(boxes[SEALING]))
    if AUTHORITY in boxes:
        person.authority_key = pki.load_signing_key(boxes[AUTHORITY])
    if TRUSTED in boxes:
        person.trusted = pki.load_certificate(boxes[TRUSTED])
    person.keys_path = keys_file
    new_boxes: dict[str, bytes] = {}
    authority, row, signing_pem, sealing_hex = _keys_and_certificate(db, person, name, role, new_boxes)
    if row is None or (authority is None and role == "admin"):
        db.signer = person.sign_transaction  # signed from its first entry on (its certificate is written in it)
        with db.transaction(None) as session:
            if authority is None and role == "admin":  # the first administrator after the upgrade
                earlier = unrecorded_counts(session)
                if earlier:  # what the earlier version wrote without an entry per row, held to its count
                    audit.bulk_note(session, "rows written by an earlier version before signatures began, kept as "
                                             "they were", earlier)
                authority, _ = _first_authority(session, person, new_boxes, now)
            if role == "admin" and authority is not None and person.authority_key is not None:
                row = issue_certificate(session, authority[1], person.authority_key, person.keys, user=name,
                                        issuer=name, now=now)
            else:
                row = UserCertificate(user_name=name, requested_at=now, public_key_pem=signing_pem,
                                      sealing_public=sealing_hex, request_code=request_code(signing_pem, sealing_hex))
                session.add(row)
                session.flush()
            person.certificate_id = row.id
            person.certificate = pki.load_certificate(row.certificate_pem) if row.certificate_pem else None
    if person.trusted is None and authority is not None:  # the first sign-in since the facility has one
        person.trusted = authority[1]
        new_boxes[TRUSTED] = pki.pem(authority[1]).encode("ascii")
    if new_boxes and keys_file is not None:
        with editing(keys_file) as keys:
            keys.put_boxes(unlocked.slot, unlocked.kek, new_boxes)
    return person


def server_person(db: Database, name: str, role: str, password: str, stored: str | None, sealed: str | None,
                  now: dt.datetime) -> Person:
    """The person a sign-in to a shared database let in, their keys taken from their own
    ``person_keys`` row (``stored``, already proven to open with ``password``; None: they have none
    yet). As on a file: an account without keys gets them now and asks for its certificate; a new
    administrator takes the facility CA's key an administrator sealed to them (``sealed``); the
    first administrator of a database without a facility CA makes one. What changed is wrapped
    under their password again and given to the server (``mroqc_put_own_keys``)."""
    unlocked = server_keys.unwrap(stored, name, password) if stored else None
    boxes = dict(unlocked.boxes) if unlocked is not None else {}
    person = Person(name=name, kek=unlocked.kek if unlocked is not None else None)
    new_boxes: dict[str, bytes] = {}
    took_sealed = False
    if SIGNING in boxes and SEALING in boxes:
        person.keys = pki.PersonKeys(pki.load_signing_key(boxes[SIGNING]), pki.load_sealing_key(boxes[SEALING]))
    if person.keys is not None and role == "admin" and AUTHORITY not in boxes and sealed:
        try:
            secret = pki.unseal(person.keys.sealing, json.loads(sealed), AUTHORITY)
        except (ValueError, TypeError):
            secret = None
        if secret is not None:
            boxes[AUTHORITY] = new_boxes[AUTHORITY] = secret
            took_sealed = True
    if AUTHORITY in boxes and role == "admin":
        person.authority_key = pki.load_signing_key(boxes[AUTHORITY])
    if TRUSTED in boxes:
        person.trusted = pki.load_certificate(boxes[TRUSTED])
    authority, row, signing_pem, sealing_hex = _keys_and_certificate(db, person, name, role, new_boxes)
    if person.trusted is None and authority is not None:
        person.trusted = authority[1]
        new_boxes[TRUSTED] = pki.pem(authority[1]).encode("ascii")
    if row is not None and not new_boxes:
        return person
    db.signer = person.sign_transaction  # what follows is signed from its first entry on
    with db.transaction(None) as session:
        if row is None or (authority is None and role == "admin"):
            if authority is None and role == "admin":  # a shared database without a facility CA yet
                authority, certificate = _first_authority(session, person, new_boxes, now)
                person.trusted = certificate
                new_boxes[TRUSTED] = pki.pem(certificate).encode("ascii")
            if role == "admin" and authority is not None and person.authority_key is not None:
                row = issue_certificate(session, authority[1], person.authority_key, person.keys, user=name,
                                        issuer=name, now=now)
                person.certificate_id = row.id
                person.certificate = pki.load_certificate(row.certificate_pem or "")
            else:
                person.certificate_id = session.scalar(select(func.mroqc_request_certificate(
                    signing_pem, sealing_hex, request_code(signing_pem, sealing_hex))))
                person.certificate = None
        if new_boxes:
            if stored and unlocked is not None:
                text = server_keys.put_boxes(stored, name, unlocked.kek, new_boxes)
            else:
                text, person.kek = server_keys.wrap(name, password, {**boxes, **new_boxes})
            session.execute(select(func.mroqc_put_own_keys(text, took_sealed)))
    return person


def person_from_boxes(db: Database, unlocked: Unlocked, name: str) -> Person | None:
    """The person whose slot ``unlocked`` opened, for signing in a database their sign-in did not
    open (a backup being restored): their keys and the certificate this database has for them; None
    when they have no keys there. Writes nothing."""
    boxes = unlocked.boxes
    if SIGNING not in boxes or SEALING not in boxes:
        return None
    keys = pki.PersonKeys(pki.load_signing_key(boxes[SIGNING]), pki.load_sealing_key(boxes[SEALING]))
    signing_pem, _ = _public_parts(keys)
    with db.reader() as session:
        row = session.scalars(select(UserCertificate).where(UserCertificate.user_name == name,
                                                            UserCertificate.public_key_pem == signing_pem)
                              .order_by(UserCertificate.id.desc())).first()
    if row is None:
        return None
    return Person(name=name, keys=keys, certificate_id=row.id,
                  certificate=pki.load_certificate(row.certificate_pem) if row.certificate_pem else None,
                  trusted=pki.load_certificate(boxes[TRUSTED]) if TRUSTED in boxes else None)


def _take_handed_authority(keys_file, unlocked: Unlocked) -> bytes | None:  # type: ignore[no-untyped-def]
    """The facility CA's key an administrator sealed to this person when making them one: moved
    into their own slot (wrapped under their password), the sealed copy dropped."""
    if SEALING not in unlocked.boxes:
        return None
    sealing = pki.load_sealing_key(unlocked.boxes[SEALING])
    with editing(keys_file) as keys:
        box = keys.sealed.get(unlocked.slot, {}).get(AUTHORITY)
        if box is None:
            return None
        secret = pki.unseal(sealing, box, AUTHORITY)
        keys.sealed.get(unlocked.slot, {}).pop(AUTHORITY, None)
        if not keys.sealed.get(unlocked.slot):
            keys.sealed.pop(unlocked.slot, None)
        if secret is not None:
            keys.put_boxes(unlocked.slot, unlocked.kek, {AUTHORITY: secret})
        return secret


def facility_name(session: Session) -> str:
    return session.scalars(select(Facility.name).limit(1)).first() or "MROQC facility"


# ---- what the person saw last ----------------------------------------------------------------


def seen_box(last_id: int, last_hash: str, signed_from: int | None) -> bytes:
    return json.dumps({"last_id": last_id, "last_hash": last_hash, "signed_from": signed_from}).encode()


def read_seen(data: bytes | None) -> dict | None:
    if not data:
        return None
    try:
        value = json.loads(data)
        return value if isinstance(value, dict) else None
    except ValueError:
        return None


def remember_seen(keys_path, person: Person, last_id: int, last_hash: str, signed_from: int | None) -> None:  # type: ignore[no-untyped-def]
    """Keep, authenticated under the person's password, the audit-log position they saw."""
    if person.slot is None or person.kek is None:
        return
    with editing(keys_path) as keys:
        if person.slot in keys.slots:
            keys.put_boxes(person.slot, person.kek, {SEEN: seen_box(last_id, last_hash, signed_from)})


def handed_authority(keys: KeyFile, slot: str, certificate: x509.Certificate,
                     authority_key: ec.EllipticCurvePrivateKey) -> None:
    """Hand the facility CA's key to a new administrator, sealed to the key their certificate names."""
    keys.sealed.setdefault(slot, {})[AUTHORITY] = pki.seal(pki.sealing_public_key(certificate),
                                                           pki.private_bytes(authority_key), AUTHORITY)


__all__ = ["AUTHORITY", "SEALING", "SEEN", "SIGNING", "KeysMissing", "Person", "active_authority", "add_authority",
           "authorities", "handed_authority", "issue_certificate", "key_boxes", "key_file_for", "read_seen",
           "remember_seen", "request_code", "signed_message", "unlocked_person"]
