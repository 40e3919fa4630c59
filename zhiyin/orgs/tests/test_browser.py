"""Each role logs in on a phone-sized Chromium window and reaches its own home page."""

from __future__ import annotations

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from conftest import PASSWORD, World, screenshot
from zhiyin.accounts.testing import browser_pass_second_factor

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def login(phone: BrowserContext, base: str, username: str) -> Page:
    page = phone.new_page()
    page.goto(f"{base}/")
    expect(page.get_by_role("heading", name="登录智印")).to_be_visible()
    page.get_by_label("手机号或登录名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    browser_pass_second_factor(page, username)
    return page


@pytest.mark.parametrize(
    ("username", "sees", "role"),
    [
        ("sn_resident", "4602**********1238", "村民"),
        ("sn_secretary", "水南村村民委员会", "支部书记/村委会主任"),
        ("inspector", "北岭村", "纪检监察"),
        ("officer", "区农业农村局", "职能部门经办人"),
    ],
)
def test_each_role_reaches_its_home_page(
    world: World, live_server: object, phone: BrowserContext, username: str, sees: str, role: str
) -> None:
    page = login(phone, str(live_server), username)
    expect(page.get_by_role("heading", name="我的角色")).to_be_visible()
    expect(page.locator("main")).to_contain_text(role)
    expect(page.locator("main")).to_contain_text(sees)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, "the page must fit a 360-px phone without sideways scrolling"
    screenshot(page, f"home-{username}")


def test_a_wrong_password_is_explained_in_chinese(
    world: World, live_server: object, phone: BrowserContext
) -> None:
    page = phone.new_page()
    page.goto(f"{live_server}/accounts/login/")
    page.get_by_label("手机号或登录名").fill("sn_clerk")
    page.get_by_label("密码").fill("not-the-password")
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("alert")).to_contain_text("手机号/登录名或密码不正确")
