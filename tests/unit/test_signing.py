"""The signed self-audit: signed by a person of the facility in the role they hold that day, with
their own key certified by the facility's certificate; verify-pdf trusts only that certificate."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pypdf import PdfReader

from app.domain.permissions import NotAllowed
from app.domain.records import StaffRecord
from app.reports.signing import NotAPdf, SigningError, save_signed, sign_audit, sign_pdf, verify_pdf
from app.services import staff, users
from app.services.maintenance import AuditPosition, verify_database
from app.storage.database import sqlite_url
from app.storage.models import AuditEntry, UserCertificate
from tests.support import PASSWORD, as_role, cli
from tests.support import reopen as sign_in_as
from tests.unit.test_findings_service import seed

D = dt.date
TODAY = dt.datetime.now(dt.UTC).replace(microsecond=0)
CHAMP_PASSWORD = "champion's own password"


def make_champion(db, db_path):  # type: ignore[no-untyped-def]
    """Dr. Ada Champion (S-CH), clinical champion since 2025, with the reviewer account champ."""
    staff.save_staff(db, StaffRecord(staff_id="S-CH", name="Dr. Ada Champion", profession="physician"))
    staff.save_role(db, "S-CH", "clinical_champion", D(2025, 1, 1), None)
    users.add_user(db, "champ", "reviewer", "champ's first password", staff_id="S-CH")
    champ = sign_in_as(db_path, "champ", "champ's first password")
    users.change_own_password(champ, "champ's first password", CHAMP_PASSWORD)
    champ.dispose()
    return sign_in_as(db_path, "champ", CHAMP_PASSWORD)


@pytest.fixture
def signed(db, db_path, tmp_path):  # type: ignore[no-untyped-def]
    seed(db)
    champ = make_champion(db, db_path)
    result = sign_audit(champ, year=2025, as_of=D(2025, 6, 30), signer_role="Clinical champion")
    out = tmp_path / "signed.pdf"
    save_signed(champ, result, out)
    trust = tmp_path / "facility.pem"
    assert cli(["export", "facility-certificate", "--db", db_path, "--out", trust]) == 0
    yield db, champ, result, out, trust
    champ.dispose()


def _trusted(trust):  # type: ignore[no-untyped-def]
    text = trust.read_bytes()
    return [x509.load_pem_x509_certificate(text[text.index(b"-----BEGIN"):])]


def test_the_pdf_names_the_person_their_staff_record_role_and_where_the_log_stood(signed) -> None:
    db, champ, result, out, trust = signed
    text = " ".join(" ".join((p.extract_text() or "").split()) for p in PdfReader(io.BytesIO(result.data)).pages)
    a = result.attestation
    assert (a.name, a.role, a.staff_id, a.as_of, a.user) == ("Dr. Ada Champion", "Clinical champion", "S-CH",
                                                            D(2025, 6, 30), "champ")
    for words in ("Signed by Dr. Ada Champion (staff S-CH)", "Role Clinical champion", "As-of date 2025-06-30",
                  f"Findings {a.findings} ({a.blocking} triggers or violations)", f"the last entry {a.audit_entry}"):
        assert words in text
    check = verify_pdf(out, _trusted(trust))
    assert check.ok and check.trusted and check.signer == "Dr. Ada Champion" and check.staff_id == "S-CH"
    assert "Clinical champion attests the 2025 self-audit as of 2025-06-30" in check.reason
    assert check.position == (a.audit_entry, a.audit_hash, a.audit_entries)
    assert "intact: signed by Dr. Ada Champion (staff S-CH), Clinical champion" in check.line


def test_only_a_linked_person_holding_the_role_that_day_signs(db, db_path) -> None:
    seed(db)
    with pytest.raises(SigningError, match="not linked"):  # the administrator: an IT account, no staff record
        sign_audit(db, year=2025, as_of=D(2025, 6, 30), signer_role="Clinical champion")
    staff.save_staff(db, StaffRecord(staff_id="S-AL", name="Ann Lead", profession="administrator"))
    users.set_staff(db, "test-admin", "S-AL")
    admin = sign_in_as(db_path, "test-admin", PASSWORD)
    try:
        with pytest.raises(SigningError, match="does not hold"):  # linked, but holding no signer's role
            sign_audit(admin, year=2025, as_of=D(2025, 6, 30), signer_role="Administrative lead")
        staff.save_role(admin, "S-AL", "administrative_lead", D(2020, 1, 1), D(2021, 12, 31))
        with pytest.raises(SigningError, match="does not hold"):  # held once, not today
            sign_audit(admin, year=2025, as_of=D(2025, 6, 30), signer_role="Administrative lead")
        staff.save_role(admin, "S-AL", "administrative_lead", D(2024, 1, 1), None)
        with pytest.raises(SigningError, match="not as clinical champion"):  # not a role she holds
            sign_audit(admin, year=2025, as_of=D(2025, 6, 30), signer_role="Clinical champion")
        signed = sign_audit(admin, year=2025, as_of=D(2025, 6, 30), signer_role="Administrative lead")
        assert signed.attestation.name == "Ann Lead" and signed.attestation.staff_id == "S-AL"
    finally:
        admin.dispose()
    with pytest.raises(NotAllowed):
        sign_audit(as_role(db, "coordinator"), year=2025, as_of=D(2025, 6, 30), signer_role="Clinical champion")


def test_private_keys_are_nowhere_in_the_database(signed) -> None:
    db, champ, _result, _out, _trust = signed
    with db.reader() as session:
        certificates = session.query(UserCertificate).all()
        entries = session.query(AuditEntry).all()
    assert certificates and all("PRIVATE" not in (c.certificate_pem or "") + c.public_key_pem for c in certificates)
    assert not any("PRIVATE KEY" in str(e.after) + str(e.before) for e in entries)
    signing = champ.person.keys.signing.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                                       serialization.NoEncryption())
    assert signing not in db.path.read_bytes()  # nor anywhere in the file (it is encrypted anyway)
    signings = [(e.user, e.summary) for e in entries if (e.summary or "").startswith("signed the 2025 self-audit")]
    assert signings == [("champ", signings[0][1])] and "as Dr. Ada Champion (staff S-CH), Clinical champion" in signings[0][1]


def _self_signed(common_name: str, organization: str):  # type: ignore[no-untyped-def]
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization)])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=30)).sign(key, hashes.SHA256()))
    return cert, key


def test_the_three_forged_self_audits_are_refused(signed, tmp_path) -> None:
    db, champ, result, out, trust = signed
    from app.exports.service import preview_audit_pdf

    unsigned, _ = preview_audit_pdf(db, year=2025, as_of=D(2025, 6, 30))
    mallory, mallory_key = _self_signed("Mallory Evil", "Evil")
    facility = _trusted(trust)[0]
    copycat, copycat_key = _self_signed(facility.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value,
                                        facility.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value)
    from reportlab.pdfgen import canvas

    page = io.BytesIO()
    sheet = canvas.Canvas(page)
    sheet.drawString(72, 720, "Self-audit: no findings.")
    sheet.save()
    altered = unsigned.replace(b"MROQC self-audit", b"MROQC self-audiT", 1)  # changed, then signed again below
    forged = {
        "the app's unsigned self-audit signed by Mallory as Rita Reviewer":
            sign_pdf(unsigned, mallory_key, [mallory], name="Rita Reviewer", reason="x", location="y"),
        "a genuine self-audit altered and re-signed by a copy of the facility's subject":
            sign_pdf(altered, copycat_key, [copycat], name="Dr. Ada Champion", reason="x", location="y"),
        "an unrelated one-page PDF": sign_pdf(page.getvalue(), mallory_key, [mallory], name="Rita Reviewer",
                                              reason="no findings", location="y"),
    }
    for what, data in forged.items():
        path = tmp_path / "forged.pdf"
        path.write_bytes(data)
        check = verify_pdf(path, _trusted(trust), "Lakeside Cancer Center")
        assert not check.ok and check.trusted is False, what
        assert check.line.startswith("not signed by a certificate of Lakeside Cancer Center"), check.line
        assert cli(["verify-pdf", str(path), "--trust", str(trust)]) == 1, what
    assert cli(["verify-pdf", str(out), "--trust", str(trust)]) == 0


def test_a_changed_file_is_caught_and_a_text_file_is_no_pdf(signed, tmp_path) -> None:
    _db, _champ, result, _out, trust = signed
    tampered = tmp_path / "tampered.pdf"
    data = bytearray(result.data)
    data[len(data) // 3] ^= 0x01
    tampered.write_bytes(bytes(data))
    check = verify_pdf(tampered, _trusted(trust))
    assert check.signed and not check.intact and check.line.startswith("changed since signing")
    appended = tmp_path / "appended.pdf"
    appended.write_bytes(result.data + b"\n% an incremental update after signing\n")
    assert not verify_pdf(appended, _trusted(trust)).intact
    text = tmp_path / "notes.txt"
    text.write_text("not a pdf")
    with pytest.raises(NotAPdf):
        verify_pdf(text, _trusted(trust))
    assert cli(["verify-pdf", str(text), "--trust", str(trust)]) == 2


def test_verify_against_the_self_audit_finds_entries_removed_since(signed, db_path) -> None:
    db, champ, result, _out, _trust = signed
    a = result.attestation
    position = AuditPosition(a.audit_entry, a.audit_hash, a.audit_entries)
    assert verify_database(champ, against=position, rows=False).ok
    from tests.support import raw_connection

    conn = raw_connection(db_path)
    conn.execute("DELETE FROM audit_log WHERE id = ?", (a.audit_entry,))
    conn.commit()
    conn.close()
    report = verify_database(champ, against=position, rows=False)
    assert any("against the self-audit" in p and "no longer holds entry" in p for p in report.problems)


def test_the_facility_certificate_is_exported_and_verify_pdf_uses_the_database_too(signed, db_path, tmp_path) -> None:
    _db, _champ, _result, out, trust = signed
    exported = tmp_path / "exported.pem"
    assert cli(["export", "facility-certificate", "--db", db_path, "--out", exported]) == 0
    assert exported.read_bytes().startswith(b"Facility: Lakeside Cancer Center\n-----BEGIN CERTIFICATE-----")
    assert cli(["verify-pdf", out, "--trust", exported]) == 0
    assert cli(["verify-pdf", out, "--db", db_path, "--user", "test-admin", "--password-stdin"]) == 0  # its own certificate
    assert sqlite_url(db_path)


def test_verify_pdf_as_a_process_says_one_line_and_nothing_on_stderr(signed) -> None:
    """The coordinating center runs it from a script: no deprecation warning from the PDF library."""
    from tests.fuzz.harness import run_cli

    _db, _champ, _result, out, trust = signed
    ran = run_cli(["verify-pdf", str(out), "--trust", str(trust)], real=True)  # a fresh interpreter: its warnings too
    assert ran.code == 0 and ran.stderr == "", ran.stderr
    assert len(ran.stdout.strip().splitlines()) == 1 and "intact: signed by Dr. Ada Champion" in ran.stdout
