"""The outside probe's upload findings, each reproduced and refused: PDFs with active
content (page, API, portal), decompression bombs, and files left behind by a refused
upload; plus the sweep that removes what a crash leaves."""

from __future__ import annotations

import hashlib
import io
import json
import os
import time
from pathlib import Path
from typing import Any

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from conftest import World, client_for
from zhiyin.approvals.files import uploads_sweep
from zhiyin.approvals.models import RequestDocument, SealRequest
from zhiyin.approvals.services import seal_request_create
from zhiyin.approvals.tests.conftest import Catalog, pdf_bytes, pdf_upload
from zhiyin.core.errors import RuleViolation
from zhiyin.lib.tests.active_pdfs import ACTIVE_SAMPLES
from zhiyin.orgs.tokens import api_token_create

pytestmark = pytest.mark.django_db


def _form(catalog: Catalog, world: World, **files: Any) -> dict[str, Any]:
    return {
        "matter": catalog.matter.pk,
        "seal": world.sn_committee_seal.pk,
        "stamp_count": 1,
        "place_of_use": "村委会",
        "purpose": "签订合同",
        "group": world.sn_group1.pk,
        **files,
    }


def _stored_files(settings: Any) -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def png_of(width: int, height: int) -> bytes:
    """A real PNG of the given size; one colour, so 200 megapixels compress to a few KB."""
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            len(body).to_bytes(4, "big") + kind + body + zlib.crc32(kind + body).to_bytes(4, "big")
        )

    row = b"\x00" + b"\x00" * width  # filter byte + one grey byte per pixel
    raw = zlib.compressobj(9)
    body = b"".join(raw.compress(row) for _ in range(height)) + raw.flush()
    header = width.to_bytes(4, "big") + height.to_bytes(4, "big") + b"\x08\x00\x00\x00\x00"
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b"")
    )


@pytest.fixture(scope="module")
def bomb_png() -> bytes:
    return png_of(20_000, 10_000)  # 200 megapixels


@pytest.mark.parametrize("sample", sorted(ACTIVE_SAMPLES))
def test_the_create_page_refuses_a_pdf_with_active_content(
    world: World, catalog: Catalog, settings: Any, sample: str
) -> None:
    build, _kind = ACTIVE_SAMPLES[sample]
    response = client_for(world.sn_clerk).post(
        reverse("seal_request_create"),
        _form(catalog, world, documents=[SimpleUploadedFile("合同.pdf", build())]),
    )
    assert response.status_code == 200
    assert "盖章文件不能带有" in response.content.decode()
    assert not SealRequest.objects.exists()
    assert _stored_files(settings) == []


def test_the_api_refuses_a_pdf_with_javascript_with_a_chinese_message(
    world: World, catalog: Catalog
) -> None:
    build, _kind = ACTIVE_SAMPLES["openaction_js"]
    token = api_token_create(person=world.sn_clerk, name="对接系统", by=world.sn_clerk)[1]
    response = Client().post(
        "/api/requests/",
        {
            "matter_id": catalog.matter.pk,
            "seal_id": world.sn_committee_seal.pk,
            "place_of_use": "村委会",
            "purpose": "签订合同",
            "documents": [SimpleUploadedFile("合同.pdf", build())],
        },
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code in (400, 422)
    assert "JavaScript" in json.dumps(response.json(), ensure_ascii=False)
    assert not SealRequest.objects.exists()


def test_a_plain_pdf_is_still_accepted(world: World, catalog: Catalog) -> None:
    response = client_for(world.sn_clerk).post(
        reverse("seal_request_create"), _form(catalog, world, documents=[pdf_upload()])
    )
    assert response.status_code == 302
    assert RequestDocument.objects.count() == 1


@pytest.mark.parametrize("debug", [False, True])
def test_a_decompression_bomb_is_refused_not_a_500(
    world: World, catalog: Catalog, settings: Any, bomb_png: bytes, debug: bool
) -> None:
    settings.DEBUG = debug
    token = api_token_create(person=world.sn_clerk, name="对接系统", by=world.sn_clerk)[1]
    response = Client(raise_request_exception=False).post(
        "/api/requests/",
        {
            "matter_id": catalog.matter.pk,
            "seal_id": world.sn_committee_seal.pk,
            "place_of_use": "村委会",
            "purpose": "签订合同",
            "documents": [pdf_upload()],
            "attachments": [SimpleUploadedFile("照片.png", bomb_png)],
        },
        headers={"Authorization": f"Bearer {token}"},
    )
    text = json.dumps(response.json(), ensure_ascii=False)
    assert response.status_code in (400, 422)
    assert "百万像素" in text and "Traceback" not in text and "DecompressionBomb" not in text
    assert not SealRequest.objects.exists()
    assert _stored_files(settings) == []


def test_an_image_over_the_pixel_limit_is_refused_and_one_under_it_accepted(
    world: World, catalog: Catalog, settings: Any
) -> None:
    settings.UPLOAD_MAX_IMAGE_PIXELS = 1_000_000
    with pytest.raises(RuleViolation, match="超过 1 百万像素"):
        _create(world, catalog, attachments=[SimpleUploadedFile("大.png", png_of(1001, 1000))])
    request = _create(
        world, catalog, attachments=[SimpleUploadedFile("小.png", png_of(1000, 1000))]
    )
    assert request.attachments.count() == 1


def _create(world: World, catalog: Catalog, **files: Any) -> SealRequest:
    return seal_request_create(
        by=world.sn_clerk,
        village=world.shuinan,
        matter=catalog.matter,
        seal=world.sn_committee_seal,
        stamp_count=1,
        place_of_use="村委会",
        purpose="签订合同",
        group=world.sn_group1,
        **{"documents": [pdf_upload()], **files},
    )


def test_a_refused_upload_leaves_no_file_behind(
    world: World, catalog: Catalog, settings: Any
) -> None:
    """The probe's case: the first file of an upload was stored, the second refused, and
    the first stayed on disk with no row naming it."""
    response = client_for(world.sn_clerk).post(
        reverse("seal_request_create"),
        _form(
            catalog,
            world,
            documents=[pdf_upload("一.pdf", "first"), SimpleUploadedFile("二.pdf", b"MZ" * 50)],
        ),
    )
    assert "文件内容不是" in response.content.decode()
    assert _stored_files(settings) == []


def test_a_refusal_after_the_files_were_stored_removes_them(
    world: World, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """Files are written before later rules run; when one of those refuses, the block
    rolls back and the files it wrote go with it. An enclosing block that goes on keeps
    the files of its inner blocks that succeeded."""
    from zhiyin.approvals.files import CheckedFile, file_store, files_atomic

    def checked(text: str) -> CheckedFile:
        data = pdf_bytes(text)
        return CheckedFile(data, hashlib.sha256(data).hexdigest(), "application/pdf", "a.pdf")

    def refused_after_storing(text: str) -> None:
        with files_atomic():
            file_store(checked(text), prefix="documents")
            raise RuleViolation("refused")

    with pytest.raises(RuleViolation):
        refused_after_storing("refused later")
    assert _stored_files(settings) == []

    with django_capture_on_commit_callbacks(execute=True), files_atomic():
        with files_atomic():
            kept = file_store(checked("kept"), prefix="documents")
        with pytest.raises(RuleViolation):
            refused_after_storing("dropped")
    assert [p.name for p in _stored_files(settings)] == [Path(kept).name]


def test_the_sweep_removes_only_old_files_that_no_row_names(
    world: World, catalog: Catalog, settings: Any
) -> None:
    kept = _create(world, catalog).documents.get().file.name
    orphan = "documents/ab/" + "ab" * 32 + ".pdf"
    young = "documents/cd/" + "cd" * 32 + ".pdf"
    for name in (orphan, young):
        default_storage.save(name, io.BytesIO(pdf_bytes()))
    day_ago = time.time() - 25 * 3600
    for name in (orphan, kept):
        os.utime(default_storage.path(name), (day_ago, day_ago))
    assert uploads_sweep() == [orphan]
    assert default_storage.exists(kept) and default_storage.exists(young)
    assert not default_storage.exists(orphan)
