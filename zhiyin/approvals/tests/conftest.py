"""Fixtures for the approvals tests: a chain group leader → secretary (→ two custodians
for joint seals), matters that use it, real PDF and image bytes, and a helper that makes
a request the way a clerk does."""

from __future__ import annotations

import io
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import close_old_connections, connection

from conftest import World
from zhiyin.approvals.models import SealRequest
from zhiyin.approvals.services import document_view_record, seal_request_create
from zhiyin.catalog.models import (
    ApprovalChain,
    Matter,
    MatterCategory,
    MatterTier,
    NegativeListItem,
)
from zhiyin.orgs.models import Person
from zhiyin.tests.factories import (
    LEADER_THEN_SECRETARY,
    SECRETARY_THEN_TWO_CUSTODIANS,
    chain_make,
)


@pytest.fixture(autouse=True)
def _media_in_tmp(settings: Any, tmp_path: Any) -> None:
    """Uploaded files go to a fresh folder per test, never to the project's var/."""
    settings.MEDIA_ROOT = str(tmp_path / "media")


@cache
def pdf_bytes(text: str = "Zhiyin test document") -> bytes:
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    page = canvas.Canvas(buffer)
    page.drawString(100, 750, text)
    page.showPage()
    page.save()
    return buffer.getvalue()


@cache
def png_bytes() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (20, 20), (200, 0, 0)).save(buffer, format="PNG")
    return buffer.getvalue()


def pdf_upload(name: str = "证明.pdf", text: str = "Zhiyin test document") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, pdf_bytes(text), content_type="application/pdf")


@dataclass
class Catalog:
    chain: ApprovalChain
    joint_chain: ApprovalChain
    direct_chain: ApprovalChain
    matter: Matter
    joint_matter: Matter
    direct_matter: Matter
    negative_item: NegativeListItem


@pytest.fixture
def catalog(world: World) -> Catalog:
    district = world.district
    chain, _steps = chain_make(district, "小组长-书记", LEADER_THEN_SECRETARY)
    joint_chain, _steps = chain_make(district, "书记-双管理员", SECRETARY_THEN_TWO_CUSTODIANS)
    direct_chain, _steps = chain_make(district, "直接用印")
    common: dict[str, Any] = {
        "district": district,
        "legal_basis": "《村民委员会组织法》第二十三条",
        "seal_kinds": ["committee", "group"],
        "owner_levels": ["village", "group"],
    }
    matter = Matter.objects.create(
        code="ZM-001",
        name="土地承包经营权流转合同",
        category=MatterCategory.CONTRACT,
        tier=MatterTier.DIRECTOR_SIGNS,
        chain=chain,
        **common,
    )
    joint_matter = Matter.objects.create(
        code="ZM-002",
        name="集体资产出租合同",
        category=MatterCategory.CONTRACT,
        tier=MatterTier.JOINT_SEAL,
        chain=joint_chain,
        **common,
    )
    direct_matter = Matter.objects.create(
        code="ZM-003",
        name="村民培训报名表",
        category=MatterCategory.OTHER,
        tier=MatterTier.CUSTODIAN_DIRECT,
        chain=direct_chain,
        **common,
    )
    negative_item = NegativeListItem.objects.create(
        name="亲属关系证明",
        aliases=["亲属证明"],
        reason="公安机关可查询户籍信息。",
        where_instead="到派出所或通过户籍信息查询办理。",
    )
    return Catalog(
        chain=chain,
        joint_chain=joint_chain,
        direct_chain=direct_chain,
        matter=matter,
        joint_matter=joint_matter,
        direct_matter=direct_matter,
        negative_item=negative_item,
    )


def request_make(
    world: World,
    matter: Matter,
    *,
    by: Person | None = None,
    purpose: str = "与承包户签订流转合同",
    documents: int = 1,
    **extra: Any,
) -> SealRequest:
    return seal_request_create(
        by=by or world.sn_clerk,
        village=world.shuinan,
        matter=matter,
        seal=extra.pop("seal", world.sn_committee_seal),
        stamp_count=extra.pop("stamp_count", 2),
        place_of_use=extra.pop("place_of_use", "村委会"),
        purpose=purpose,
        group=extra.pop("group", world.sn_group1),
        documents=[pdf_upload(f"合同{i}.pdf", f"doc {i}") for i in range(documents)],
        **extra,
    )


def view_documents(request: SealRequest, person: Person) -> None:
    for document in request.documents.filter(superseded_at__isnull=True):
        document_view_record(document=document, by=person)


def run_concurrently(calls: list[Callable[[], Any]]) -> list[Any]:
    """Run each call in its own thread and connection, released at the same instant.

    Returns each call's result or the exception it raised. The test database is a real
    file (PostgreSQL, or SQLite with BEGIN IMMEDIATE and a busy timeout), so a second
    writer waits for the first, as it would in production.
    """
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def worker(index: int, call: Callable[[], Any]) -> None:
        barrier.wait()
        try:
            results[index] = call()
        except Exception as exc:  # the test inspects what each call raised
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    close_old_connections()
    return results
