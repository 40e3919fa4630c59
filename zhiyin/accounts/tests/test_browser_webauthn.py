"""On a phone, with Chromium's virtual authenticator (CDP `WebAuthn`): a custodian who
signed in with the authenticator app registers a security key on the account security
page, signs out, signs in with the password and the key, and is asked for the key again
(step-up) before sealing."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from conftest import PASSWORD, screenshot
from zhiyin.accounts.testing import browser_pass_second_factor
from zhiyin.audit.models import AuditEvent
from zhiyin.sealing.models import SealedDocument
from zhiyin.sealing.tests.conftest import (  # sealing's own test setup
    Sealing,
    _media_in_tmp,  # noqa: F401  # autouse fixture
    approved_request,
    pdf_document,
    sealing,  # noqa: F401  # fixture
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _sign_in(page: Page, base: str, login: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("手机号或登录名").fill(login)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()


def _virtual_authenticator(context: BrowserContext, page: Page) -> tuple[Any, str]:
    cdp = context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    answer = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "usb",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    return cdp, str(answer["authenticatorId"])


def _key_passes(custodian_pk: int) -> int:
    events = AuditEvent.objects.filter(action="person.second_factor_passed", actor_id=custodian_pk)
    return sum(json.loads(event.after).get("method") == "webauthn" for event in events)


def test_a_custodian_registers_a_key_signs_in_with_it_and_steps_up_with_it(
    sealing: Sealing,  # noqa: F811
    live_server: object,
    phone: BrowserContext,
    settings: Any,
) -> None:
    base = str(live_server)
    assert base.startswith("http://localhost:")  # WebAuthn: a secure context and a host name
    settings.OTP_WEBAUTHN_RP_ID = "localhost"
    settings.OTP_WEBAUTHN_ALLOWED_ORIGINS = [base]
    custodian = sealing.world.sn_custodian1
    request = approved_request(sealing, sealing.contract_matter, documents=[pdf_document()])

    page = phone.new_page()
    cdp, authenticator = _virtual_authenticator(phone, page)
    _sign_in(page, base, "sn_custodian1")
    browser_pass_second_factor(page, "sn_custodian1")

    # Register the key on the account security page.
    page.goto(f"{base}/accounts/security/")
    keys = page.locator("#security-keys")
    expect(keys).to_contain_text("尚未登记安全密钥")
    keys.get_by_role("button", name="登记安全密钥").click()
    expect(page.locator(".messages")).to_contain_text("已登记安全密钥")
    expect(keys.locator("li")).to_have_count(1)
    expect(keys).not_to_contain_text("尚未登记安全密钥")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(page, "security-key-registered")
    stored = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})
    assert len(stored["credentials"]) == 1
    assert AuditEvent.objects.filter(
        action="person.security_key_registered", actor_id=custodian.pk
    ).exists()

    # Sign out, then in again: password, then the key instead of a code.
    page.goto(f"{base}/")
    page.locator("summary", has_text="更多").click()
    page.get_by_role("button", name="退出登录").click()
    page.wait_for_url("**/accounts/login/**")
    _sign_in(page, base, "sn_custodian1")
    page.wait_for_url("**/accounts/2fa/**")
    screenshot(page, "security-key-sign-in")
    before = _key_passes(custodian.pk)
    page.get_by_role("button", name="使用安全密钥验证").click()
    expect(page.get_by_role("heading", name="我的角色")).to_be_visible()
    assert _key_passes(custodian.pk) == before + 1

    # Step-up: once the key's answer is older than STEP_UP_SECONDS, sealing asks again.
    settings.STEP_UP_SECONDS = 3
    time.sleep(3.5)
    page.goto(f"{base}/sealing/requests/{request.pk}/")
    expect(page.get_by_role("heading", name="两步验证")).to_be_visible()
    expect(page.locator("main")).to_contain_text("盖章和授权终端用印前")
    assert not SealedDocument.objects.exists()
    page.get_by_role("button", name="使用安全密钥验证").click()
    page.wait_for_url(f"**/sealing/requests/{request.pk}/")
    assert _key_passes(custodian.pk) == before + 2
    settings.STEP_UP_SECONDS = 300
    preview = page.locator("input.page-preview")
    expect(preview).to_be_visible()
    preview.click(position={"x": 150, "y": 200})
    page.get_by_role("button", name="确认在此盖章").click()
    expect(page.locator(".messages")).to_contain_text("已盖章")
    assert SealedDocument.objects.filter(request=request).exists()
