"""On a phone-sized Chromium: the custodian taps the page preview to place the seal's
outline, moves it by tapping elsewhere and by dragging, cancels once (nothing sealed),
then confirms; the result shows the sealed page, and the QR link confirms the seal."""

from __future__ import annotations

import io

import pytest
from playwright.sync_api import BrowserContext, Page, expect
from pyhanko.pdf_utils.reader import PdfFileReader

from conftest import PASSWORD, screenshot
from zhiyin.accounts.testing import browser_pass_second_factor
from zhiyin.sealing.models import SealedDocument
from zhiyin.sealing.preview import PREVIEW_WIDTH_PX
from zhiyin.sealing.tests.conftest import Sealing, approved_request, pdf_document

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def outline_centre(page: Page) -> tuple[float, float]:
    circle = page.locator("svg.seal-outline circle")
    return float(circle.get_attribute("cx") or 0), float(circle.get_attribute("cy") or 0)


def test_the_custodian_places_moves_and_confirms_the_seal_outline(
    sealing: Sealing, live_server: object, phone: BrowserContext
) -> None:
    base = str(live_server)
    request = approved_request(sealing, sealing.contract_matter, documents=[pdf_document()])

    page = phone.new_page()
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("手机号或登录名").fill("sn_custodian1")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    browser_pass_second_factor(page, "sn_custodian1")
    page.goto(f"{base}/sealing/requests/{request.pk}/")
    preview = page.locator("input.page-preview")
    expect(preview).to_be_visible()
    box = preview.bounding_box()
    # Shown at its natural size (the border aside), so a tap maps straight to points.
    assert box is not None and abs(box["width"] - PREVIEW_WIDTH_PX) < 4
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    preview.tap(position={"x": 150, "y": 200})  # place
    expect(page.get_by_role("button", name="确认在此盖章")).to_be_visible()
    assert outline_centre(page) == (150, 200)
    page.get_by_role("link", name="取消").click()  # cancelling changes nothing
    expect(page.locator("h1")).to_contain_text(request.number)
    assert not SealedDocument.objects.exists()

    page.goto(f"{base}/sealing/requests/{request.pk}/")
    preview.tap(position={"x": 150, "y": 200})  # place again
    preview.tap(position={"x": 100, "y": 150})  # tap elsewhere: the outline moves
    assert outline_centre(page) == (100, 150)
    assert not SealedDocument.objects.exists()
    circle = page.locator("svg.seal-outline circle").bounding_box()
    assert circle is not None
    start_x, start_y = circle["x"] + circle["width"] / 2, circle["y"] + circle["height"] / 2
    page.mouse.move(start_x, start_y)  # drag the outline 40 px right, 50 px down
    page.mouse.down()
    page.mouse.move(start_x + 20, start_y + 25, steps=4)
    page.mouse.move(start_x + 40, start_y + 50, steps=4)
    page.mouse.up()
    x, y = outline_centre(page)
    assert abs(x - 140) <= 1 and abs(y - 200) <= 1
    radius = float(page.locator("svg.seal-outline circle").get_attribute("r") or 0)
    assert abs(radius - 42 * 72 / 25.4 / 2 * PREVIEW_WIDTH_PX / 595.28) < 1  # true size
    screenshot(page, "sealing-outline")
    assert not SealedDocument.objects.exists()

    page.get_by_role("button", name="确认在此盖章").click()
    expect(page.locator(".messages")).to_contain_text("已盖章")
    expect(page.locator("main")).not_to_contain_text("该申请已用印")
    sealed_image = page.locator(".sealed-document img").first
    sealed_image.scroll_into_view_if_needed()
    expect(sealed_image).to_have_js_property("complete", True)
    assert sealed_image.evaluate("i => i.naturalWidth") > 0
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(page, "sealing-result")

    sealed = SealedDocument.objects.get(request=request)
    [signature] = PdfFileReader(io.BytesIO(sealed.read_bytes()), strict=False).embedded_signatures
    left, _bottom, right, top = (float(v) for v in signature.sig_field["/Rect"])
    scale = 595.28 / PREVIEW_WIDTH_PX
    assert abs((left + right) / 2 - x * scale) < 2
    assert abs(top - 42 * 72 / 25.4 / 2 - (841.89 - y * scale)) < 3

    phone.clear_cookies()
    anonymous = phone.new_page()
    anonymous.goto(f"{base}/verify/c/{sealed.verify_code}/")
    expect(anonymous.locator(".verdict")).to_contain_text("真实有效")
    expect(anonymous.locator(".verdict")).to_contain_text("水南村村民委员会")
    screenshot(anonymous, "verify-genuine")
