"""A custodian authorizes the terminal on a 360-px phone, the simulator (over HTTP to the
live server) receives the grant and stamps, and the request page shows the photos."""

from __future__ import annotations

import pytest
from playwright.sync_api import BrowserContext, expect

from conftest import PASSWORD, screenshot
from zhiyin.accounts.testing import browser_pass_second_factor
from zhiyin.approvals.models import RequestStatus, SealRequest
from zhiyin.devices.models import StampAuthorization
from zhiyin.devices.tests.conftest import Terminal, approved, sim

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_custodian_authorizes_on_a_phone_and_the_terminal_stamps(
    terminal: Terminal, live_server: object, phone: BrowserContext
) -> None:
    base = str(live_server)
    request = approved(terminal, stamp_count=2)
    page = phone.new_page()
    page.goto(f"{base}/")
    page.get_by_label("手机号或登录名").fill("sn_custodian1")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    browser_pass_second_factor(page, "sn_custodian1")
    page.goto(f"{base}/requests/{request.pk}/")
    page.get_by_role("link", name="在智能印章终端授权用印").click()
    expect(page.get_by_role("heading", name="终端用印", exact=True)).to_be_visible()
    page.get_by_label("授权有效时长").select_option("4")
    page.get_by_role("button", name="授权开启终端").click()
    expect(page.locator(".messages")).to_contain_text("已授权")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(page, "device-authorize")
    authorization = StampAuthorization.objects.get()
    page.get_by_role("link", name="打印用印二维码").click()
    expect(page.locator("main")).to_contain_text(authorization.code)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    transport = sim.HttpsTransport(base)
    transport.hello(terminal.sim)
    assert transport.poll(terminal.sim) == 1
    terminal.sim.stamp(f"ZYSTAMP:{authorization.code}", operator="符姐", transport=transport)
    terminal.sim.stamp(f"ZYSTAMP:{authorization.code}", operator="符姐", transport=transport)
    assert SealRequest.objects.get(pk=request.pk).status == RequestStatus.COMPLETED

    page.goto(f"{base}/requests/{request.pk}/")
    photos = page.locator("img.stamp-photo")
    expect(photos).to_have_count(2)
    for index in range(2):
        assert photos.nth(index).evaluate("img => img.complete && img.naturalWidth > 0")
    expect(page.locator("#stamps")).to_contain_text("已授权")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(page, "device-request-stamps")
