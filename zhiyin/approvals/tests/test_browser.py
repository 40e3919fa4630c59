"""On a phone-sized Chromium: a clerk drafts and submits a request with its PDF, the group
leader and the secretary open the document and approve from their inbox, the custodian
records the sealing; 北岭村's secretary sees none of it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from conftest import PASSWORD, World, screenshot
from zhiyin.accounts.testing import browser_pass_second_factor
from zhiyin.approvals.models import RequestStatus, SealRequest
from zhiyin.approvals.services import seal_request_submit
from zhiyin.approvals.tests.conftest import Catalog, pdf_bytes, request_make

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def login(context: BrowserContext, base: str, username: str) -> Page:
    context.clear_cookies()
    page = context.new_page()
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("手机号或登录名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    browser_pass_second_factor(page, username)
    return page


def read_to_the_end(page: Page) -> None:
    """Scroll through the document's page images as a person reads (no tap): the last
    page loads when it comes into view."""
    images = page.locator(".doc-page img")
    expect(images.first).to_be_visible()
    for index in range(images.count()):
        image = images.nth(index)
        image.scroll_into_view_if_needed()
        expect(image).to_have_js_property("complete", True)
        assert image.evaluate("i => i.naturalWidth") > 0, "the page image is shown"


def test_an_approver_approves_from_a_notification_in_two_taps(
    world: World, catalog: Catalog, live_server: object, phone: BrowserContext
) -> None:
    """Tap 1 opens the notice (the request page, the document's pages inline, the
    deadline as time left); tap 2 is 同意 below the last page. No PDF leaves the app."""
    request = seal_request_submit(request=request_make(world, catalog.matter), by=world.sn_clerk)
    base = str(live_server)
    page = login(phone, base, "sn_leader1")
    page.goto(f"{base}/notifications/")
    downloads: list[object] = []
    page.on("download", lambda download: downloads.append(download))

    page.get_by_role("link", name=re.compile(f"待办：{request.number}")).click()  # tap 1
    expect(page.locator("h1")).to_contain_text(request.number)
    expect(page.locator(".deadline")).to_contain_text(
        re.compile("还剩 [0-9]+ 小时|还剩 [0-9]+ 分钟")
    )
    read_to_the_end(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(page, "approve-from-notification")
    page.get_by_role("button", name="同意").click()  # tap 2
    expect(page.locator(".messages")).to_contain_text("已提交审批意见")
    assert not downloads, "no document may go to another app"
    step = request.steps.get(position=1, round=1)
    assert step.decisions.get().person == world.sn_leader1
    assert SealRequest.objects.get(pk=request.pk).status == RequestStatus.IN_APPROVAL


def test_a_request_goes_from_draft_to_sealed_on_a_phone(
    world: World, catalog: Catalog, live_server: object, phone: BrowserContext, tmp_path: Path
) -> None:
    base = str(live_server)
    pdf = tmp_path / "流转合同.pdf"
    pdf.write_bytes(pdf_bytes("browser flow"))

    page = login(phone, base, "sn_clerk")
    page.goto(f"{base}/requests/new/")
    page.get_by_label("用章事项").select_option(str(catalog.matter.pk))
    page.get_by_label("印章").select_option(str(world.sn_committee_seal.pk))
    page.get_by_label("用印地点").fill("村委会")
    page.get_by_label("用印事由").fill("与承包户签订流转合同")
    page.get_by_label("所属村民小组").select_option(str(world.sn_group1.pk))
    page.get_by_label("待用印文件（PDF，或实物盖章用的图片）").set_input_files(str(pdf))
    page.get_by_role("button", name="保存").click()
    expect(page.locator(".messages")).to_contain_text("已保存草稿")
    page.get_by_role("button", name="提交审批").click()
    expect(page.locator(".messages")).to_contain_text("已提交审批")
    request = SealRequest.objects.get()

    for username in ("sn_leader1", "sn_secretary"):
        page = login(phone, base, username)
        page.get_by_role("link", name="待办").click()
        card = page.locator(".card", has_text=request.number)
        expect(card).to_be_visible()
        card.get_by_role("link", name=re.compile("查看文件")).click()
        read_to_the_end(page)
        screenshot(page, f"request-pages-{username}")
        page.get_by_role("button", name="同意").click()
        expect(page.locator(".messages")).to_contain_text("已提交审批意见")
        page.get_by_role("link", name="待办").click()
        expect(page.locator(".card", has_text=request.number)).to_have_count(0)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, "the inbox must fit a 360-px phone without sideways scrolling"

    page = login(phone, base, "sn_custodian1")
    page.goto(f"{base}/requests/{request.pk}/")
    expect(page.locator("main")).to_contain_text("羊组长")
    page.get_by_role("button", name="登记已加盖实物印章").click()
    expect(page.locator(".messages")).to_contain_text("已登记用印")
    assert SealRequest.objects.get(pk=request.pk).status == RequestStatus.COMPLETED

    page = login(phone, base, "bl_secretary")
    page.goto(f"{base}/requests/")
    expect(page.locator("main")).not_to_contain_text(request.number)
    assert page.goto(f"{base}/requests/{request.pk}/").status == 404  # type: ignore[union-attr]  # goto returns the response


def test_reject_opens_a_question_before_it_rejects(
    world: World, catalog: Catalog, live_server: object, phone: BrowserContext
) -> None:
    """驳回 is final: the first tap only opens the question in place, the second
    (确定驳回) rejects; without the second tap nothing is decided."""
    request = seal_request_submit(request=request_make(world, catalog.matter), by=world.sn_clerk)
    base = str(live_server)
    page = login(phone, base, "sn_leader1")
    page.goto(f"{base}/requests/{request.pk}/")
    confirm = page.get_by_role("button", name="确定驳回")
    expect(confirm).to_be_hidden()
    page.get_by_label("审批意见（退回、驳回时必填）").fill("不属于本村事项")
    page.locator(f"#reject-{request.pk} > summary").click()  # tap 1: the question
    expect(page.locator(f"#reject-{request.pk} .confirm-box")).to_contain_text("确定驳回吗？")
    expect(confirm).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert confirm.bounding_box()["height"] >= 44  # type: ignore[index]  # visible, so a box
    screenshot(page, "reject-confirm")
    assert SealRequest.objects.get(pk=request.pk).status == RequestStatus.SUBMITTED
    confirm.click()  # tap 2
    expect(page.locator(".messages")).to_contain_text("已提交审批意见")
    assert SealRequest.objects.get(pk=request.pk).status == RequestStatus.REJECTED
