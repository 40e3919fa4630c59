"""Approved requests ready to seal: a certificate matter built from its template, a
contract with an uploaded PDF, and a joint-seal matter; electronic seals for 水南村's
committee and collective; a trust store for poppler's ``pdfsig``."""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from conftest import World
from zhiyin.approvals.models import SealRequest
from zhiyin.approvals.services import (
    document_view_record,
    seal_request_approve,
    seal_request_create,
    seal_request_submit,
    seal_request_update,
)
from zhiyin.catalog.models import Matter, MatterCategory, MatterTier
from zhiyin.sealing.services import certificate_document_build
from zhiyin.seals.models import DistrictCA, Seal, SealKind
from zhiyin.seals.services import electronic_seal_issue, seal_register
from zhiyin.tests.factories import SECRETARY_ONLY, chain_make


@pytest.fixture(autouse=True)
def _media_in_tmp(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.PUBLIC_BASE_URL = "https://zhiyin.example.gov.cn"


@dataclass
class Sealing:
    world: World
    certificate_matter: Matter
    contract_matter: Matter
    joint_matter: Matter
    collective_seal: Seal


@pytest.fixture
def sealing(world: World) -> Sealing:
    chain, _ = chain_make(world.district, "书记审批", SECRETARY_ONLY)
    common: dict[str, Any] = {
        "district": world.district,
        "legal_basis": "《村民委员会组织法》",
        "seal_kinds": [SealKind.COMMITTEE, SealKind.COLLECTIVE],
        "owner_levels": ["village", "collective"],
        "chain": chain,
    }
    certificate_matter = Matter.objects.create(
        code="ZM-101",
        name="居住证明",
        category=MatterCategory.CERTIFICATE,
        tier=MatterTier.DIRECTOR_SIGNS,
        **common,
    )
    contract_matter = Matter.objects.create(
        code="HT-201",
        name="土地承包经营权流转合同",
        category=MatterCategory.CONTRACT,
        tier=MatterTier.DIRECTOR_SIGNS,
        **common,
    )
    joint_matter = Matter.objects.create(
        code="CW-301",
        name="集体收益支出审批",
        category=MatterCategory.FINANCE,
        tier=MatterTier.JOINT_SEAL,
        **common,
    )
    collective_seal = seal_register(
        village=world.shuinan,
        kind=SealKind.COLLECTIVE,
        collective=world.sn_collective,
        code="SN-JJ",
        by=None,
        is_electronic=True,
    )
    electronic_seal_issue(seal=world.sn_committee_seal, by=world.sn_admin)
    electronic_seal_issue(seal=collective_seal, by=world.sn_admin)
    return Sealing(
        world=world,
        certificate_matter=certificate_matter,
        contract_matter=contract_matter,
        joint_matter=joint_matter,
        collective_seal=collective_seal,
    )


def pdf_document(text: str = "Contract") -> bytes:
    import io

    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    page = canvas.Canvas(buffer)
    page.drawString(100, 750, text)
    page.showPage()
    page.save()
    return buffer.getvalue()


def approved_request(
    sealing: Sealing,
    matter: Matter | None = None,
    *,
    documents: Sequence[bytes] = (),
    approve: bool = True,
) -> SealRequest:
    """A request raised by the clerk and approved by the secretary; a certificate
    matter's document is built from its template, as the portal does."""
    world = sealing.world
    matter = matter or sealing.certificate_matter
    request = seal_request_create(
        by=world.sn_clerk,
        village=world.shuinan,
        matter=matter,
        seal=world.sn_committee_seal,
        stamp_count=1,
        place_of_use="村委会",
        purpose="阿梅在本村居住满五年",
        on_behalf_of=world.sn_resident,
        group=world.sn_group1,
    )
    if not documents:
        documents = [certificate_document_build(request=request)]
    seal_request_update(
        request=request,
        by=world.sn_clerk,
        matter=matter,
        seal=world.sn_committee_seal,
        stamp_count=1,
        place_of_use="村委会",
        purpose=request.purpose,
        on_behalf_of=world.sn_resident,
        group=world.sn_group1,
        documents=[
            SimpleUploadedFile(f"文件{i}.pdf", data, content_type="application/pdf")
            for i, data in enumerate(documents, start=1)
        ],
    )
    request = seal_request_submit(request=request, by=world.sn_clerk)
    if approve:
        for document in request.documents.all():
            document_view_record(document=document, by=world.sn_secretary)
        request = seal_request_approve(request=request, by=world.sn_secretary)
    request.refresh_from_db()
    return request


@pytest.fixture
def nss_db(tmp_path: Path, sealing: Sealing) -> str:
    """An NSS database trusting the district root with the email flag (``C,C,``)."""
    directory = tmp_path / "nss"
    directory.mkdir()
    root = directory / "root.pem"
    root.write_text(DistrictCA.objects.get(district=sealing.world.district).certificate_pem)
    nss = f"sql:{directory}"
    subprocess.run(["certutil", "-N", "--empty-password", "-d", nss], check=True)
    subprocess.run(
        ["certutil", "-A", "-n", "district", "-t", "C,C,", "-i", str(root), "-d", nss],
        check=True,
    )
    return nss


def pdfsig(nss: str, pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "checked.pdf"
    path.write_bytes(pdf)
    return subprocess.run(
        ["pdfsig", "-nssdir", nss, str(path)], capture_output=True, text=True, check=False
    ).stdout
