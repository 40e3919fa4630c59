"""On a phone: wrong passwords lock the account (even the right password is then refused)
and the district's security admin clears the lockout from their own phone, reached from
the menu."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from conftest import PASSWORD, World, screenshot
from zhiyin.accounts.testing import browser_pass_second_factor

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _phone(browser: Browser) -> BrowserContext:
    return browser.new_context(
        viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True, locale="zh-CN"
    )


def _try(page: Page, base: str, login: str, password: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("手机号或登录名").fill(login)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()


def test_repeated_failures_lock_the_account_and_the_admin_unlocks_it(
    world: World, live_server: object, browser: Browser, settings: Any
) -> None:
    base = str(live_server)
    # The admin signs in first: many failures also lock the address they share.
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = settings.AXES_FAILURE_LIMIT
    admin = _phone(browser).new_page()
    _try(admin, base, "security_admin", PASSWORD)
    browser_pass_second_factor(admin, "security_admin")

    victim = _phone(browser).new_page()
    for n in range(settings.AXES_FAILURE_LIMIT):
        _try(victim, base, "sn_clerk", f"guess-{n}")
    _try(victim, base, "sn_clerk", PASSWORD)
    expect(victim.get_by_role("heading", name="登录已暂时锁定")).to_be_visible()
    screenshot(victim, "login-locked")

    admin.goto(f"{base}/")
    admin.locator("summary", has_text="更多").click()
    admin.locator(".more-list").get_by_role("link", name="登录锁定").click()
    admin.wait_for_url("**/accounts/lockouts/")
    card = admin.locator("#lockouts li", has_text="sn_clerk")
    expect(card).to_be_visible()
    screenshot(admin, "login-lockouts")
    card.get_by_role("button", name="解除锁定").click()
    expect(admin.locator(".messages")).to_contain_text("已解除")

    # All the failures came from the one test address; clear that lockout too.
    buttons = admin.get_by_role("button", name="解除锁定")
    while buttons.count():
        buttons.first.click()
        admin.wait_for_load_state()
    _try(victim, base, "sn_clerk", PASSWORD)
    expect(victim.get_by_role("heading", name="我的角色")).to_be_visible()
