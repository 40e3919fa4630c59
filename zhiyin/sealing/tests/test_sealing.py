"""Sealing an approved request: who may, on which bytes, with which seals, and what the
sealed file looks like to verifiers Zhiyin did not write."""

from __future__ import annotations

import hashlib
import io
import subprocess
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from django.apps import apps
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from PIL import Image
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from zhiyin.approvals.models import RequestStatus
from zhiyin.audit.models import AuditEvent
from zhiyin.core.errors import RuleViolation
from zhiyin.lib import pdfdoc
from zhiyin.sealing.models import SealedDocument, SealingConfirmation
from zhiyin.sealing.services import DocumentMismatch, document_seal
from zhiyin.sealing.tests.conftest import Sealing, approved_request, pdf_document, pdfsig
from zhiyin.seals.models import DistrictCA
from zhiyin.seals.services import seal_suspend

pytestmark = pytest.mark.django_db


def test_it_seals_a_certificate_and_completes_the_request(sealing: Sealing) -> None:
    world = sealing.world
    request = approved_request(sealing)
    outcome = document_seal(
        request=request, seals=[world.sn_committee_seal], by=world.sn_custodian1
    )
    assert outcome.sealed
    [sealed] = outcome.documents
    request.refresh_from_db()
    assert request.status == RequestStatus.COMPLETED
    assert request.completed_by == world.sn_custodian1
    assert sealed.number == f"{request.number}-1"
    data = sealed.read_bytes()
    assert hashlib.sha256(data).hexdigest() == sealed.sha256
    assert sealed.organization_name == "水南村村民委员会"
    assert sealed.matter_name == "居住证明"
    assert AuditEvent.objects.filter(action="sealed_document.create").count() == 1
    assert AuditEvent.objects.filter(action="seal_request.complete").count() == 1


def test_pyhanko_validates_the_sealed_file_against_the_district_root(sealing: Sealing) -> None:
    from asn1crypto import x509 as asn1_x509

    world = sealing.world
    request = approved_request(sealing)
    [sealed] = document_seal(
        request=request, seals=[world.sn_committee_seal], by=world.sn_custodian1
    ).documents
    root_pem = DistrictCA.objects.get().certificate_pem.encode()
    root = asn1_x509.Certificate.load(
        x509.load_pem_x509_certificate(root_pem).public_bytes(serialization.Encoding.DER)
    )
    reader = PdfFileReader(io.BytesIO(sealed.read_bytes()), strict=False)
    [signature] = reader.embedded_signatures
    status = validate_pdf_signature(
        signature,
        signer_validation_context=ValidationContext(trust_roots=[root], allow_fetching=False),
    )
    assert status.intact and status.valid and status.trusted
    assert status.bottom_line


def test_pdfsig_reports_the_seal_valid_and_trusted(
    sealing: Sealing, nss_db: str, tmp_path: Path
) -> None:
    world = sealing.world
    request = approved_request(sealing)
    [sealed] = document_seal(
        request=request, seals=[world.sn_committee_seal], by=world.sn_custodian1
    ).documents
    report = pdfsig(nss_db, sealed.read_bytes(), tmp_path)
    assert "Signature Validation: Signature is Valid." in report
    assert "Certificate Validation: Certificate is Trusted." in report
    assert "水南村村民委员会" in report


def test_two_seals_are_two_incremental_signatures_each_verifiable(
    sealing: Sealing, nss_db: str, tmp_path: Path
) -> None:
    world = sealing.world
    request = approved_request(sealing)
    [sealed] = document_seal(
        request=request,
        seals=[sealing.collective_seal, world.sn_committee_seal],
        by=world.sn_custodian1,
    ).documents
    assert sealed.signatures == 2
    assert sealed.organization_name == "水南村村民委员会、水南村股份经济合作联合社"
    report = pdfsig(nss_db, sealed.read_bytes(), tmp_path)
    assert report.count("Signature Validation: Signature is Valid.") == 2
    assert report.count("Certificate Validation: Certificate is Trusted.") == 2
    assert "Signature #1" in report and "Signature #2" in report


def test_joint_seal_matters_wait_for_the_second_custodian(sealing: Sealing) -> None:
    world = sealing.world
    request = approved_request(sealing, sealing.joint_matter, documents=[pdf_document()])
    first = document_seal(request=request, seals=[world.sn_committee_seal], by=world.sn_custodian1)
    assert not first.sealed and (first.confirmations, first.needed) == (1, 2)
    request.refresh_from_db()
    assert request.status == RequestStatus.APPROVED
    again = document_seal(request=request, seals=[world.sn_committee_seal], by=world.sn_custodian1)
    assert not again.sealed and again.confirmations == 1
    second = document_seal(request=request, seals=[world.sn_committee_seal], by=world.sn_custodian2)
    assert second.sealed
    assert SealingConfirmation.objects.filter(request=request).count() == 2
    request.refresh_from_db()
    assert request.status == RequestStatus.COMPLETED


@pytest.mark.parametrize("who", ["sn_secretary", "sn_clerk", "bl_secretary", "sn_leader1"])
def test_only_a_custodian_of_the_village_may_seal(sealing: Sealing, who: str) -> None:
    request = approved_request(sealing)
    with pytest.raises(RuleViolation, match="只有本村的印章管理员可以盖章"):
        document_seal(
            request=request,
            seals=[sealing.world.sn_committee_seal],
            by=getattr(sealing.world, who),
        )
    assert not SealedDocument.objects.exists()


def test_a_custodian_who_approved_a_step_may_not_seal(sealing: Sealing) -> None:
    from zhiyin.approvals.services import document_view_record, seal_request_approve
    from zhiyin.catalog.models import ChainStep
    from zhiyin.orgs.models import Role
    from zhiyin.orgs.services import role_grant_create

    world = sealing.world
    # 符姐 holds the seal and also leads group 1, whose step she approves.
    role_grant_create(
        person=world.sn_custodian1, role=Role.GROUP_LEADER, group=world.sn_group1, by=None
    )
    ChainStep.objects.create(
        chain=sealing.contract_matter.chain,
        position=2,
        name="小组长审核",
        role=Role.GROUP_LEADER,
        scope_level="group",
        time_limit=1,
        time_unit="days",
    )
    request = approved_request(sealing, sealing.contract_matter, documents=[pdf_document()])
    assert request.status == RequestStatus.IN_APPROVAL
    for document in request.documents.all():
        document_view_record(document=document, by=world.sn_custodian1)
    request = seal_request_approve(request=request, by=world.sn_custodian1)
    assert request.status == RequestStatus.APPROVED
    with pytest.raises(RuleViolation, match="审用分离"):
        document_seal(request=request, seals=[world.sn_committee_seal], by=world.sn_custodian1)
    assert not SealedDocument.objects.exists()
    assert not SealingConfirmation.objects.exists()
    assert document_seal(
        request=request, seals=[world.sn_committee_seal], by=world.sn_custodian2
    ).sealed


def test_a_custodians_own_confirmation_step_does_not_bar_them_from_sealing(
    sealing: Sealing,
) -> None:
    from zhiyin.approvals.services import document_view_record, seal_request_approve
    from zhiyin.catalog.models import ChainStep
    from zhiyin.orgs.models import Role

    world = sealing.world
    ChainStep.objects.create(
        chain=sealing.contract_matter.chain,
        position=2,
        name="印章管理员核实",
        role=Role.CUSTODIAN,
        scope_level="village",
        time_limit=1,
        time_unit="days",
    )
    request = approved_request(sealing, sealing.contract_matter, documents=[pdf_document()])
    for document in request.documents.all():
        document_view_record(document=document, by=world.sn_custodian1)
    request = seal_request_approve(request=request, by=world.sn_custodian1)
    assert document_seal(
        request=request, seals=[world.sn_committee_seal], by=world.sn_custodian1
    ).sealed


def test_the_applicant_may_not_seal_their_own_request(sealing: Sealing) -> None:
    from zhiyin.approvals.services import seal_request_create

    world = sealing.world
    # A custodian may raise a request for a resident; they must not then seal it.
    request = seal_request_create(
        by=world.sn_custodian1,
        village=world.shuinan,
        matter=sealing.contract_matter,
        seal=world.sn_committee_seal,
        stamp_count=1,
        place_of_use="村委会",
        purpose="流转合同",
        group=world.sn_group1,
        documents=[SimpleUploadedFile("合同.pdf", pdf_document(), content_type="application/pdf")],
    )
    from zhiyin.approvals.services import (
        document_view_record,
        seal_request_approve,
        seal_request_submit,
    )

    seal_request_submit(request=request, by=world.sn_custodian1)
    for document in request.documents.all():
        document_view_record(document=document, by=world.sn_secretary)
    seal_request_approve(request=request, by=world.sn_secretary)
    request.refresh_from_db()
    with pytest.raises(RuleViolation, match="申请人不能为自己的申请盖章"):
        document_seal(request=request, seals=[world.sn_committee_seal], by=world.sn_custodian1)
    assert not SealedDocument.objects.exists()


def test_a_request_not_yet_approved_is_refused(sealing: Sealing) -> None:
    request = approved_request(sealing, approve=False)
    with pytest.raises(RuleViolation, match="只有已批准的申请才能盖章"):
        document_seal(
            request=request, seals=[sealing.world.sn_committee_seal], by=sealing.world.sn_custodian1
        )
    assert not SealedDocument.objects.exists()


def test_a_document_changed_in_storage_is_refused(sealing: Sealing) -> None:
    request = approved_request(sealing)
    document = request.documents.get()
    path = Path(default_storage.path(document.file.name))
    data = bytearray(path.read_bytes())
    data[200] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(DocumentMismatch, match="SHA-256 不符"):
        document_seal(
            request=request, seals=[sealing.world.sn_committee_seal], by=sealing.world.sn_custodian1
        )
    request.refresh_from_db()
    assert request.status == RequestStatus.APPROVED
    assert not SealedDocument.objects.exists()


def test_seals_must_include_the_requested_one_and_be_usable(sealing: Sealing) -> None:
    world = sealing.world
    request = approved_request(sealing)
    with pytest.raises(RuleViolation, match="请至少选择一枚电子印章"):
        document_seal(request=request, seals=[], by=world.sn_custodian1)
    with pytest.raises(RuleViolation, match="必须包括申请的印章"):
        document_seal(request=request, seals=[sealing.collective_seal], by=world.sn_custodian1)
    with pytest.raises(RuleViolation, match="不是本村的印章"):
        document_seal(
            request=request,
            seals=[world.sn_committee_seal, world.bl_committee_seal],
            by=world.sn_custodian1,
        )
    seal_suspend(seal=sealing.collective_seal, reason="调查中", by=world.sn_admin)
    with pytest.raises(RuleViolation, match="暂停使用"):
        document_seal(
            request=request,
            seals=[world.sn_committee_seal, sealing.collective_seal],
            by=world.sn_custodian1,
        )
    assert not SealedDocument.objects.exists()


def _render(pdf: bytes, tmp_path: Path) -> Image.Image:
    tmp_path.mkdir(exist_ok=True)
    path = tmp_path / "page.pdf"
    path.write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-r", "50", "-png", "-singlefile", str(path), str(tmp_path / "page")],
        check=True,
    )
    return Image.open(tmp_path / "page.png").convert("RGB")


def _red_pixels(image: Image.Image, centre: tuple[float, float], radius_pt: float) -> int:
    scale = 50 / 72
    height_pt = image.height / scale
    x, y = centre
    crop = image.crop(
        (
            round((x - radius_pt) * scale),
            round((height_pt - y - radius_pt) * scale),
            round((x + radius_pt) * scale),
            round((height_pt - y + radius_pt) * scale),
        )
    )
    data = crop.tobytes()
    return sum(
        1
        for i in range(0, len(data), 3)
        if data[i] > 150 and data[i + 1] < 110 and data[i + 2] < 110
    )


def test_the_rendered_page_shows_the_seal_at_the_template_place(
    sealing: Sealing, tmp_path: Path
) -> None:
    world = sealing.world
    request = approved_request(sealing)
    source = request.documents.get().read_bytes()
    place = pdfdoc.seal_position_read(source)
    assert place is not None
    [sealed] = document_seal(
        request=request, seals=[world.sn_committee_seal], by=world.sn_custodian1
    ).documents
    radius = 21 * 72 / 25.4
    before = _render(source, tmp_path / "before")
    assert _red_pixels(before, (place.x, place.y), radius) == 0
    after = _render(sealed.read_bytes(), tmp_path / "after")
    assert _red_pixels(after, (place.x, place.y), radius) > 300
    assert _red_pixels(after, (100, 700), 40) == 0


def test_a_chosen_position_puts_the_seal_there(sealing: Sealing, tmp_path: Path) -> None:
    world = sealing.world
    request = approved_request(sealing, sealing.contract_matter, documents=[pdf_document()])
    chosen = pdfdoc.SealPosition(page=0, x=180.0, y=520.0)
    [sealed] = document_seal(
        request=request, seals=[world.sn_committee_seal], by=world.sn_custodian1, position=chosen
    ).documents
    page = _render(sealed.read_bytes(), tmp_path)
    assert _red_pixels(page, (180.0, 520.0), 50) > 300
    with pytest.raises(RuleViolation):
        document_seal(
            request=request,
            seals=[world.sn_committee_seal],
            by=world.sn_custodian2,
            position=pdfdoc.SealPosition(page=3, x=1, y=1),
        )


def _off_hours_window(start: str, end: str) -> None:
    """Set the off-hours rule's working window (oversight is read through the app
    registry: nothing imports it)."""
    rule = apps.get_model("oversight", "WarningRule").objects.get(code="off_hours_use")
    rule.parameters = {**rule.parameters, "start": start, "end": end, "rest_days": False}
    rule.save()


@pytest.mark.parametrize(
    ("window", "most"),
    [
        # Within working hours: lock and read the request, the custodian and 审用分离
        # checks, the seals with their certificates, the documents, the sealed row, two
        # audit events with the oversight rules listening to them, the notices closed,
        # the request completed, the applicant told.
        (("00:00", "23:59:59.999999"), 19),
        # Off hours the rule also raises a warning: its row, its audit event, the
        # village secretary told.
        (("00:00", "00:00"), 30),
    ],
    ids=["working-hours", "off-hours"],
)
def test_sealing_one_document_costs_a_bounded_number_of_queries(
    sealing: Sealing, window: tuple[str, str], most: int
) -> None:
    world = sealing.world
    _off_hours_window(*window)
    request = approved_request(sealing)
    with CaptureQueriesContext(connection) as queries:
        document_seal(request=request, seals=[world.sn_committee_seal], by=world.sn_custodian1)
    warned = apps.get_model("oversight", "Warning").objects.filter(request=request).exists()
    assert warned == (window[1] == "00:00")
    # The savepoint and its release (document_seal's own transaction, nested in the
    # test's) are two of them. PostgreSQL adds the log's advisory lock to each audit
    # append (two events, three with the warning).
    if connection.vendor == "postgresql":
        most += 2 if window[1] != "00:00" else 3
    assert len(queries.captured_queries) <= most, "\n".join(
        query["sql"][:120] for query in queries.captured_queries
    )
