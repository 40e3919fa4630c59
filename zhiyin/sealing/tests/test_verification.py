"""The public verification page and its JSON twin: a genuine sealed file, a one-byte
change, an update appended after sealing, a seal from a foreign root, a revoked seal and
an unknown number — each told apart, in plain Chinese, and by poppler where it can."""

from __future__ import annotations

import io
import json
from pathlib import Path
from urllib.parse import quote
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

from conftest import client_for
from zhiyin.lib import pades, pki, stamp
from zhiyin.lib.signer import SoftwareSealSigner
from zhiyin.sealing.models import SealedDocument
from zhiyin.sealing.services import document_seal
from zhiyin.sealing.tests.conftest import Sealing, approved_request, pdfsig
from zhiyin.seals.services import seal_suspend

pytestmark = pytest.mark.django_db


@pytest.fixture
def sealed(sealing: Sealing) -> SealedDocument:
    request = approved_request(sealing)
    [document] = document_seal(
        request=request, seals=[sealing.world.sn_committee_seal], by=sealing.world.sn_custodian1
    ).documents
    return document


def _upload_page(data: bytes, number: str = "") -> str:
    url = f"/verify/{number}/" if number else "/verify/"
    response = client_for(None).post(
        url, {"file": SimpleUploadedFile("文件.pdf", data, content_type="application/pdf")}
    )
    assert response.status_code == 200
    return response.content.decode()


def _upload_api(data: bytes) -> dict[str, object]:
    response = client_for(None).post("/api/verify/", {"file": SimpleUploadedFile("文件.pdf", data)})
    assert response.status_code == 200
    result: dict[str, object] = json.loads(response.content)
    return result


def _appended(data: bytes) -> bytes:
    writer = IncrementalPdfFileWriter(io.BytesIO(data), strict=False)
    patch = generic.StreamObject(stream_data=b"1 1 1 rg 60 300 300 80 re f")
    writer.add_stream_to_page(0, writer.add_object(patch))  # type: ignore[no-untyped-call]  # unannotated in pyHanko
    out = io.BytesIO()
    writer.write(out)  # type: ignore[no-untyped-call]  # unannotated in pyHanko
    return out.getvalue()


def test_the_qr_target_names_organization_matter_and_time_and_nothing_personal(
    sealed: SealedDocument,
) -> None:
    response = client_for(None).get(f"/verify/c/{sealed.verify_code}/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "真实有效" in page
    assert "水南村村民委员会" in page and "居住证明" in page and sealed.number in page
    # The applicant, the resident's ID number and the custodian stay off the public page.
    for private in ("小林", "符姐", "460205199001011238", "4602"):
        assert private not in page
    api = json.loads(client_for(None).get(f"/api/verify/code/{sealed.verify_code}").content)
    assert api["ok"] is True and api["status"] == "valid"
    assert api["document"]["organization"] == "水南村村民委员会"
    assert api["document"]["matter"] == "居住证明"


def test_an_uploaded_genuine_file_is_confirmed(sealed: SealedDocument) -> None:
    data = sealed.read_bytes()
    page = _upload_page(data)
    assert "真实有效" in page and sealed.number in page
    assert "真实有效" in _upload_page(data, sealed.number)
    assert _upload_api(data)["status"] == "valid"


def test_a_one_byte_change_is_reported_as_altered(
    sealed: SealedDocument, nss_db: str, tmp_path: Path
) -> None:
    data = sealed.read_bytes()
    at = data.index(b"ReportLab")
    tampered = data[:at] + b"X" + data[at + 1 :]
    page = _upload_page(tampered)
    assert "文件在盖章后被修改" in page and "文件内容在盖章后被改动" in page
    # The seal's certificate chain is fine: the page must not call the seal a fake.
    assert "不是由受信任的签发机构签发" not in page and "签发机构不受信任" not in page
    assert "真实有效" not in page
    assert _upload_api(tampered)["status"] == "altered"
    assert "Signature Validation: Digest Mismatch." in pdfsig(nss_db, tampered, tmp_path)


def test_an_update_appended_after_sealing_is_reported(
    sealed: SealedDocument, nss_db: str, tmp_path: Path
) -> None:
    appended = _appended(sealed.read_bytes())
    page = _upload_page(appended)
    assert "在盖章之后又被追加修改过" in page
    assert _upload_api(appended)["status"] == "appended"
    assert "Total document signed" not in pdfsig(nss_db, appended, tmp_path)
    assert "Total document signed" in pdfsig(nss_db, sealed.read_bytes(), tmp_path)


def test_a_seal_from_a_foreign_root_is_untrusted(
    sealing: Sealing, sealed: SealedDocument, nss_db: str, tmp_path: Path
) -> None:
    request = sealed.request
    source = sealed.source_document.read_bytes()
    foreign_key, foreign_root = pki.ca_create(district_name="儋州市")
    key, cert = pki.seal_cert_issue(
        ca_key=foreign_key,
        ca_cert=foreign_root,
        organization_name="水南村村民委员会",
        district_name="儋州市",
        crl_url="https://example.invalid/crl",
    )
    forged = pades.seal_pdf(
        source,
        signer=SoftwareSealSigner(key=key, certificate=cert, chain=[foreign_root]),
        stamp_png=stamp.stamp_render(name="水南村村民委员会"),
        page=0,
        x=400,
        y=400,
        size_mm=42,
        document_number=f"{request.number}-1",
        verify_url="https://example.invalid/v",
        field_name="Seal-1",
    )
    page = _upload_page(forged)
    assert "不是由本平台的区电子印章根证书签发的" in page
    assert _upload_api(forged)["status"] == "untrusted"
    poppler = pdfsig(nss_db, forged, tmp_path)
    assert "Signature Validation: Signature is Valid." in poppler
    assert "Certificate Validation: Certificate is Trusted." not in poppler


def test_a_file_from_a_revoked_seal_is_reported(sealing: Sealing, sealed: SealedDocument) -> None:
    seal_suspend(seal=sealing.world.sn_committee_seal, reason="印章丢失", by=sealing.world.sn_admin)
    by_number = client_for(None).get(f"/verify/c/{sealed.verify_code}/").content.decode()
    assert "印章证书已被注销" in by_number and "印章暂停使用" in by_number
    assert "盖章时证书尚未注销" in by_number
    assert sealed.number in by_number
    assert _upload_api(sealed.read_bytes())["status"] == "revoked"


def test_unknown_numbers_and_files_are_said_to_be_unknown(sealed: SealedDocument) -> None:
    response = client_for(None).get("/verify/SN-2026-999999-1/")
    assert response.status_code == 404
    assert "没有编号为“SN-2026-999999-1”的盖章文件" in response.content.decode()
    api = json.loads(client_for(None).get("/api/verify/SN-2026-999999-1").content)
    assert api["status"] == "unknown" and api["document"] is None
    # The number form redirects to the QR target.
    form = client_for(None).get("/verify/", {"number": sealed.number})
    assert form.status_code == 302
    assert form["Location"].endswith(f"/verify/{quote(sealed.number)}/")


def test_a_genuine_file_uploaded_under_another_number_is_not_that_document(
    sealed: SealedDocument,
) -> None:
    page = _upload_page(sealed.read_bytes(), "SN-2026-000001-9")
    assert f"上传的文件是编号 {sealed.number} 的盖章文件" in page


def test_bad_uploads_get_a_plain_message(sealed: SealedDocument) -> None:
    response = client_for(None).post(
        "/verify/", {"file": SimpleUploadedFile("x.pdf", b"hello", content_type="application/pdf")}
    )
    assert response.status_code == 400
    assert "这不是 PDF 文件" in response.content.decode()
    unsigned = sealed.source_document.read_bytes()
    assert "没有电子印章签名" in _upload_page(unsigned)
    broken = b"%PDF-1.7\n" + b"\x00" * 100
    assert _upload_api(broken)["status"] == "unreadable"


def test_a_sealed_file_with_active_content_is_named_not_called_valid(
    sealing: Sealing, sealed: SealedDocument
) -> None:
    """A file sealed by a genuine seal but carrying a script (one sealed before uploads
    were checked, or signed elsewhere with a stolen key) is never 真实有效."""
    from zhiyin.lib.pdfactive import active_content_find
    from zhiyin.lib.tests.active_pdfs import ACTIVE_SAMPLES
    from zhiyin.seals.keys import seal_signer

    assert not active_content_find(sealed.read_bytes()), "our own sealed files are clean"
    build, _kind = ACTIVE_SAMPLES["openaction_js"]
    scripted = pades.seal_pdf(
        build(),
        signer=seal_signer(sealing.world.sn_committee_seal.electronic_seals.get()),
        stamp_png=stamp.stamp_render(name="水南村村民委员会"),
        page=0,
        x=300,
        y=300,
        size_mm=42,
        document_number="SN-2026-000099-1",
        verify_url="https://example.invalid/v",
        field_name="Seal-x",
    )
    page = _upload_page(scripted)
    assert "含有可执行的主动内容" in page and "JavaScript 脚本" in page
    assert "真实有效" not in page
    assert _upload_api(scripted)["status"] == "active"


def test_a_number_alone_shows_only_that_it_exists(sealed: SealedDocument) -> None:
    """The probe's case: numbers are sequential, so /verify/<number>/ listed every sealed
    document's organization, matter and time. Now a number alone says only that such a
    document exists and how to see what the paper should say (the QR code or the file)."""
    response = client_for(None).get(f"/verify/{quote(sealed.number)}/")
    page = response.content.decode()
    assert response.status_code == 200 and "编号存在" in page and "二维码" in page
    for detail in ("居住证明", "真实有效", "水南村村民委员会", "盖章日期", "page-1.png"):
        assert detail not in page
    assert 'class="fields"' not in page
    api = json.loads(client_for(None).get(f"/api/verify/{sealed.number}").content)
    assert api["status"] == "exists" and api["document"] is None and api["seals"] == []
    assert api["paper"] is None
    assert "水南村" not in json.dumps(api, ensure_ascii=False)


def test_the_qr_code_is_unguessable_and_a_wrong_one_opens_nothing(
    sealed: SealedDocument,
) -> None:
    from zhiyin.sealing.services import sealed_delivery_payload

    code = sealed.verify_code or ""
    assert len(code) >= 22 and sealed.number not in code
    assert sealed_delivery_payload(sealed.request, sealed)["sealed_document"][
        "verify_url"
    ].endswith(f"/verify/c/{code}/")
    wrong = code[:-1] + ("A" if code[-1] != "A" else "B")
    response = client_for(None).get(f"/verify/c/{wrong}/")
    assert response.status_code == 404 and "水南村" not in response.content.decode()
    assert client_for(None).get(f"/api/verify/code/{wrong}").status_code == 404


def test_a_valid_document_shows_what_the_paper_says_and_page_one(sealed: SealedDocument) -> None:
    thumbnail = f"/verify/c/{sealed.verify_code}/page-1.png"
    for page in (
        client_for(None).get(f"/verify/c/{sealed.verify_code}/").content.decode(),
        _upload_page(sealed.read_bytes()),
    ):
        for label, value in [
            ("盖章单位", "水南村村民委员会"),
            ("事项", "居住证明"),
            ("文件编号", sealed.number),
            ("盖章日期", sealed.sealed_at.astimezone(ZoneInfo("Asia/Shanghai")).date().isoformat()),
        ]:
            assert f"<th>{label}</th><td>{value}</td>" in page
        assert f'src="{thumbnail}"' in page
    image = client_for(None).get(thumbnail)
    assert image.status_code == 200 and image.content.startswith(b"\x89PNG")
    assert client_for(None).get("/verify/c/not-a-code/page-1.png").status_code == 404


def test_the_api_says_what_the_paper_should_say_by_code_and_by_file_only(
    sealed: SealedDocument,
) -> None:
    """The JSON twin of 纸面上应印有: the same four lines and page 1's picture for the QR
    code's secret or the file itself; a number typed by hand, an unknown code or an
    altered file get none of it."""
    date = sealed.sealed_at.astimezone(ZoneInfo("Asia/Shanghai")).date().isoformat()
    expected = {
        "organization": "水南村村民委员会",
        "matter": sealed.matter_name,
        "number": sealed.number,
        "date": date,
        "thumbnail_url": f"http://testserver/verify/c/{sealed.verify_code}/page-1.png",
    }
    assert "居住证明" in sealed.matter_name
    by_code = json.loads(client_for(None).get(f"/api/verify/code/{sealed.verify_code}").content)
    assert by_code["status"] == "valid" and by_code["paper"] == expected
    assert _upload_api(sealed.read_bytes())["paper"] == expected

    by_number = json.loads(client_for(None).get(f"/api/verify/{sealed.number}").content)
    assert by_number["status"] == "exists" and by_number["paper"] is None
    wrong = (sealed.verify_code or "")[:-1] + (
        "A" if (sealed.verify_code or "")[-1:] != "A" else "B"
    )
    unknown = client_for(None).get(f"/api/verify/code/{wrong}")
    assert unknown.status_code == 404 and json.loads(unknown.content)["paper"] is None
    flipped = bytearray(sealed.read_bytes())
    flipped[len(flipped) // 2] ^= 0x01
    altered = _upload_api(bytes(flipped))
    assert altered["status"] != "valid" and altered["paper"] is None
