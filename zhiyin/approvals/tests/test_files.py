"""Bad uploads are refused with a clear Chinese message, and nothing is saved."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from conftest import World
from zhiyin.approvals.models import RequestDocument, SealRequest
from zhiyin.approvals.services import seal_request_create
from zhiyin.approvals.tests.conftest import Catalog, pdf_bytes, png_bytes, request_make
from zhiyin.core.errors import RuleViolation

pytestmark = pytest.mark.django_db


def _create(world: World, catalog: Catalog, upload: SimpleUploadedFile) -> SealRequest:
    return seal_request_create(
        by=world.sn_clerk,
        village=world.shuinan,
        matter=catalog.matter,
        seal=world.sn_committee_seal,
        stamp_count=1,
        place_of_use="村委会",
        purpose="签订合同",
        group=world.sn_group1,
        documents=[upload],
    )


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("setup.pdf", b"MZ\x90\x00\x03" + b"\x00" * 200, "文件内容不是"),
        ("合同.pdf", b"just some text pretending to be a pdf", "文件内容不是"),
        ("合同.pdf", pdf_bytes()[:60], "不是完整有效的PDF文件"),
        ("合同.pdf", b"%PDF-1.7\n%garbage that never ends", "不是完整有效的PDF文件"),
        ("照片.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 30, "不是完整有效的图片文件"),
        ("空.pdf", b"", "空文件"),
    ],
)
def test_it_refuses_bad_uploads_and_saves_nothing(
    world: World, catalog: Catalog, name: str, data: bytes, message: str
) -> None:
    with pytest.raises(RuleViolation, match=message):
        _create(world, catalog, SimpleUploadedFile(name, data))
    assert not SealRequest.objects.exists()
    assert not RequestDocument.objects.exists()


def test_it_refuses_files_over_the_size_limit(
    world: World, catalog: Catalog, settings: object
) -> None:
    settings.UPLOAD_MAX_BYTES = 1024  # type: ignore[attr-defined]  # pytest-django settings
    with pytest.raises(RuleViolation, match="超过 1 KB 的大小限制"):
        _create(world, catalog, SimpleUploadedFile("大.pdf", pdf_bytes() + b"\n" * 2000))
    assert not SealRequest.objects.exists()


def test_it_detects_type_by_content_not_by_name(world: World, catalog: Catalog) -> None:
    request = _create(world, catalog, SimpleUploadedFile("scan.pdf", png_bytes()))
    document = request.documents.get()
    assert document.content_type == "image/png"
    assert document.file.name.endswith(".png")


def test_same_bytes_are_stored_once(world: World, catalog: Catalog) -> None:
    first = request_make(world, catalog.matter)
    second = request_make(world, catalog.matter)
    assert first.documents.get().file.name == second.documents.get().file.name
