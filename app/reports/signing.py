"""The signed self-audit: the attestation in the PDF and a PDF digital signature (PAdES, with
pyHanko) made with the signing person's own key, certified by the facility's certificate
authority (``app.security.pki``).

``sign_audit`` is what "Review and sign" does: the signed-in person — linked to their record in
Staff & roles, holding the clinical champion's or the administrative lead's role that day —
attests the report; the attestation names them, their staff record and role, and where the audit
log stood (entry, hash, count, so ``verify --against`` can tell whether the log still extends it).
``verify_pdf`` is ``mroqc-desk verify-pdf``: whether a signed self-audit is unchanged since signing
and signed by a certificate of the facility whose certificate it is checked against.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from app.domain.permissions import Permission
from app.reports.audit_pdf import write_audit_pdf
from app.reports.audit_report import Attestation
from app.reports.audit_service import build_report
from app.security import pki
from app.security.people import Person, authorities
from app.security.pki import person_of, private_bytes
from app.services.export_guard import record_export
from app.storage import audit
from app.storage.database import Database
from app.storage.files import atomic_write
from app.storage.models import AuditHead, RoleAssignment, Staff, User

# pyHanko imports cryptography's DSA support, which warns on stderr; a command's output stays its own
warnings.filterwarnings("ignore", message="DSA is deprecated")

FIELD_NAME = "SelfAuditAttestation"
#: PDF keywords carrying where the audit log stood when it was signed (machine-readable)
POSITION_KEYWORD = "mroqc-audit-position"


class SigningError(ValueError):
    """The self-audit cannot be signed as asked (no staff record, not holding a signer's role, no
    certificate yet); says why and what to do."""


class NotAPdf(ValueError):
    """``verify-pdf`` was given a file that is not a PDF."""


#: Staff & roles codes that attest the self-audit (POLICY: the clinical champion or the administrative lead)
SIGNER_ROLE_CODES = ("clinical_champion", "administrative_lead")
#: ... as the PDF names them
SIGNER_ROLES = ("Clinical champion", "Administrative lead")


@dataclass(frozen=True)
class Signer:
    """Who signs: the account, their staff record and the signer's roles they hold on the day."""

    user: str
    staff_id: str
    staff_name: str
    roles: tuple[str, ...]  # of SIGNER_ROLES


def signer(db: Database, on: dt.date) -> Signer:
    """The signed-in person as a signer of the self-audit on ``on`` (today), or ``SigningError``
    saying what is missing: a staff record linked to the account, a signer's role that day, a
    certificate the facility issued."""
    actor = db.actor
    person = db.person
    if actor is None or not isinstance(person, Person) or person.keys is None:
        raise SigningError("Sign in as yourself to sign (the recovery key cannot sign).")
    if person.certificate is None:
        raise SigningError("Your certificate is waiting for an administrator (Settings → Users → Issue certificate); "
                           "you can sign once it is issued.")
    with db.reader() as session:
        user = session.scalars(select(User).where(User.name == actor.name)).first()
        staff_id = user.staff_id if user is not None else None
        if not staff_id:
            raise SigningError("Your account is not linked to your record in Staff & roles: an administrator links "
                               "it in Settings → Users; the self-audit is signed by a person of the facility.")
        staff = session.get(Staff, staff_id)
        held = set(session.scalars(select(RoleAssignment.role).where(
            RoleAssignment.staff_id == staff_id, RoleAssignment.role.in_(SIGNER_ROLE_CODES), RoleAssignment.start <= on,
            (RoleAssignment.end.is_(None)) | (RoleAssignment.end >= on))))

    _, _, certified_staff = person_of(person.certificate)
    if certified_staff != staff_id:
        raise SigningError("Your certificate names another staff record than your account now does: an "
                           "administrator issues it again by linking your account once more (Settings → Users).")
    roles = tuple(name for code, name in zip(SIGNER_ROLE_CODES, SIGNER_ROLES, strict=True) if code in held)
    if not roles:
        raise SigningError(f"{staff.name if staff else staff_id} does not hold the clinical champion's or the "
                           f"administrative lead's role on {on.isoformat()} in Staff & roles: only they sign the "
                           "self-audit.")
    return Signer(actor.name, staff_id, staff.name if staff else staff_id, roles)


def sign_pdf(pdf: bytes, key, chain: list, *, name: str, reason: str, location: str) -> bytes:  # type: ignore[no-untyped-def]
    """``pdf`` with a signature over the whole file (an incremental update pyHanko appends), made
    with ``key`` and carrying ``chain`` (the person's certificate, then the facility's)."""
    # here, not at the top: pyHanko takes ~0.37 s to load, needed only to sign or to verify
    from asn1crypto import x509 as asn1_x509
    from cryptography.hazmat.primitives.serialization import Encoding
    from pyhanko.keys import load_private_key_from_pemder_data
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers
    from pyhanko_certvalidator.registry import SimpleCertificateStore


    certs = [asn1_x509.Certificate.load(c.public_bytes(Encoding.DER)) for c in chain]
    signing_key = load_private_key_from_pemder_data(private_bytes(key), passphrase=None)
    signer_obj = signers.SimpleSigner(signing_cert=certs[0], signing_key=signing_key,
                                      cert_registry=SimpleCertificateStore.from_certs(certs))
    meta = signers.PdfSignatureMetadata(field_name=FIELD_NAME, name=name, reason=reason, location=location)
    out = signers.sign_pdf(IncrementalPdfFileWriter(io.BytesIO(pdf)), meta, signer=signer_obj)
    return out.getvalue()


@dataclass(frozen=True)
class SignedAudit:
    data: bytes
    pages: int
    attestation: Attestation


def sign_audit(db: Database, *, year: int, as_of: dt.date, signer_role: str, identified: bool = False,
               now: dt.datetime | None = None) -> SignedAudit:
    """The self-audit attested by the signed-in person as ``signer_role`` (one they hold today),
    signed with their own key, kept in memory (the window saves it); the signing is audited."""
    db.require(Permission.SIGN_AUDIT)
    signed_at = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).replace(microsecond=0)
    who = signer(db, signed_at.date())
    if signer_role not in who.roles:
        raise SigningError(f"{who.staff_name} signs as {' or '.join(r.lower() for r in who.roles)} on "
                           f"{signed_at.date().isoformat()}, not as {signer_role.lower()}.")
    person = db.person
    report = build_report(db, year=year, as_of=as_of, identified=identified)
    with db.reader() as session:
        head = session.execute(select(AuditHead.last_id, AuditHead.last_hash, AuditHead.entries)
                               .where(AuditHead.id == 1)).one()
    blocking = sum(1 for f in report.findings if f["severity"] in ("trigger", "violation"))
    report.attestation = Attestation(who.staff_name, signer_role, signed_at, report.as_of, len(report.findings),
                                     blocking, who.user, staff_id=who.staff_id, audit_entry=int(head.last_id),
                                     audit_hash=str(head.last_hash), audit_entries=int(head.entries))
    buffer = io.BytesIO()
    pages = write_audit_pdf(report, buffer)

    with db.reader() as session:
        facility_roots = authorities(session)
    trusted = getattr(person, "trusted", None) or (facility_roots[0] if facility_roots else None)
    data = sign_pdf(buffer.getvalue(), person.keys.signing, [person.certificate, trusted], name=who.staff_name,  # type: ignore[union-attr]
                    reason=f"{signer_role} attests the {year} self-audit as of {report.as_of.isoformat()} "
                           f"({len(report.findings)} findings)", location=report.facility)
    with db.transaction(Permission.SIGN_AUDIT) as session:
        audit.note(session, f"signed the {year} self-audit as of {report.as_of.isoformat()} as {who.staff_name} "
                            f"(staff {who.staff_id}), {signer_role} ({len(report.findings)} findings, {blocking} "
                            f"triggers or violations; audit log at entry {head.last_id})",
                   table="user_certificates", key=str(person.certificate_id))  # type: ignore[union-attr]
    return SignedAudit(data, pages, report.attestation)


def save_signed(db: Database, signed: SignedAudit, out: Path, *, identified: bool = False) -> None:
    """Write a signed self-audit (atomically), audited as the export it is."""
    db.require(Permission.SIGN_AUDIT)
    atomic_write(Path(out), signed.data)
    record_export(db, "audit-pdf", Path(out), identified)


@dataclass(frozen=True)
class Verification:
    signed: bool
    intact: bool
    signer: str | None = None
    reason: str | None = None
    signed_at: dt.datetime | None = None
    certificate: str | None = None
    problem: str = ""
    #: signed by a certificate of the facility it was checked against (None: not checked)
    trusted: bool | None = None
    staff_id: str | None = None
    user: str | None = None
    facility: str | None = None
    trust_fingerprint: str | None = None
    position: tuple[int, str, int] | None = None  # the audit log's entry, hash and count at signing

    @property
    def ok(self) -> bool:
        return self.signed and self.intact and self.trusted is not False

    @property
    def line(self) -> str:
        if not self.signed:
            return "unsigned: the file carries no signature"
        who = self.signer or "?"
        if self.staff_id:
            who += f" (staff {self.staff_id})"
        if self.reason:
            who += f", {self.reason}"
        when = f" on {self.signed_at:%Y-%m-%d %H:%M} UTC" if self.signed_at else ""
        if not self.intact:
            return f"changed since signing: {self.problem or 'the signature no longer matches'}; it was signed by {who}{when}"
        if self.trusted is False:
            return (f"not signed by a certificate of {self.facility or 'this facility'} (fingerprint "
                    f"{self.trust_fingerprint}): it is unchanged, but signed by {self.certificate or 'someone else'}")
        return f"intact: signed by {who}{when}; certificate of {self.facility or 'the facility'} ({self.trust_fingerprint})"


def _position(data: bytes) -> tuple[int, str, int] | None:
    found = re.search(rb"mroqc-audit-position:(\d+):([0-9a-f]{64}):(\d+)", data)
    return (int(found.group(1)), found.group(2).decode(), int(found.group(3))) if found else None


def verify_pdf(path: Path, trusted: list | None = None, facility: str | None = None) -> Verification:
    """Whether the last signature of ``path`` covers the whole file and matches it, who made it,
    and — given the facility's certificates ``trusted`` — whether the signer's certificate was
    issued by one of them (``facility``: what to call the facility, else the certificate's own
    name). ``NotAPdf`` when the file is not a PDF."""
    # here, not at the top: pyHanko takes ~0.37 s to load, needed only to sign or to verify
    from cryptography import x509 as crypto_x509
    from pyhanko.pdf_utils.misc import PdfReadError
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext


    data = Path(path).read_bytes()
    if not data.lstrip()[:5] == b"%PDF-":
        raise NotAPdf(f"{Path(path).name} is not a PDF.")
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        signatures = reader.embedded_signatures
    except (PdfReadError, ValueError, KeyError) as exc:
        return Verification(signed=False, intact=False, problem=f"the file cannot be read as a PDF ({exc})")
    if not signatures:
        return Verification(signed=False, intact=False)
    sig = signatures[-1]
    name = str(sig.sig_object.get("/Name") or "") or None
    reason = str(sig.sig_object.get("/Reason") or "") or None
    try:
        # the check of the bytes only: whether the signed content is unchanged (the facility's trust,
        # below, is judged with the app's own certificate code; nothing is fetched from a network)
        context = ValidationContext(trust_roots=[sig.signer_cert], allow_fetching=False, revocation_mode="soft-fail")
        status = validate_pdf_signature(sig, context, skip_diff=True)
    except Exception as exc:  # a damaged signature dictionary: not intact, whatever the cause
        return Verification(signed=True, intact=False, signer=name, reason=reason, problem=str(exc))
    whole = status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    intact = bool(status.intact and status.valid and whole)
    problem = "" if intact else ("the document was changed after it was signed" if status.intact and not whole
                                 else "the signed content no longer matches its signature")
    certificate = crypto_x509.load_der_x509_certificate(sig.signer_cert.dump())
    user, full_name, staff_id = pki.person_of(certificate)
    verdict = None
    fingerprint = None
    if trusted:
        root = next((t for t in trusted if pki.issued_by(certificate, t)), None)
        verdict = root is not None
        shown = root or trusted[0]
        fingerprint = pki.short_fingerprint(shown)
        orgs = shown.subject.get_attributes_for_oid(crypto_x509.oid.NameOID.ORGANIZATION_NAME)
        facility = facility or (str(orgs[0].value) if orgs else None)
    return Verification(True, intact, full_name or name, reason, status.signer_reported_dt,
                        certificate.subject.rfc4514_string(), problem, verdict, staff_id, user, facility, fingerprint,
                        _position(data) if intact else None)
