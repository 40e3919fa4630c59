from __future__ import annotations

import datetime as dt
import io
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from asn1crypto import keys as asn1_keys
from asn1crypto import tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from PIL import Image
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper

from zhiyin.lib import pades, pdfdoc
from zhiyin.lib.signer import SoftwareSealSigner
from zhiyin.lib.tests.conftest import (
    COLLECTIVE,
    COMMITTEE,
    District,
    pdfsig,
    seal,
    signer_for,
)

A4_HEIGHT_PT = 841.89


def _verify(
    pdf: bytes, district: District, revoked: set[int] | None = None
) -> pades.VerificationResult:
    return pades.verify_pdf(pdf, trust_roots=[district.root], revoked_serials=revoked or set())


def test_a_sealed_certificate_validates_against_the_district_root(
    sealed: bytes, district: District, committee_signer: SoftwareSealSigner
) -> None:
    result = _verify(sealed, district)
    assert result.ok
    [report] = result.signatures
    assert report.signer_cn == COMMITTEE
    assert report.serial == committee_signer.certificate.serial_number
    assert report.intact
    assert report.valid
    assert report.trusted
    assert report.covers_whole_document
    assert not report.modified_after_signing
    assert not report.revoked
    assert not report.timestamped
    assert report.problems == ()
    assert report.signing_time is not None
    assert abs(report.signing_time - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=10)


def test_poppler_reports_the_seal_valid_and_trusted(
    sealed: bytes, nss_db: str, tmp_path: Path
) -> None:
    report = pdfsig(nss_db, sealed, tmp_path)
    assert f"Signer Certificate Common Name: {COMMITTEE}" in report
    assert "Signature Type: ETSI.CAdES.detached" in report
    assert "Total document signed" in report
    assert "Signature Validation: Signature is Valid." in report
    assert "Certificate Validation: Certificate is Trusted." in report


def test_a_one_byte_change_is_caught(
    sealed: bytes, district: District, nss_db: str, tmp_path: Path
) -> None:
    at = sealed.index(b"ReportLab")
    tampered = sealed[:at] + b"X" + sealed[at + 1 :]
    assert len(tampered) == len(sealed)

    [report] = _verify(tampered, district).signatures
    assert not report.intact
    assert "文件内容在盖章后被改动，签名与内容不符。" in report.problems
    assert "Signature Validation: Digest Mismatch." in pdfsig(nss_db, tampered, tmp_path)


def test_an_update_appended_after_sealing_is_reported(sealed: bytes, district: District) -> None:
    writer = IncrementalPdfFileWriter(io.BytesIO(sealed), strict=False)
    patch = generic.StreamObject(stream_data=b"1 1 1 rg 60 300 300 80 re f")
    writer.add_stream_to_page(0, writer.add_object(patch))  # type: ignore[no-untyped-call]  # unannotated
    out = io.BytesIO()
    writer.write(out)  # type: ignore[no-untyped-call]  # unannotated in pyHanko

    result = _verify(out.getvalue(), district)
    [report] = result.signatures
    assert report.intact
    assert report.trusted
    assert not report.covers_whole_document
    assert report.modified_after_signing
    assert not result.ok


def test_a_seal_from_a_foreign_root_is_not_trusted(
    certificate: pdfdoc.CertificatePdf,
    district: District,
    foreign_district: District,
    nss_db: str,
    tmp_path: Path,
) -> None:
    impostor = signer_for(foreign_district, COMMITTEE)
    forged = seal(certificate.pdf, impostor, certificate.seal_position)

    [report] = _verify(forged, district).signatures
    assert report.intact
    assert not report.trusted
    assert "印章证书不是由受信任的签发机构签发的。" in report.problems
    poppler = pdfsig(nss_db, forged, tmp_path)
    assert "Signature Validation: Signature is Valid." in poppler
    assert "Certificate Validation: Certificate is Trusted." not in poppler


def test_a_revoked_seal_is_reported(
    sealed: bytes, district: District, committee_signer: SoftwareSealSigner
) -> None:
    result = _verify(sealed, district, revoked={committee_signer.certificate.serial_number})
    [report] = result.signatures
    assert report.revoked
    assert "该印章证书已被注销。" in report.problems
    assert not result.ok


def test_a_second_seal_keeps_the_first_valid(
    sealed: bytes,
    certificate: pdfdoc.CertificatePdf,
    collective_signer: SoftwareSealSigner,
    district: District,
    nss_db: str,
    tmp_path: Path,
) -> None:
    first = certificate.seal_position
    beside = pdfdoc.SealPosition(page=first.page, x=first.x - 150, y=first.y)
    twice = seal(sealed, collective_signer, beside, organization=COLLECTIVE, field_name="Seal-2")
    assert twice.startswith(sealed)

    result = _verify(twice, district)
    assert result.ok
    committee, collective = result.signatures
    assert (committee.signer_cn, collective.signer_cn) == (COMMITTEE, COLLECTIVE)
    assert not committee.covers_whole_document
    assert not committee.modified_after_signing
    assert collective.covers_whole_document
    poppler = pdfsig(nss_db, twice, tmp_path)
    assert poppler.count("Signature Validation: Signature is Valid.") == 2
    assert poppler.count("Certificate Validation: Certificate is Trusted.") == 2


def test_it_refuses_to_reuse_a_field_name_or_a_missing_page(
    sealed: bytes, certificate: pdfdoc.CertificatePdf, collective_signer: SoftwareSealSigner
) -> None:
    with pytest.raises(pades.SealError, match="Seal-1"):
        seal(sealed, collective_signer, certificate.seal_position, field_name="Seal-1")
    nowhere = pdfdoc.SealPosition(page=3, x=100, y=100)
    with pytest.raises(pades.SealError, match="第4页不存在"):
        seal(sealed, collective_signer, nowhere, field_name="Seal-2")


def _render(pdf: bytes, tmp_path: Path) -> Image.Image:
    tmp_path.mkdir()
    path = tmp_path / "page.pdf"
    path.write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-r", "50", "-png", "-f", "1", "-l", "1", str(path), str(tmp_path / "page")],
        check=True,
    )
    [png] = tmp_path.glob("page*.png")
    return Image.open(png).convert("RGB")


def _red_pixels(image: Image.Image, box_pt: tuple[float, float, float, float]) -> int:
    """Red pixels inside a box given in PDF points (left, bottom, right, top)."""
    scale = 50 / 72
    left, bottom, right, top = box_pt
    crop = image.crop(
        (
            round(left * scale),
            round((A4_HEIGHT_PT - top) * scale),
            round(right * scale),
            round((A4_HEIGHT_PT - bottom) * scale),
        )
    )
    data = crop.tobytes()
    return sum(
        1
        for i in range(0, len(data), 3)
        if data[i] > 150 and data[i + 1] < 110 and data[i + 2] < 110
    )


def test_the_printed_page_shows_the_red_seal_where_it_belongs(
    sealed: bytes, certificate: pdfdoc.CertificatePdf, tmp_path: Path
) -> None:
    position = certificate.seal_position
    radius = 21 * 72 / 25.4
    around_seal = (
        position.x - radius,
        position.y - radius,
        position.x + radius,
        position.y + radius,
    )
    blank_corner = (40.0, 40.0, 240.0, 200.0)
    unsealed = _render(certificate.pdf, tmp_path / "before")
    assert _red_pixels(unsealed, around_seal) == 0

    page = _render(sealed, tmp_path / "after")
    assert _red_pixels(page, around_seal) > 300
    assert _red_pixels(page, blank_corner) == 0


# --- B-T: a timestamp from a local authority --------------------------------------------


@pytest.fixture(scope="module")
def timestamp_url(district: District) -> Iterator[str]:
    """A throwaway RFC 3161 authority on localhost, certified by the district root.

    RSA because pyHanko's stand-in authority signs only with RSA.
    """
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "崖州区时间戳服务")]))
        .issuer_name(district.root.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        .sign(district.key, hashes.SHA256())
    )
    authority = DummyTimeStamper(
        tsa_cert=asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER)),
        tsa_key=asn1_keys.PrivateKeyInfo.load(
            key.private_bytes(
                serialization.Encoding.DER,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        ),
    )

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            request = tsp.TimeStampReq.load(self.rfile.read(int(self.headers["Content-Length"])))
            body = authority.request_tsa_response(request).dump()
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/tsa"
    server.shutdown()
    server.server_close()


def test_a_timestamped_seal_is_pades_b_t(
    certificate: pdfdoc.CertificatePdf,
    committee_signer: SoftwareSealSigner,
    district: District,
    timestamp_url: str,
) -> None:
    stamped = seal(
        certificate.pdf,
        committee_signer,
        certificate.seal_position,
        timestamp_url=timestamp_url,
    )
    result = _verify(stamped, district)
    assert result.ok
    [report] = result.signatures
    assert report.timestamped
    assert report.signing_time is not None


def test_a_seal_near_the_bottom_edge_keeps_its_qr_code_on_the_page(
    certificate: pdfdoc.CertificatePdf,
    committee_signer: SoftwareSealSigner,
    district: District,
) -> None:
    low = pdfdoc.SealPosition(page=0, x=400, y=80)
    sealed_low = seal(certificate.pdf, committee_signer, low)
    assert _verify(sealed_low, district).ok
    reader = PdfFileReader(io.BytesIO(sealed_low), strict=False)
    left, bottom, right, _top = (float(v) for v in reader.embedded_signatures[0].sig_field["/Rect"])
    assert bottom >= 0
    assert left >= 0
    assert right == pytest.approx(400 + 21 * 72 / 25.4, abs=0.1)
