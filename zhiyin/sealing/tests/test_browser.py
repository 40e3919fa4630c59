"""On a phone-sized Chromium: the custodian taps the page preview where the seal goes,
and anyone opening the QR link sees that the document is genuine."""

from __future__ import annotations

import io

import pytest
from playwright.sync_api import BrowserContext, expect
from pyhanko.pdf_utils.reader import PdfFileReader

from conftest import PASSWORD, screenshot
from zhiyin.accounts.testing import browser_pass_second_factor
from zhiyin.sealing.models import SealedDocument
from zhiyin.sealing.preview import PREVIEW_DPI
from zhiyin.sealing.tests.conftest import Sealing, approved_request, pdf_document

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_custodian_taps_the_place_and_the_qr_page_confirms_the_seal(
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
    assert box is not None and abs(box["width"] - 595.28 * PREVIEW_DPI / 72) < 4
    screenshot(page, "sealing-preview")
    preview.click(position={"x": 150, "y": 200})
    expect(page.locator(".messages")).to_contain_text("已盖章")

    sealed = SealedDocument.objects.get(request=request)
    [signature] = PdfFileReader(io.BytesIO(sealed.read_bytes()), strict=False).embedded_signatures
    left, _bottom, right, _top = (float(v) for v in signature.sig_field["/Rect"])
    assert abs((left + right) / 2 - 150 * 72 / PREVIEW_DPI) < 2

    phone.clear_cookies()
    anonymous = phone.new_page()
    anonymous.goto(f"{base}/verify/c/{sealed.verify_code}/")
    expect(anonymous.locator(".verdict")).to_contain_text("真实有效")
    expect(anonymous.locator(".verdict")).to_contain_text("水南村村民委员会")
    screenshot(anonymous, "verify-genuine")
