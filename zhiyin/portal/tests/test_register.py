"""Importing the district register: all rows or none, with a row-by-row report."""

from __future__ import annotations

import io
from typing import Any

import pytest

from conftest import World
from zhiyin.core.errors import RuleViolation
from zhiyin.portal.models import RegisterEntry
from zhiyin.portal.services.district import register_import

pytestmark = pytest.mark.django_db

HEADER = ["姓名", "身份证号", "社保卡号", "村", "村民小组", "手机号", "锁定字段"]
GOOD = [
    "黎英俊",
    "460205198801010028",
    "H46020588",
    "水南村",
    "第一村民小组",
    "13811112222",
    "姓名、身份证号",
]


def csv_bytes(rows: list[list[str]]) -> bytes:
    return "\n".join(",".join(r) for r in rows).encode("utf-8-sig")


def xlsx_bytes(rows: list[list[str]]) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_it_imports_a_good_excel_file(world: World) -> None:
    report = register_import(
        data=xlsx_bytes([HEADER, GOOD]), filename="底册.xlsx", district=world.district,
        by=world.district_admin,
    )  # fmt: skip
    assert report.ok and report.created == 1
    entry = RegisterEntry.objects.get()
    assert entry.group == world.sn_group1 and entry.fixed_fields == ["real_name", "id_number"]


def test_it_reports_every_bad_row_and_imports_nothing(world: World) -> None:
    rows = [
        HEADER,
        GOOD,
        ["", "460205198801010016", "", "水南村", "", "", ""],
        ["阿福", "460205198801010028", "", "东方村", "第九组", "1234", "住址"],
    ]
    report = register_import(
        data=csv_bytes(rows), filename="底册.csv", district=world.district, by=world.district_admin
    )
    assert not report.ok
    found = {(e.row, e.column) for e in report.errors}
    assert {
        (3, "姓名"),
        (3, "身份证号"),
        (4, "身份证号"),
        (4, "村"),
        (4, "手机号"),
        (4, "锁定字段"),
    } <= found
    assert any("与第 2 行重复" in e.message for e in report.errors)
    assert not RegisterEntry.objects.exists()


def test_it_reports_a_file_that_is_not_a_table(world: World) -> None:
    report = register_import(
        data=b"PK\x03\x04broken", filename="底册.xlsx", district=world.district,
        by=world.district_admin,
    )  # fmt: skip
    assert not report.ok and "Excel" in report.errors[0].message


def test_only_a_district_admin_imports(world: World) -> None:
    with pytest.raises(RuleViolation):
        register_import(
            data=csv_bytes([HEADER, GOOD]), filename="a.csv", district=world.district,
            by=world.sn_admin,
        )  # fmt: skip


def test_the_import_page_shows_the_report(world: World) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from conftest import client_for

    upload = SimpleUploadedFile(
        "底册.csv", csv_bytes([HEADER, ["阿福", "123", "", "水南村", "", "", ""]])
    )
    page = client_for(world.district_admin).post("/portal/register/import/", {"file": upload})
    text = page.content.decode()
    assert "没有导入任何数据" in text and "身份证号无效" in text


def test_it_refuses_a_file_over_the_limit_whole_instead_of_cutting_it(
    world: World, settings: Any
) -> None:
    """The probe's case: a register past the size limit was cut there and reported as
    imported, silently losing every resident after the cut."""
    import datetime as dt

    from django.core.files.uploadedfile import SimpleUploadedFile

    from conftest import client_for
    from zhiyin.lib.idcard import id_number_make

    rows = [HEADER] + [
        [f"村民{n}", id_number_make(region="460205", birth=dt.date(1970, 1, 1)
         + dt.timedelta(days=n), serial=1, female=False), "", "水南村", "", "", ""]
        for n in range(1, 200)
    ]  # fmt: skip
    data = csv_bytes(rows)
    settings.REGISTER_IMPORT_MAX_BYTES = len(data) // 2
    page = client_for(world.district_admin).post(
        "/portal/register/import/", {"file": SimpleUploadedFile("底册.csv", data)}
    )
    text = page.content.decode()
    assert page.status_code == 200
    assert "超过" in text and "没有导入任何一行" in text and "导入成功" not in text
    assert not RegisterEntry.objects.exists()

    settings.REGISTER_IMPORT_MAX_BYTES = len(data)
    page = client_for(world.district_admin).post(
        "/portal/register/import/", {"file": SimpleUploadedFile("底册.csv", data)}
    )
    assert RegisterEntry.objects.count() == 199
