"""The seed's story in a phone-sized Chromium: 阿梅 of 水南村 logs in with a code, applies
for the winter-vegetable subsidy with her details already filled in, sees the amount as
she types, uploads a photo and submits; the clerk, the group leader, the secretary and a
custodian (on sealing's page) each act in their own browser; she sees her application
sealed, and delivered once the bureau's officer signs for it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from conftest import PASSWORD, World, screenshot
from zhiyin.accounts.testing import browser_pass_second_factor
from zhiyin.portal.tests.conftest import Services, jpeg_bytes
from zhiyin.seals.services import electronic_seal_issue

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def phone_context(browser: Browser) -> BrowserContext:
    return browser.new_context(
        viewport={"width": 360, "height": 740},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="zh-CN",
    )


def staff_login(browser: Browser, base: str, username: str) -> Page:
    page = phone_context(browser).new_page()
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("手机号或登录名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    browser_pass_second_factor(page, username)
    return page


def approve(browser: Browser, base: str, username: str, request_url: str, shot: str) -> None:
    page = staff_login(browser, base, username)
    page.goto(request_url)
    for link in page.locator("a[href*='/documents/']").all():
        href = link.get_attribute("href") or ""
        assert page.request.get(f"{base}{href}").ok  # opening the document, as 糊涂章 rules ask
    page.reload()
    page.get_by_role("button", name="同意").click()
    expect(page.locator(".messages")).to_contain_text("已提交审批意见")
    screenshot(page, shot)
    page.context.close()


def test_the_resident_applies_from_home_and_sees_it_sealed(
    world: World,
    services: Services,
    live_server: Any,
    browser: Browser,
    phone: BrowserContext,
    settings: Any,
    tmp_path: Path,
) -> None:
    settings.DEBUG = True  # the development notice shows the one-time code
    electronic_seal_issue(seal=world.sn_committee_seal, by=world.sn_admin)
    base = str(live_server)
    page = phone.new_page()

    page.goto(f"{base}/portal/")
    page.get_by_label("手机号").fill(world.sn_resident.phone or "")
    page.get_by_role("button", name="获取验证码").click()
    code = page.locator("#dev-code").inner_text()
    page.get_by_label("验证码").fill(code)
    screenshot(page, "portal-01-code")
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name="在家办事")).to_be_visible()
    screenshot(page, "portal-02-services")

    page.get_by_role("link", name=re.compile("冬季瓜菜种植补贴")).click()
    page.get_by_role("button", name="开始填写").click()
    expect(page.locator("#fixed-id_number")).to_have_text("4602**********1238")
    expect(page.locator("#fixed-real_name")).to_have_text("阿梅")
    expect(page.locator("#fixed-social_security_number")).to_have_text("H46020501")
    screenshot(page, "portal-03-prefilled")
    page.get_by_role("button", name="下一步").click()

    page.get_by_label("种植品种").select_option("豇豆")
    page.get_by_role("button", name="下一步").click()
    page.get_by_label("2茬").check()
    page.get_by_role("button", name="下一步").click()
    page.get_by_label("种植面积（亩）", exact=True).fill("3.5")
    expect(page.locator("#amount")).to_have_text("1750.00 元")
    screenshot(page, "portal-04-amount")
    page.get_by_role("button", name="下一步").click()

    picture = tmp_path / "豇豆地.jpg"
    picture.write_bytes(jpeg_bytes(width=800, height=600))
    expect(page.locator("#amount")).to_have_text("1750.00 元")
    page.locator("#file-photo").set_input_files(str(picture))
    screenshot(page, "portal-05-photo")
    page.get_by_role("button", name="提交申请").click()
    expect(page.locator("#status")).to_have_text("已提交，等待村委会受理")
    resident_url = page.url
    screenshot(page, "portal-06-submitted")

    clerk = staff_login(browser, base, "sn_clerk")
    clerk.goto(f"{base}/portal/clerk/")
    clerk.get_by_role("link", name=re.compile("冬季瓜菜种植补贴")).click()
    clerk.get_by_role("button", name="受理并发起用印申请").click()
    expect(clerk.locator(".messages")).to_contain_text("已生成用印申请")
    request_url = clerk.url
    screenshot(clerk, "portal-07-clerk-accepted")
    clerk.context.close()

    page.goto(resident_url)
    expect(page.locator("#timeline")).to_contain_text("村民小组长审核")
    expect(page.locator("#timeline")).to_contain_text("办理时限")
    screenshot(page, "portal-08-in-approval")

    approve(browser, base, "sn_leader1", request_url, "portal-09-leader")
    approve(browser, base, "sn_secretary", request_url, "portal-10-secretary")

    request_pk = request_url.rstrip("/").rsplit("/", 1)[-1]
    custodian = staff_login(browser, base, "sn_custodian1")
    custodian.goto(f"{base}/sealing/requests/{request_pk}/")
    # The outline starts at the default place (the signature block); confirming seals there.
    custodian.get_by_role("button", name="确认在此盖章").click()
    expect(custodian.locator(".messages")).to_be_visible()
    screenshot(custodian, "portal-11-custodian-sealed")
    custodian.context.close()

    page.goto(resident_url)
    expect(page.locator("#status")).to_have_text("已盖章")
    expect(page.locator("#timeline")).to_contain_text("支部书记审批")
    expect(page.locator("#timeline")).to_contain_text("已盖章")
    expect(page.locator("#timeline")).to_contain_text("正在送达区农业农村局")
    expect(page.locator("#timeline")).not_to_contain_text("老陈")
    screenshot(page, "portal-12-sealed")

    officer = staff_login(browser, base, "officer")
    officer.goto(f"{base}/bureau/")
    officer.get_by_role("link", name=re.compile("冬季瓜菜种植补贴")).first.click()
    screenshot(officer, "portal-13-bureau-delivery")
    width = officer.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, "the delivery page must fit the phone, long hashes wrapped"
    officer.get_by_role("button", name="签收").click()
    expect(officer.locator(".messages")).to_be_visible()
    screenshot(officer, "portal-14-bureau-received")
    officer.context.close()

    page.goto(resident_url)
    expect(page.locator("#timeline")).to_contain_text("已送达")
    screenshot(page, "portal-15-delivered")
