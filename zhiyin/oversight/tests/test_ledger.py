"""The seal-use register: Excel with the paper form's columns (read back with openpyxl),
a PDF whose Chinese text renders (poppler), the public 村务公开 version without personal
data, and large exports built in the background with progress."""

from __future__ import annotations

import datetime as dt
import io
import subprocess
from pathlib import Path

import pytest
from django.utils import timezone
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet
from PIL import Image

from conftest import World, client_for
from zhiyin.approvals.models import SealRequest
from zhiyin.approvals.services import (
    seal_request_approve,
    seal_request_complete,
    seal_request_submit,
)
from zhiyin.approvals.tests.conftest import Catalog, request_make, view_documents
from zhiyin.oversight.ledger import LedgerSpec, ledger_pdf, ledger_xlsx
from zhiyin.oversight.models import ExportStatus, LedgerExport
from zhiyin.oversight.services import ledger_export_request, ledger_export_run
from zhiyin.oversight.tests.conftest import device_event

pytestmark = pytest.mark.django_db

FULL_COLUMNS = [
    "序号", "登记编号", "用印日期", "事项", "用途说明", "印章", "用印数",
    "申请人/经办人", "审批人", "盖章人/保管人", "设备号", "照片/文件哈希", "预警", "备注",
]  # fmt: skip
PUBLIC_COLUMNS = ["序号", "登记编号", "用印日期", "事项", "印章", "用印数", "照片/文件哈希", "备注"]


def _sealed(world: World, catalog: Catalog, purpose: str = "与承包户签订流转合同") -> SealRequest:
    request = seal_request_submit(
        request=request_make(
            world, catalog.matter, purpose=purpose, on_behalf_of=world.sn_resident
        ),
        by=world.sn_clerk,
    )
    for person in (world.sn_leader1, world.sn_secretary):
        view_documents(request, person)
        request = seal_request_approve(request=request, by=person)
    return seal_request_complete(request=request, by=world.sn_custodian1)


@pytest.fixture
def sealed(world: World, catalog: Catalog) -> SealRequest:
    request = _sealed(world, catalog, purpose="为阿梅办理流转，租金 3000 元/亩/年")
    device_event(
        "stamp_event.record",
        status="authorized",
        request=request.pk,
        seal=request.seal_id,
        device="SN-T-0001",
        photo_sha256="cd" * 32,
    )
    return request


def _sheet(data: bytes) -> Worksheet:
    sheet = load_workbook(io.BytesIO(data)).active
    assert isinstance(sheet, Worksheet)
    return sheet


def _spec(world: World, public: bool = False) -> LedgerSpec:
    today = timezone.localdate()
    return LedgerSpec(
        village=world.shuinan, start=today - dt.timedelta(days=1), end=today, public=public
    )


def test_the_excel_ledger_has_the_registers_columns(world: World, sealed: SealRequest) -> None:
    sheet = _sheet(ledger_xlsx(_spec(world)))
    rows = list(sheet.iter_rows(values_only=True))
    assert "用印登记台账" in str(rows[0][0])
    assert list(rows[1]) == FULL_COLUMNS
    row = {k: str(v) for k, v in zip(FULL_COLUMNS, rows[2], strict=True)}
    assert rows[2][0] == 1 and row["登记编号"] == sealed.number
    assert row["事项"] == "土地承包经营权流转合同" and rows[2][6] == 2
    assert row["申请人/经办人"] == "小林（代 阿梅）"
    assert row["审批人"] == "羊组长、老陈" and row["盖章人/保管人"] == "符姐"
    assert row["设备号"] == "SN-T-0001" and "cd" * 32 in row["照片/文件哈希"]
    assert sealed.documents.get().sha256 in row["照片/文件哈希"]
    assert "土地承包租金低于底线" in row["预警"]
    assert len(rows) == 3


def test_the_public_ledger_has_no_personal_data(world: World, sealed: SealRequest) -> None:
    sheet = _sheet(ledger_xlsx(_spec(world, public=True)))
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[1]) == PUBLIC_COLUMNS
    text = " ".join(str(v) for row in rows for v in row if v is not None)
    for personal in ("阿梅", "小林", "老陈", "符姐", "羊组长", "SN-T-0001", "3000"):
        assert personal not in text
    html = client_for(None).get(f"/public/ledger/{world.shuinan.code}/").content.decode()
    assert sealed.number in html
    for personal in ("阿梅", "小林", "老陈", "符姐"):
        assert personal not in html
    assert client_for(None).get("/public/ledger/nowhere/").status_code == 404
    assert (
        client_for(None).get(f"/public/ledger/{world.shuinan.code}/?month=13-2026").status_code
        == 200
    )


def test_the_pdf_ledger_renders_its_chinese_text(
    world: World, sealed: SealRequest, tmp_path: Path
) -> None:
    pdf = tmp_path / "ledger.pdf"
    pdf.write_bytes(ledger_pdf(_spec(world)))
    raw = subprocess.run(
        ["pdftotext", "-raw", str(pdf), "-"], capture_output=True, check=True, text=True
    ).stdout
    text = "".join(raw.split())  # a cell's wrapped lines, joined again
    for word in ("用印登记台账", "序号", "盖章人/保管人", "土地承包经营权流转合同", "符姐"):
        assert word in text
    fonts = subprocess.run(
        ["pdffonts", str(pdf)], capture_output=True, check=True, text=True
    ).stdout
    embedded = [line for line in fonts.splitlines()[2:] if line.split()[-5] == "yes"]
    assert embedded  # the CJK font travels with the file (pdffonts' emb column)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "100", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "page")],
        check=True,
    )
    (png,) = tmp_path.glob("page*.png")
    image = Image.open(png).convert("L")
    dark = sum(image.histogram()[:160])
    assert dark > 2000  # the title, the grid and the Chinese cells were drawn


def test_downloads_from_the_ledger_page(world: World, sealed: SealRequest) -> None:
    today = timezone.localdate().isoformat()
    query = f"village={world.shuinan.pk}&start={today}&end={today}"
    client = client_for(world.inspector)
    page = client.get(f"/oversight/ledger/?{query}").content.decode()
    assert sealed.number in page and "导出 Excel" in page
    xlsx = client.get(f"/oversight/ledger/?{query}&format=xlsx")
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")
    assert _sheet(xlsx.content).max_row == 3
    pdf = client.get(f"/oversight/ledger/?{query}&format=pdf&public=1")
    assert pdf.content.startswith(b"%PDF")
    bad = client.get(f"/oversight/ledger/?village={world.shuinan.pk}&start={today}&end=2001-01-01")
    assert "截止日期不能早于起始日期" in bad.content.decode()


def test_a_large_export_runs_in_the_background_with_progress(
    world: World, catalog: Catalog, sealed: SealRequest
) -> None:
    client = client_for(world.inspector)
    today = timezone.localdate().isoformat()
    response = client.post(
        "/oversight/ledger/exports/",
        {"village": world.shuinan.pk, "start": today, "end": today, "format": "xlsx"},
    )
    export = LedgerExport.objects.get()
    assert response["Location"] == f"/oversight/ledger/exports/{export.pk}/"
    assert export.total == 1 and export.status == ExportStatus.QUEUED
    waiting = client.get(f"/oversight/ledger/exports/{export.pk}/").content.decode()
    assert "<progress" in waiting and 'http-equiv="refresh"' in waiting
    assert ledger_export_run(export_id=export.pk) is True
    assert ledger_export_run(export_id=export.pk) is False  # a second worker builds nothing
    export.refresh_from_db()
    assert export.status == ExportStatus.DONE and export.percent == 100
    done = client.get(f"/oversight/ledger/exports/{export.pk}/").content.decode()
    assert "下载" in done and 'http-equiv="refresh"' not in done
    download = client.get(f"/oversight/ledger/exports/{export.pk}/download/")
    data = b"".join(download.streaming_content)  # type: ignore[attr-defined]  # a FileResponse
    assert _sheet(data).max_row == 3
    assert (
        client_for(world.district_admin).get(f"/oversight/ledger/exports/{export.pk}/").status_code
        == 404
    )


def test_an_export_with_a_bad_format_is_refused(world: World) -> None:
    today = timezone.localdate()
    with pytest.raises(Exception, match="Excel 或 PDF"):
        ledger_export_request(
            by=world.inspector,
            village=world.shuinan,
            start=today,
            end=today,
            file_format="doc",
            public=False,
        )
    assert not LedgerExport.objects.exists()
