"""The custodian's sealing page, the page preview, downloads and the export command:
each checked for anonymous, wrong role, right role in another village, right role."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from pyhanko.pdf_utils.reader import PdfFileReader

from conftest import client_for
from zhiyin.approvals.models import RequestStatus
from zhiyin.audit.models import AuditEvent
from zhiyin.core.errors import RuleViolation
from zhiyin.lib import pdfdoc
from zhiyin.sealing import preview
from zhiyin.sealing.models import SealedDocument
from zhiyin.sealing.preview import PREVIEW_WIDTH_PX
from zhiyin.sealing.services import certificate_document_build, document_seal
from zhiyin.sealing.tests.conftest import Sealing, approved_request, pdf_document

pytestmark = pytest.mark.django_db


def test_the_sealing_page_is_for_the_village_custodians_only(sealing: Sealing) -> None:
    world = sealing.world
    request = approved_request(sealing)
    url = f"/sealing/requests/{request.pk}/"
    assert client_for(None).get(url).status_code == 302
    assert client_for(world.bl_secretary).get(url).status_code == 404
    assert client_for(world.bl_admin).get(url).status_code == 404
    assert client_for(world.sn_secretary).get(url).status_code == 403
    assert client_for(world.sn_clerk).get(url).status_code == 403
    assert client_for(world.inspector).get(url).status_code == 403
    page = client_for(world.sn_custodian1).get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'type="image"' in html and "确认在此盖章" in html
    document = request.documents.get()
    preview = f"/sealing/requests/{request.pk}/documents/{document.pk}/pages/0.png"
    assert preview in html
    assert client_for(None).get(preview).status_code == 302
    assert client_for(world.bl_secretary).get(preview).status_code == 404
    assert client_for(world.sn_secretary).get(preview).status_code == 403
    image = client_for(world.sn_custodian1).get(preview)
    assert image.status_code == 200 and image.content.startswith(b"\x89PNG")
    assert client_for(world.sn_custodian1).get(preview.replace("0.png", "7.png")).status_code == 404


def test_a_tap_only_places_the_outline_and_the_confirmation_seals_there(sealing: Sealing) -> None:
    world = sealing.world
    request = approved_request(sealing, sealing.contract_matter, documents=[pdf_document()])
    document = request.documents.get()
    url = f"/sealing/requests/{request.pk}/"
    custodian = client_for(world.sn_custodian1)
    # The tap (the image button of the GET form) shows the outline there, seals nothing.
    placed = custodian.get(url, {"document": document.pk, "page": 0, "at.x": 100, "at.y": 200})
    html = placed.content.decode()
    radius = round(42 * 72 / 25.4 / 2 * PREVIEW_WIDTH_PX / 595.28)
    assert f'<circle cx="100" cy="200" r="{radius}"/>' in html
    assert 'name="at_x" value="100"' in html and 'name="at_y" value="200"' in html
    assert not SealedDocument.objects.exists()

    # A confirmation without a place is refused and seals nothing.
    refused = custodian.post(url, {"seals": [world.sn_committee_seal.pk]})
    assert "请先在页面上点选盖章位置" in refused.content.decode()
    assert not SealedDocument.objects.exists()

    response = custodian.post(
        url,
        {
            "seals": [world.sn_committee_seal.pk],
            "document": document.pk,
            "page": 0,
            "at_x": 100,
            "at_y": 200,
            "confirm": "1",
        },
    )
    assert response.status_code == 302
    sealed = SealedDocument.objects.get(request=request)

    [signature] = PdfFileReader(io.BytesIO(sealed.read_bytes()), strict=False).embedded_signatures
    left, _bottom, right, top = (float(v) for v in signature.sig_field["/Rect"])
    scale = 595.28 / PREVIEW_WIDTH_PX
    # The seal (the widget's top part, 42 mm wide) is centred on the outline.
    assert abs((left + right) / 2 - 100 * scale) < 1
    seal_pt = 42 * 72 / 25.4
    assert abs(top - seal_pt / 2 - (842 - 200 * scale)) < 2


def test_the_result_shows_the_sealed_page_and_no_red_line(sealing: Sealing) -> None:
    world = sealing.world
    request = approved_request(sealing)
    [sealed] = document_seal(
        request=request, seals=[world.sn_committee_seal], by=world.sn_custodian1
    ).documents
    html = client_for(world.sn_custodian1).get(f"/sealing/requests/{request.pk}/").content.decode()
    page_url = f"/sealing/documents/{sealed.pk}/pages/0.png"
    assert f'<img src="{page_url}"' in html
    assert "该申请已用印" not in html and "确认在此盖章" not in html
    image = client_for(world.sn_custodian1).get(page_url)
    assert image.status_code == 200 and image.content.startswith(b"\x89PNG")
    # Scoped like the sealed file's download.
    assert client_for(world.sn_resident).get(page_url).status_code == 200
    for outsider in (world.bl_secretary, world.sn_leader2, world.officer):
        assert client_for(outsider).get(page_url).status_code == 404


def test_a_certificate_starts_the_outline_on_its_signature_block(sealing: Sealing) -> None:
    world = sealing.world
    request = approved_request(sealing)
    document = request.documents.get()
    pdf = document.read_bytes()
    default = pdfdoc.seal_position_read(pdf)
    assert default is not None
    x, y = preview.position_to_click(pdf, default)
    html = client_for(world.sn_custodian1).get(f"/sealing/requests/{request.pk}/").content.decode()
    assert f'<circle cx="{x}" cy="{y}"' in html and "默认位置" in html


def test_the_page_shows_the_refusal_to_an_approver_and_changes_nothing(
    sealing: Sealing,
) -> None:
    world = sealing.world
    request = approved_request(sealing, approve=False)
    url = f"/sealing/requests/{request.pk}/"
    page = client_for(world.sn_custodian1).get(url).content.decode()
    assert "只有已批准的申请才能盖章" in page
    response = client_for(world.sn_custodian1).post(url, {"seals": [world.sn_committee_seal.pk]})
    assert response.status_code == 200
    assert "只有已批准的申请才能盖章" in response.content.decode()
    assert not SealedDocument.objects.exists()


def test_joint_seal_confirmation_from_the_page(sealing: Sealing) -> None:
    world = sealing.world
    request = approved_request(sealing, sealing.joint_matter, documents=[pdf_document()])
    url = f"/sealing/requests/{request.pk}/"
    data = {"seals": [world.sn_committee_seal.pk], "at_x": "200", "at_y": "300"}
    client_for(world.sn_custodian1).post(url, data)
    page = client_for(world.sn_custodian1).get(url).content.decode()
    assert "已确认的印章管理员" in page and "符姐" in page
    assert not SealedDocument.objects.exists()
    client_for(world.sn_custodian2).post(url, data)
    request.refresh_from_db()
    assert request.status == RequestStatus.COMPLETED


def test_downloads_are_for_the_entitled_and_each_is_recorded(sealing: Sealing) -> None:
    world = sealing.world
    request = approved_request(sealing)
    [sealed] = document_seal(
        request=request, seals=[world.sn_committee_seal], by=world.sn_custodian1
    ).documents
    url = f"/sealing/documents/{sealed.pk}/download/"
    assert client_for(None).get(url).status_code == 302
    for outsider in (world.bl_secretary, world.bl_admin, world.sn_leader2, world.officer):
        assert client_for(outsider).get(url).status_code == 404
    for entitled in (
        world.sn_clerk,  # the applicant
        world.sn_resident,  # the resident the certificate is for
        world.sn_custodian2,
        world.sn_secretary,
        world.inspector,
    ):
        response = client_for(entitled).get(url)
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == sealed.read_bytes()  # type: ignore[attr-defined]  # FileResponse streams
    events = AuditEvent.objects.filter(action="sealed_document.download")
    assert events.count() == 5
    assert set(events.values_list("actor_id", flat=True)) == {
        world.sn_clerk.pk,
        world.sn_resident.pk,
        world.sn_custodian2.pk,
        world.sn_secretary.pk,
        world.inspector.pk,
    }


def test_export_document_writes_the_sealed_file(sealing: Sealing, tmp_path: Path) -> None:
    world = sealing.world
    request = approved_request(sealing)
    [sealed] = document_seal(
        request=request, seals=[world.sn_committee_seal], by=world.sn_custodian1
    ).documents
    out = tmp_path / "out.pdf"
    call_command("export_document", sealed.number, "--out", str(out))
    assert out.read_bytes() == sealed.read_bytes()
    with pytest.raises(CommandError, match="No sealed document"):
        call_command("export_document", "nope", "--out", str(out))


def test_certificate_documents_come_only_from_certificate_matters(sealing: Sealing) -> None:
    request = approved_request(sealing, sealing.contract_matter, documents=[pdf_document()])
    with pytest.raises(RuleViolation, match="只有证明类事项"):
        certificate_document_build(request=request)
    certificate = approved_request(sealing)
    text = certificate_document_build(request=certificate)
    assert text.startswith(b"%PDF")


def test_the_demo_seals_certificates_once(sealing: Sealing) -> None:
    from zhiyin.sealing.demo import sealing_demo_load

    assert sealing_demo_load() == 1  # the one resident of 水南村 in the test world
    document = SealedDocument.objects.get()
    assert document.matter_name == "居住证明"
    assert document.request.status == RequestStatus.COMPLETED
    page = client_for(None).get(f"/verify/c/{document.verify_code}/").content.decode()
    assert "真实有效" in page
    assert sealing_demo_load() == 0


def test_the_admin_lists_sealed_documents_and_certificates_in_scope_read_only(
    sealing: Sealing,
) -> None:
    world = sealing.world
    request = approved_request(sealing)
    document_seal(request=request, seals=[world.sn_committee_seal], by=world.sn_custodian1)
    sealed = SealedDocument.objects.get()
    mine = client_for(world.sn_admin).get("/admin/sealing/sealeddocument/")
    assert mine.status_code == 200 and sealed.number in mine.content.decode()
    other = client_for(world.bl_admin).get("/admin/sealing/sealeddocument/")
    assert sealed.number not in other.content.decode()
    certificates = client_for(world.sn_admin).get("/admin/seals/electronicseal/")
    assert certificates.status_code == 200
    assert "key_blob" not in certificates.content.decode()
    assert client_for(world.sn_custodian1).get("/admin/sealing/sealeddocument/").status_code in (
        302,
        403,
    )
