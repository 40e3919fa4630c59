"""Security keys (WebAuthn) through the JSON ceremonies, with a software key: registration
only with a fresh second factor, sign-in with one's own key (audited like a code), and
refusals for another person's key, a forged signature, a replayed challenge, a wrong
origin, garbage and passwordless attempts; removal and the security admin's reset."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from django.test import Client
from django.urls import reverse
from django_otp_webauthn.models import WebAuthnCredential

from conftest import PASSWORD, World, client_for
from zhiyin.accounts.testing import totp_known_device
from zhiyin.accounts.tests.softkey import SoftKey, b64url
from zhiyin.accounts.twofactor import VERIFIED_AT_SESSION_KEY, second_factor_reset
from zhiyin.audit.models import AuditEvent
from zhiyin.orgs.models import Person

pytestmark = pytest.mark.django_db

REG_BEGIN = "/accounts/2fa/webauthn/registration/begin/"
REG_COMPLETE = "/accounts/2fa/webauthn/registration/complete/"
AUTH_BEGIN = "/accounts/2fa/webauthn/authentication/begin/"
AUTH_COMPLETE = "/accounts/2fa/webauthn/authentication/complete/"


@pytest.fixture(autouse=True)
def _relying_party(settings: Any) -> None:
    settings.OTP_WEBAUTHN_RP_ID = "localhost"
    settings.OTP_WEBAUTHN_ALLOWED_ORIGINS = ["http://localhost:8000"]


def _post(client: Client, url: str, body: dict[str, Any] | None = None) -> Any:
    return client.post(url, json.dumps(body or {}), content_type="application/json")


def _register(person: Person) -> SoftKey:
    """`person` (signed in, fresh second factor) registers a new software key."""
    client = client_for(person)
    key = SoftKey()
    options = _post(client, REG_BEGIN).json()
    answer = _post(client, REG_COMPLETE, key.register(options))
    assert answer.status_code == 200, answer.content
    return key


def _password_only(person: Person) -> Client:
    client = Client()
    response = client.post(reverse("login"), {"username": person.username, "password": PASSWORD})
    assert response.status_code == 302
    return client


def _verified(client: Client) -> bool:
    return client.get(reverse("accounts_security")).status_code == 200


def _methods(person: Person, action: str) -> list[str]:
    events = AuditEvent.objects.filter(action=action, actor_id=person.pk).order_by("seq")
    return [json.loads(event.after or "{}").get("method", "") for event in events]


def test_a_custodian_registers_a_key_and_signs_in_with_it(world: World) -> None:
    custodian = world.sn_custodian1
    totp_known_device(custodian)
    key = _register(custodian)
    credential = WebAuthnCredential.objects.get(user=custodian)
    assert credential.confirmed
    assert AuditEvent.objects.filter(
        action="person.security_key_registered", actor_id=custodian.pk
    ).exists()

    client = _password_only(custodian)
    assert not _verified(client)  # the password alone reaches nothing
    options = _post(client, AUTH_BEGIN).json()
    assert [c["id"] for c in options["allowCredentials"]] == [b64url(key.credential_id)]
    answer = _post(client, AUTH_COMPLETE + "?next=/requests/inbox/", key.sign(options))
    assert answer.status_code == 200, answer.content
    assert answer.json()["redirect_url"] == "/requests/inbox/"
    assert _verified(client)
    assert abs(client.session[VERIFIED_AT_SESSION_KEY] - time.time()) < 5  # fresh: step-up met
    assert _methods(custodian, "person.second_factor_passed")[-1] == "webauthn"
    credential.refresh_from_db()
    assert credential.sign_count == 1 and credential.last_used_at is not None


def test_another_persons_key_is_refused_and_audited(world: World) -> None:
    secretary, custodian = world.sn_secretary, world.sn_custodian1
    totp_known_device(secretary)
    totp_known_device(custodian)
    _register(custodian)
    secretary_key = _register(secretary)

    client = _password_only(custodian)
    options = _post(client, AUTH_BEGIN).json()
    answer = _post(client, AUTH_COMPLETE, secretary_key.sign(options))
    assert answer.status_code == 403
    assert answer.json()["detail"] == "这把安全密钥没有登记在您的账号下。"
    assert not _verified(client)
    assert _methods(custodian, "person.second_factor_failed") == ["webauthn"]


def test_a_forged_signature_a_replay_and_a_wrong_origin_are_refused(world: World) -> None:
    custodian = world.sn_custodian1
    totp_known_device(custodian)
    key = _register(custodian)
    client = _password_only(custodian)

    options = _post(client, AUTH_BEGIN).json()
    forged = key.sign(options, signer=ec.generate_private_key(ec.SECP256R1()))
    answer = _post(client, AUTH_COMPLETE, forged)
    assert answer.status_code == 422 and "未通过校验" in answer.json()["detail"]
    assert not _verified(client)

    # The challenge was used up by the refused answer: even a good one for it is refused.
    answer = _post(client, AUTH_COMPLETE, key.sign(options))
    assert answer.status_code == 400 and answer.json()["code"] == "invalid_state"
    assert not _verified(client)

    options = _post(client, AUTH_BEGIN).json()
    phished = key.sign(options, origin="https://zhiyin.example.com")
    assert _post(client, AUTH_COMPLETE, phished).status_code == 422
    assert not _verified(client)
    assert _methods(custodian, "person.second_factor_failed") == ["webauthn"] * 3

    options = _post(client, AUTH_BEGIN).json()
    assert _post(client, AUTH_COMPLETE, key.sign(options)).status_code == 200
    assert _verified(client)


def test_garbage_and_passwordless_attempts_get_a_clear_answer(world: World) -> None:
    custodian = world.sn_custodian1
    totp_known_device(custodian)
    _register(custodian)
    anonymous = Client()
    answer = _post(anonymous, AUTH_BEGIN)
    assert answer.status_code == 403 and answer.json()["detail"] == "请先输入账号和密码登录。"
    assert _post(anonymous, REG_BEGIN).status_code == 403

    client = _password_only(custodian)
    _post(client, AUTH_BEGIN)
    for body in (
        {"id": "AAAA", "rawId": "AAAA", "type": "public-key", "response": {}},
        {"nonsense": True},
    ):
        answer = _post(client, AUTH_COMPLETE, body)
        assert 400 <= answer.status_code < 500, answer.content
        assert answer.json()["detail"]
        _post(client, AUTH_BEGIN)
    answer = client.post(AUTH_COMPLETE, "{not json", content_type="application/json")
    assert answer.status_code == 400
    assert not _verified(client)


def test_registration_needs_an_authenticator_app_and_a_fresh_second_factor(
    world: World, settings: Any
) -> None:
    clerk = world.sn_clerk  # no second factor at all
    answer = _post(client_for(clerk), REG_BEGIN)
    assert answer.status_code == 403 and "请先绑定身份验证器" in answer.json()["detail"]

    custodian = world.sn_custodian1
    client = client_for(custodian)
    session = client.session
    session[VERIFIED_AT_SESSION_KEY] = int(time.time()) - settings.STEP_UP_SECONDS - 1
    session.save()
    answer = _post(client, REG_BEGIN)
    assert answer.status_code == 403 and "重新验证身份" in answer.json()["detail"]
    assert not WebAuthnCredential.objects.exists()


def test_one_removes_only_ones_own_key_and_a_reset_removes_them_all(world: World) -> None:
    custodian, secretary = world.sn_custodian1, world.sn_secretary
    totp_known_device(custodian)
    totp_known_device(secretary)
    _register(custodian)
    _register(secretary)
    theirs = WebAuthnCredential.objects.get(user=secretary)
    mine = WebAuthnCredential.objects.get(user=custodian)

    client = client_for(custodian)
    response = client.post(reverse("accounts_security_key_remove", args=[theirs.pk]), follow=True)
    assert "没有找到这把安全密钥" in response.content.decode()
    assert WebAuthnCredential.objects.filter(pk=theirs.pk).exists()
    response = client.post(reverse("accounts_security_key_remove", args=[mine.pk]), follow=True)
    assert "已移除这把安全密钥" in response.content.decode()
    assert not WebAuthnCredential.objects.filter(user=custodian).exists()
    assert AuditEvent.objects.filter(
        action="person.security_key_removed", actor_id=custodian.pk
    ).exists()

    staff = client_for(world.security_admin).get(reverse("accounts_staff_factors"))
    assert "安全密钥1把" in staff.content.decode()
    second_factor_reset(person=secretary, by=world.security_admin, reason="钥匙丢失，已电话核实")
    assert not WebAuthnCredential.objects.filter(user=secretary).exists()


def test_the_code_page_offers_a_key_only_to_those_who_have_one(world: World) -> None:
    custodian = world.sn_custodian1
    totp_known_device(custodian)
    page = _password_only(custodian).get(reverse("accounts_second_factor")).content.decode()
    assert "passkey-verification-button" not in page
    _register(custodian)
    page = _password_only(custodian).get(reverse("accounts_second_factor")).content.decode()
    assert 'id="passkey-verification-button"' in page
    assert 'id="otp_webauthn_config"' in page and "#second-factor-next" in page
    security = client_for(custodian).get(reverse("accounts_security")).content.decode()
    assert 'id="passkey-register-button"' in security
    # The library's script speaks Chinese through the catalogue it loads.
    catalog = Client().get("/accounts/2fa/webauthn/jsi18n/").content.decode()
    assert r"\u4f7f\u7528\u5b89\u5168\u5bc6\u94a5\u9a8c\u8bc1" in catalog  # 使用安全密钥验证
