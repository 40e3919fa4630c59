"""In Chromium at 360 px (a phone) and 1280 px (a desk): the district inspector opens a
red warning from the workbench, reads its facts, follows it to the request and its
trace, comes back and closes it with a conclusion."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from conftest import PASSWORD, World, screenshot
from zhiyin.accounts.testing import browser_pass_second_factor
from zhiyin.approvals.services import seal_request_submit
from zhiyin.approvals.tests.conftest import Catalog, request_make
from zhiyin.oversight.models import Warning, WarningState

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("width", [360, 1280])
def test_an_inspector_handles_a_red_warning(
    world: World, catalog: Catalog, live_server: object, browser: Browser, width: int
) -> None:
    request = request_make(world, catalog.matter, purpose="流转承包地 30 亩，租金 3000 元/亩/年")
    seal_request_submit(request=request, by=world.sn_clerk)
    warning = Warning.objects.get(rule__code="rent_below_floor")
    base = str(live_server)
    context = browser.new_context(
        viewport={"width": width, "height": 800}, is_mobile=width < 500, locale="zh-CN"
    )
    page: Page = context.new_page()
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("手机号或登录名").fill("inspector")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    browser_pass_second_factor(page, "inspector")

    page.get_by_role("link", name="预警", exact=True).click()
    expect(page.locator(".count-red .count-n")).to_have_text("1")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    screenshot(page, f"oversight-workbench-{width}")
    page.locator(".warning-item", has_text="土地承包租金低于底线").get_by_role("link").click()

    expect(page.locator("h1")).to_contain_text("土地承包租金低于底线")
    facts = page.locator("table.facts")
    expect(facts).to_contain_text("租金（元/亩/年）")
    expect(facts).to_contain_text("不低于 5000")
    expect(facts).to_contain_text("3000")
    screenshot(page, f"oversight-warning-{width}")

    page.get_by_role("link", name=request.number, exact=False).click()
    expect(page.locator("h1")).to_contain_text(request.number)
    page.get_by_role("link", name="全程留痕", exact=False).click()
    expect(page.locator("main")).to_contain_text("提交用印申请")
    expect(page.locator("main")).to_contain_text("时间（北京时间）")
    screenshot(page, f"oversight-trace-{width}")
    page.locator(".warning-item").get_by_role("link").click()

    page.get_by_label("办结结论").fill("已约谈村委会，按底价重新签订合同")
    page.get_by_role("button", name="办结预警").click()
    expect(page.locator(".messages")).to_contain_text("预警已办结")
    expect(page.locator("h1")).to_contain_text("已办结")
    warning.refresh_from_db()
    assert warning.state == WarningState.CLOSED
    assert warning.conclusion == "已约谈村委会，按底价重新签订合同"
    context.close()
