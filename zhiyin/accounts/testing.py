"""For tests and the demo: give a person an authenticator with a known key and mark a
test client's session as having just passed the second factor."""

from __future__ import annotations

import time
from typing import Any

from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from zhiyin.accounts.twofactor import TOTP_NAME, VERIFIED_AT_SESSION_KEY
from zhiyin.orgs.models import Person

#: The demo's and tests' authenticator key (hex; base32 KRUGS4ZANFZSAYJAMRSW23ZAONSWG4TFOQ).
KNOWN_KEY = "546869732069732061206465 6d6f20736563726574".replace(" ", "")


def totp_known_device(person: Person) -> TOTPDevice:
    """A confirmed authenticator with the known key (created once)."""
    device = TOTPDevice.objects.filter(user=person, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(
            user=person, name=TOTP_NAME, key=KNOWN_KEY, confirmed=True, tolerance=1
        )
    return device  # type: ignore[no-any-return]  # django-otp is untyped


def totp_code_now(device: TOTPDevice | None = None, *, key: str = KNOWN_KEY) -> str:
    """The code an authenticator with `key` shows now. For a device that already took
    this period's code (django-otp refuses a code twice), the next period's code, which
    the device's tolerance of one step accepts."""
    drift = 0
    if device is not None:
        device.refresh_from_db()
        key = device.key
        if device.last_t >= int(time.time()) // 30:
            drift = 1
    return f"{totp(bytes.fromhex(key), step=30, t0=0, digits=6, drift=drift):06d}"  # type: ignore[no-untyped-call]  # django-otp is untyped


def client_second_factor_pass(client: Any, person: Person) -> None:
    """Mark a logged-in test client's session as verified just now."""
    device = totp_known_device(person)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session[VERIFIED_AT_SESSION_KEY] = int(time.time())
    session.save()


def browser_pass_second_factor(page: Any, username: str) -> None:
    """In a browser test, right after the password step: if the person is asked for a
    second factor (or to enrol one), give them the known authenticator and type its code."""
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    if "/accounts/2fa/" not in page.url:
        return
    device = totp_known_device(Person.objects.get(username=username))
    if "/accounts/2fa/enrol/" in page.url:
        page.goto(page.url.replace("/accounts/2fa/enrol/", "/accounts/2fa/"))
    page.get_by_label("验证码").fill(totp_code_now(device))
    page.get_by_role("button", name="验证", exact=True).click()
    page.wait_for_url(lambda url: "/accounts/2fa/" not in url)


def client_sign_in(client: Any, person: Person) -> None:
    """Log a test client in as `person`; privileged staff as if they had just passed
    their second factor."""
    from zhiyin.accounts.twofactor import second_factor_required
    from zhiyin.orgs.selectors import access_for

    client.force_login(person)
    if second_factor_required(access_for(person)):
        client_second_factor_pass(client, person)
