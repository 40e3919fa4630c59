"""Approvers read the documents as page images on the request page: scoped like the
document, rendered once per content, and scrolling to the last page counts as viewing."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from conftest import World, client_for
from zhiyin.approvals.models import DocumentView, RequestStatus, SealRequest
from zhiyin.approvals.services import seal_request_create, seal_request_submit
from zhiyin.approvals.tests.conftest import Catalog, png_bytes
from zhiyin.orgs.templatetags.timeleft import time_left_text

pytestmark = pytest.mark.django_db


def two_page_pdf() -> bytes:
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer)
    for text in ("page one", "page two"):
        pdf.drawString(100, 750, text)
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def submitted(world: World, catalog: Catalog, *files: SimpleUploadedFile) -> SealRequest:
    request = seal_request_create(
        by=world.sn_clerk,
        village=world.shuinan,
        matter=catalog.matter,
        seal=world.sn_committee_seal,
        stamp_count=1,
        place_of_use="村委会",
        purpose="流转合同",
        group=world.sn_group1,
        documents=list(files),
    )
    return seal_request_submit(request=request, by=world.sn_clerk)


def page_url(request: SealRequest, page: int) -> str:
    document = request.documents.get()
    return reverse("seal_request_document_page", args=[request.pk, document.pk, page])


def approve(client: Any, request: SealRequest) -> None:
    client.post(reverse("seal_request_decide", args=[request.pk]), {"decision": "approve"})


def test_it_counts_the_document_as_viewed_only_when_the_last_page_was_shown(
    world: World, catalog: Catalog
) -> None:
    request = submitted(
        world, catalog, SimpleUploadedFile("合同.pdf", two_page_pdf(), "application/pdf")
    )
    leader = client_for(world.sn_leader1)
    detail = leader.get(reverse("seal_request_detail", args=[request.pk])).content.decode()
    assert page_url(request, 0) in detail and page_url(request, 1) in detail
    assert "共 2 页" in detail

    assert leader.get(page_url(request, 0)).status_code == 200
    approve(leader, request)
    assert SealRequest.objects.get(pk=request.pk).status == RequestStatus.SUBMITTED
    assert not DocumentView.objects.filter(person=world.sn_leader1).exists()

    last = leader.get(page_url(request, 1))
    assert last.status_code == 200 and last.content.startswith(b"\x89PNG")
    assert DocumentView.objects.filter(person=world.sn_leader1).count() == 1
    approve(leader, request)
    assert SealRequest.objects.get(pk=request.pk).status == RequestStatus.IN_APPROVAL


def test_a_revalidated_page_is_not_sent_again_but_still_counts(
    world: World, catalog: Catalog
) -> None:
    request = submitted(
        world, catalog, SimpleUploadedFile("合同.pdf", two_page_pdf(), "application/pdf")
    )
    leader = client_for(world.sn_leader1)
    first = leader.get(page_url(request, 1))
    assert first["Cache-Control"] == "private, no-cache"
    again = leader.get(page_url(request, 1), HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304 and not again.content
    assert DocumentView.objects.filter(person=world.sn_leader1).count() == 2


def test_it_renders_each_page_once_per_content(
    world: World, catalog: Catalog, settings: Any
) -> None:
    request = submitted(
        world, catalog, SimpleUploadedFile("合同.pdf", two_page_pdf(), "application/pdf")
    )
    document = request.documents.get()
    leader = client_for(world.sn_leader1)
    png = leader.get(page_url(request, 0)).content
    cached = Path(settings.MEDIA_ROOT) / "cache" / "pages" / document.sha256[:2] / document.sha256
    assert sorted(p.name for p in cached.iterdir()) == ["720-0.png", "pages.json"]
    (cached / "720-0.png").write_bytes(png + b"cached")  # served from the cache from now on
    assert leader.get(page_url(request, 0)).content == png + b"cached"


def test_it_rejects_cross_village_and_out_of_range_pages(world: World, catalog: Catalog) -> None:
    request = submitted(
        world, catalog, SimpleUploadedFile("合同.pdf", two_page_pdf(), "application/pdf")
    )
    assert client_for(world.bl_secretary).get(page_url(request, 0)).status_code == 404
    assert client_for(world.sn_leader1).get(page_url(request, 2)).status_code == 404
    assert client_for(None).get(page_url(request, 0)).status_code == 302


def test_a_photo_is_shown_as_itself_and_has_no_pages(world: World, catalog: Catalog) -> None:
    request = submitted(world, catalog, SimpleUploadedFile("照片.png", png_bytes(), "image/png"))
    leader = client_for(world.sn_leader1)
    document = request.documents.get()
    detail = leader.get(reverse("seal_request_detail", args=[request.pk])).content.decode()
    assert f'<img src="{reverse("seal_request_document", args=[request.pk, document.pk])}"' in (
        detail
    )
    assert leader.get(page_url(request, 0)).status_code == 404


def test_the_deadline_reads_as_time_left(world: World, catalog: Catalog) -> None:
    request = submitted(
        world, catalog, SimpleUploadedFile("合同.pdf", two_page_pdf(), "application/pdf")
    )
    step = request.steps.get(status="active")
    leader = client_for(world.sn_leader1)
    detail = leader.get(reverse("seal_request_detail", args=[request.pk])).content.decode()
    inbox = leader.get(reverse("inbox")).content.decode()
    expected = time_left_text(step.deadline)
    assert expected.startswith("还剩") and expected in detail and expected in inbox
