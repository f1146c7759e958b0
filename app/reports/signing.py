"""The signed self-audit: the attestation in the PDF and a PDF digital signature (PAdES, with
pyHanko) made with the facility's own certificate, which the app creates once and keeps in the
database (``signing_certificates``; the database is encrypted at rest, and the private key is
never written to the audit log).

``sign_audit`` is what a reviewer's "Sign" does: the report with its attestation (who, in which
role, when, the as-of date and the findings count), drawn, signed, audited. ``verify_pdf`` is
``mroqc-desk verify-pdf``: whether a signed self-audit is unchanged since signing, and who
signed it; it needs no database.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from app.reports.audit_report import Attestation
from app.security.roles import Permission
from app.storage import audit
from app.storage.database import Database
from app.storage.models import SigningCertificate

FIELD_NAME = "SelfAuditAttestation"
CERTIFICATE_YEARS = 10


class SigningError(ValueError):
    """The self-audit cannot be signed as asked (no name, an unknown role); says why."""


class NotAPdf(ValueError):
    """``verify-pdf`` was given a file that is not a PDF."""


#: The roles that attest the self-audit (POLICY: the clinical champion or the administrative lead)
SIGNER_ROLES = ("Clinical champion", "Administrative lead")


def _new_certificate(facility: str, now: dt.datetime) -> tuple[str, str, str]:
    """A self-signed certificate and its RSA key for ``facility``: (subject, certificate PEM, key PEM)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"{facility} self-audit"[:64]),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, facility[:64] or "MROQC facility"),
                      x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "MROQC Facility Desk")])
    start = now.replace(tzinfo=dt.UTC) - dt.timedelta(days=1)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(start)
            .not_valid_after(start + dt.timedelta(days=365 * CERTIFICATE_YEARS))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                         crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
            .sign(key, hashes.SHA256()))
    return (name.rfc4514_string(), cert.public_bytes(serialization.Encoding.PEM).decode(),
            key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                              serialization.NoEncryption()).decode())


def facility_certificate(db: Database, facility: str) -> SigningCertificate:
    """The facility's active signing certificate, created (audited, key masked) the first time."""
    with db.reader() as session:
        row = session.scalars(select(SigningCertificate).where(SigningCertificate.active.is_(True))
                              .order_by(SigningCertificate.id.desc()).limit(1)).first()
    if row is not None:
        return row
    now = audit.now()
    subject, cert_pem, key_pem = _new_certificate(facility, now)
    with db.transaction(Permission.SIGN_AUDIT, summary=f"created the self-audit signing certificate ({subject})") as s:
        row = SigningCertificate(created_at=now, subject=subject, certificate_pem=cert_pem, private_key_pem=key_pem,
                                 active=True)
        s.add(row)
        s.flush()
    return row


def sign_pdf(pdf: bytes, certificate: SigningCertificate, *, name: str, reason: str, location: str) -> bytes:
    """``pdf`` with a signature over the whole file (an incremental update pyHanko appends)."""
    from pyhanko.keys import load_certs_from_pemder_data, load_private_key_from_pemder_data
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    [cert] = list(load_certs_from_pemder_data(certificate.certificate_pem.encode()))
    key = load_private_key_from_pemder_data(certificate.private_key_pem.encode(), passphrase=None)
    signer = signers.SimpleSigner(signing_cert=cert, signing_key=key,
                                  cert_registry=SimpleCertificateStore.from_certs([cert]))
    meta = signers.PdfSignatureMetadata(field_name=FIELD_NAME, name=name, reason=reason, location=location)
    out = signers.sign_pdf(IncrementalPdfFileWriter(io.BytesIO(pdf)), meta, signer=signer)
    return out.getvalue()


@dataclass(frozen=True)
class SignedAudit:
    data: bytes
    pages: int
    attestation: Attestation


def sign_audit(db: Database, *, year: int, as_of: dt.date, signer_name: str, signer_role: str,
               identified: bool = False, now: dt.datetime | None = None) -> SignedAudit:
    """The self-audit with the attestation of ``signer_name`` as ``signer_role``, signed with the
    facility's certificate, kept in memory (the window saves it); the signing is audited."""
    from app.reports.audit_pdf import write_audit_pdf
    from app.reports.audit_service import build_report

    db.require(Permission.SIGN_AUDIT)
    name = " ".join((signer_name or "").split())
    if not name:
        raise SigningError("Type the name of the person who signs.")
    if signer_role not in SIGNER_ROLES:
        raise SigningError(f"The self-audit is signed by the {' or the '.join(r.lower() for r in SIGNER_ROLES)}.")
    report = build_report(db, year=year, as_of=as_of, identified=identified)
    signed_at = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).replace(microsecond=0)
    blocking = sum(1 for f in report.findings if f["severity"] in ("trigger", "violation"))
    report.attestation = Attestation(name, signer_role, signed_at, report.as_of, len(report.findings), blocking,
                                     db.actor.name if db.actor else audit.SYSTEM_USER)
    buffer = io.BytesIO()
    pages = write_audit_pdf(report, buffer)
    certificate = facility_certificate(db, report.facility)
    data = sign_pdf(buffer.getvalue(), certificate, name=name,
                    reason=f"{signer_role} attests the {year} self-audit as of {report.as_of.isoformat()} "
                           f"({len(report.findings)} findings)", location=report.facility)
    with db.transaction(Permission.SIGN_AUDIT) as session:
        audit.note(session, f"signed the {year} self-audit as of {report.as_of.isoformat()} as {name}, {signer_role} "
                            f"({len(report.findings)} findings, {blocking} triggers or violations)",
                   table="signing_certificates", key=str(certificate.id))
    return SignedAudit(data, pages, report.attestation)


def save_signed(db: Database, signed: SignedAudit, out: Path, *, identified: bool = False) -> None:
    """Write a signed self-audit (atomically), audited as the export it is."""
    from app.exports.service import record_export
    from app.storage.files import atomic_write

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

    @property
    def line(self) -> str:
        if not self.signed:
            return "unsigned: the file carries no signature"
        who = f"{self.signer} ({self.reason})" if self.reason else str(self.signer)
        when = f" on {self.signed_at:%Y-%m-%d %H:%M} UTC" if self.signed_at else ""
        if self.intact:
            return f"intact: signed by {who}{when}; certificate {self.certificate}"
        return f"changed since signing: {self.problem or 'the signature no longer matches'}; it was signed by {who}{when}"


def verify_pdf(path: Path) -> Verification:
    """Whether the last signature of ``path`` covers the whole file and matches it, and who made it.
    ``NotAPdf`` when the file is not a PDF."""
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
    signer = str(sig.sig_object.get("/Name") or "") or None
    reason = str(sig.sig_object.get("/Reason") or "") or None
    try:
        # the facility's certificate is its own root: trusting it for this check asks only whether
        # the file is unchanged and signed by that certificate (nothing is fetched from a network)
        context = ValidationContext(trust_roots=[sig.signer_cert], allow_fetching=False, revocation_mode="soft-fail")
        # any revision after the signature counts as a change: no need to judge what kind (skip_diff)
        status = validate_pdf_signature(sig, context, skip_diff=True)
    except Exception as exc:  # a damaged signature dictionary: not intact, whatever the cause
        return Verification(signed=True, intact=False, signer=signer, reason=reason, problem=str(exc))
    whole = status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    intact = bool(status.intact and status.valid and whole)
    problem = "" if intact else ("the document was changed after it was signed" if status.intact and not whole
                                 else "the signed content no longer matches its signature")
    return Verification(True, intact, signer or status.signing_cert.subject.human_friendly, reason,
                        status.signer_reported_dt, status.signing_cert.subject.human_friendly, problem)
