"""Two factors for privileged staff: enrolment on first sign-in, the code at every
sign-in, recovery codes used once, nobody else asked, and a fresh code before sealing."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from conftest import PASSWORD, World
from zhiyin.accounts.testing import totp_code_now, totp_known_device
from zhiyin.accounts.twofactor import VERIFIED_AT_SESSION_KEY
from zhiyin.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def _password_login(person: Any) -> Client:
    client = Client()
    response = client.post(reverse("login"), {"username": person.username, "password": PASSWORD})
    assert response.status_code == 302
    return client


def _code(device: TOTPDevice, offset: int = 0) -> str:
    return f"{totp(device.bin_key, step=30, t0=0, digits=6, drift=offset):06d}"  # type: ignore[no-untyped-call]  # django-otp is untyped


@pytest.mark.parametrize(
    "person", ["sn_custodian1", "sn_secretary", "sn_leader1", "inspector", "district_admin"]
)
def test_a_privileged_person_enrols_on_first_sign_in(world: World, person: str) -> None:
    staff = getattr(world, person)
    client = _password_login(staff)
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response["Location"].startswith(
        reverse("accounts_enrol")
    )
    page = client.get(response["Location"]).content.decode()
    assert "绑定身份验证器" in page and "data:image/png;base64," in page
    device = TOTPDevice.objects.get(user=staff, confirmed=False)
    response = client.post(reverse("accounts_enrol"), {"token": "000000"})
    assert "验证码不正确" in response.content.decode()
    response = client.post(reverse("accounts_enrol"), {"token": _code(device), "next": "/"})
    codes = re.findall(r"<code>(\d{8})</code>", response.content.decode())
    assert len(codes) == 10
    assert client.get(reverse("home")).status_code == 200
    assert AuditEvent.objects.filter(action="person.second_factor_enrolled", actor_id=staff.pk)


def test_every_sign_in_asks_for_the_code_and_a_wrong_one_is_refused(world: World) -> None:
    device = totp_known_device(world.sn_custodian1)
    client = _password_login(world.sn_custodian1)
    response = client.get(reverse("home"))
    assert response["Location"].startswith(reverse("accounts_second_factor"))
    wrong = client.post(reverse("accounts_second_factor"), {"token": "123456"})
    assert "验证码不正确" in wrong.content.decode()
    assert client.get(reverse("home")).status_code == 302
    throttled = client.post(reverse("accounts_second_factor"), {"token": totp_code_now(device)})
    assert "请稍等" in throttled.content.decode()  # django-otp slows guessing down
    time.sleep(1.1)
    ok = client.post(reverse("accounts_second_factor"), {"token": totp_code_now(device)})
    assert ok.status_code == 302
    assert client.get(reverse("home")).status_code == 200
    assert AuditEvent.objects.filter(action="person.second_factor_failed").exists()


def test_a_recovery_code_works_once(world: World) -> None:
    client = _password_login(world.sn_secretary)
    client.get(reverse("accounts_enrol"))
    device = TOTPDevice.objects.get(user=world.sn_secretary, confirmed=False)
    page = client.post(reverse("accounts_enrol"), {"token": _code(device)}).content.decode()
    first = re.findall(r"<code>(\d{8})</code>", page)[0]
    for expected in (302, 200):
        again = _password_login(world.sn_secretary)
        response = again.post(reverse("accounts_second_factor"), {"token": first})
        assert response.status_code == expected


@pytest.mark.parametrize("person", ["sn_resident", "sn_clerk", "officer"])
def test_residents_clerks_and_bureau_officers_are_not_asked(world: World, person: str) -> None:
    client = _password_login(getattr(world, person))
    assert client.get(reverse("home")).status_code == 200


def test_the_session_api_refuses_an_unverified_privileged_person(world: World) -> None:
    client = _password_login(world.inspector)
    response = client.get("/api/requests/")
    assert response.status_code == 403 and "两步验证" in response.json()["message"]


def test_a_stale_second_factor_is_asked_again_before_sealing(world: World) -> None:
    from conftest import client_for

    client = client_for(world.sn_custodian1)
    url = reverse("sealing_request", args=[999999])
    assert client.get(url).status_code == 404  # fresh: the sealing view itself answers
    session = client.session
    session[VERIFIED_AT_SESSION_KEY] = int(time.time()) - 3600
    session.save()
    # Still signed in, but sealing pages want a fresh code.
    assert client.get(reverse("home")).status_code == 200
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts_second_factor"))
    assert "step_up=1" in response["Location"]
    device = totp_known_device(world.sn_custodian1)
    back = client.post(response["Location"], {"token": totp_code_now(device), "next": url})
    assert back["Location"] == url
    assert client.get(url).status_code == 404


def test_a_password_alone_cannot_bind_a_new_authenticator(world: World) -> None:
    """Someone who has the password but not the phone is sent to the code page, not to
    enrolment, so they cannot replace the person's authenticator with their own."""
    totp_known_device(world.sn_custodian1)
    client = _password_login(world.sn_custodian1)
    response = client.get(reverse("accounts_enrol"))
    assert response["Location"].startswith(reverse("accounts_second_factor"))
    response = client.post(reverse("accounts_enrol"), {"token": "123456"})
    assert response["Location"].startswith(reverse("accounts_second_factor"))
    assert TOTPDevice.objects.filter(user=world.sn_custodian1).count() == 1
