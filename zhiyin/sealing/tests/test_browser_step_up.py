"""On a 360-px phone: a custodian's first sign-in binds an authenticator (the key read
from the page, as an app would scan it), and once that code is a few minutes old the
sealing page asks for a new one before anything is sealed."""

from __future__ import annotations

import base64
import time
from typing import Any

import pytest
from django_otp.oath import totp
from playwright.sync_api import BrowserContext, expect

from conftest import PASSWORD, screenshot
from zhiyin.sealing.models import SealedDocument
from zhiyin.sealing.tests.conftest import Sealing, approved_request, pdf_document

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _code(secret: str, drift: int = 0) -> str:
    key = base64.b32decode(secret.replace(" ", "") + "=" * (-len(secret.replace(" ", "")) % 8))
    return f"{totp(key, step=30, t0=0, digits=6, drift=drift):06d}"  # type: ignore[no-untyped-call]  # django-otp is untyped


def test_a_custodian_enrols_on_a_phone_and_is_asked_again_before_sealing(
    sealing: Sealing, live_server: object, phone: BrowserContext, settings: Any
) -> None:
    settings.STEP_UP_SECONDS = 8
    base = str(live_server)
    request = approved_request(sealing, sealing.contract_matter, documents=[pdf_document()])

    page = phone.new_page()
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("手机号或登录名").fill("sn_custodian1")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name="绑定身份验证器")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(page, "second-factor-enrol")
    secret = page.locator("#totp-secret").inner_text()
    page.get_by_label("6位验证码").fill(_code(secret))
    page.get_by_role("button", name="完成绑定").click()
    expect(page.locator("#recovery-codes li")).to_have_count(10)
    page.get_by_role("link", name="我已保存，继续").click()
    expect(page.get_by_role("heading", name="我的角色")).to_be_visible()

    time.sleep(8.5)  # the code is now older than STEP_UP_SECONDS
    page.goto(f"{base}/sealing/requests/{request.pk}/")
    expect(page.get_by_role("heading", name="两步验证")).to_be_visible()
    expect(page.locator("main")).to_contain_text("盖章和授权终端用印前")
    screenshot(page, "second-factor-step-up")
    assert not SealedDocument.objects.exists()
    page.get_by_label("验证码").fill(_code(secret, drift=1))  # this period's code is used
    page.get_by_role("button", name="验证", exact=True).click()
    preview = page.locator("input.page-preview")
    expect(preview).to_be_visible()
    preview.click(position={"x": 150, "y": 200})
    assert not SealedDocument.objects.exists()
    page.get_by_role("button", name="确认在此盖章").click()
    expect(page.locator(".messages")).to_contain_text("已盖章")
    assert SealedDocument.objects.filter(request=request).exists()
