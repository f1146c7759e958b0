"""The signed self-audit: attestation in the PDF, a signature a reader can check, one facility
certificate kept in the database (its key never in the audit log), signing audited, verify-pdf."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from pypdf import PdfReader

from app.reports.signing import NotAPdf, SigningError, save_signed, sign_audit, verify_pdf
from app.security.roles import NotAllowed
from app.storage.models import AuditEntry, SigningCertificate
from tests.support import as_role, cli
from tests.unit.test_findings_service import seed

D = dt.date
NOW = dt.datetime(2025, 7, 2, 15, 30, tzinfo=dt.UTC)


@pytest.fixture
def signed(db, tmp_path):
    seed(db)
    result = sign_audit(as_role(db, "reviewer", "champ"), year=2025, as_of=D(2025, 6, 30), signer_name="Dr. Ada Champion",
                        signer_role="Clinical champion", now=NOW)
    out = tmp_path / "signed.pdf"
    save_signed(as_role(db, "reviewer", "champ"), result, out)
    return db, result, out


def test_the_pdf_carries_the_attestation_and_an_intact_signature(signed) -> None:
    db, result, out = signed
    text = " ".join(" ".join((p.extract_text() or "").split()) for p in PdfReader(io.BytesIO(result.data)).pages)
    a = result.attestation
    assert (a.name, a.role, a.as_of, a.user) == ("Dr. Ada Champion", "Clinical champion", D(2025, 6, 30), "champ")
    for words in ("Signed by Dr. Ada Champion", "Role Clinical champion", "Date and time 2025-07-02 15:30 UTC",
                  "As-of date 2025-06-30", f"Findings {a.findings} ({a.blocking} triggers or violations)"):
        assert words in text
    check = verify_pdf(out)
    assert check.signed and check.intact and check.signer == "Dr. Ada Champion"
    assert "Clinical champion attests the 2025 self-audit as of 2025-06-30" in check.reason
    assert "Lakeside Cancer Center" in check.certificate


def test_one_certificate_per_facility_and_its_key_stays_out_of_the_audit_log(signed) -> None:
    db, _result, _out = signed
    sign_audit(db, year=2025, as_of=D(2025, 6, 30), signer_name="Ann Lead", signer_role="Administrative lead")
    with db.reader() as session:
        certificates = session.query(SigningCertificate).all()
        entries = session.query(AuditEntry).order_by(AuditEntry.id).all()
    assert len(certificates) == 1 and "PRIVATE KEY" in certificates[0].private_key_pem
    assert not any("PRIVATE KEY" in str(e.after) + str(e.before) for e in entries)
    inserted = next(e for e in entries if e.table_name == "signing_certificates" and e.action == "insert")
    assert inserted.after["private_key_pem"] == "[hidden]"
    signings = [(e.user, e.summary) for e in entries if (e.summary or "").startswith("signed the 2025 self-audit")]
    assert signings[0][0] == "champ" and "as Dr. Ada Champion, Clinical champion" in signings[0][1]
    assert signings[1][0] == "test-admin" and len(signings) == 2


def test_only_a_reviewer_signs_and_the_signer_is_named(db) -> None:
    seed(db)
    with pytest.raises(NotAllowed):
        sign_audit(as_role(db, "coordinator"), year=2025, as_of=D(2025, 6, 30), signer_name="X", signer_role="Clinical champion")
    with pytest.raises(SigningError):
        sign_audit(db, year=2025, as_of=D(2025, 6, 30), signer_name="  ", signer_role="Clinical champion")
    with pytest.raises(SigningError):
        sign_audit(db, year=2025, as_of=D(2025, 6, 30), signer_name="X", signer_role="CDA")


def test_a_changed_file_is_not_intact(signed, tmp_path) -> None:
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    _db, result, out = signed
    tampered = tmp_path / "tampered.pdf"
    tampered.write_bytes(result.data.replace(b"/Title (MROQC self-audit", b"/Title (MROQC self-AUDIT", 1))
    assert result.data != tampered.read_bytes()
    check = verify_pdf(tampered)
    assert check.signed and not check.intact
    # an update appended after signing (what an editor saving the file does)
    from pyhanko.pdf_utils import generic

    writer = IncrementalPdfFileWriter(io.BytesIO(result.data))
    writer.root["/PageMode"] = generic.NameObject("/UseOutlines")
    writer.update_root()
    appended = tmp_path / "appended.pdf"
    with appended.open("wb") as handle:
        writer.write(handle)
    check = verify_pdf(appended)
    assert check.signed and not check.intact and "changed after it was signed" in check.line


def test_verify_pdf_command_contract(signed, tmp_path, capsys) -> None:
    from app.reports.audit_pdf import write_audit_pdf
    from app.reports.audit_service import build_report

    db, result, out = signed
    capsys.readouterr()
    assert cli(["verify-pdf", str(out)]) == 0
    assert capsys.readouterr().out.strip().startswith("signed.pdf: intact: signed by Dr. Ada Champion")
    unsigned = tmp_path / "unsigned.pdf"
    write_audit_pdf(build_report(db, year=2025, as_of=D(2025, 6, 30)), unsigned)
    assert cli(["verify-pdf", str(unsigned)]) == 1
    assert "unsigned" in capsys.readouterr().out
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(result.data[:2000] + b"x" + result.data[2001:])
    assert cli(["verify-pdf", str(broken)]) == 1
    text = tmp_path / "notes.txt"
    text.write_text("not a pdf")
    assert cli(["verify-pdf", str(text)]) == 2
    assert "not a PDF" in capsys.readouterr().err
    with pytest.raises(NotAPdf):
        verify_pdf(text)


def test_an_independent_reader_sees_the_whole_document_signed(signed, tmp_path) -> None:
    """poppler's pdfsig (what PDF readers on Linux use) agrees: valid, the total document signed."""
    import shutil
    import subprocess

    if shutil.which("pdfsig") is None:
        pytest.skip("pdfsig (poppler-utils) is not installed")
    _db, result, out = signed
    report = subprocess.run(["pdfsig", str(out)], capture_output=True, text=True, check=False).stdout
    assert "Signature is Valid." in report and "Total document signed" in report
    tampered = tmp_path / "tampered.pdf"
    tampered.write_bytes(result.data.replace(b"/Title (MROQC self-audit", b"/Title (MROQC self-AUDIT", 1))
    assert "Digest Mismatch." in subprocess.run(["pdfsig", str(tampered)], capture_output=True, text=True).stdout
