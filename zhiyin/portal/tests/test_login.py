"""Resident login: one-time codes (hashed, 5 minutes, attempt and rate limits) and the
citizen-app OIDC callback against a real local provider that signs its tokens."""

from __future__ import annotations

import base64
import json
import threading
import time
import urllib.parse
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from django.test import Client
from django.utils import timezone

from conftest import World
from zhiyin.core.errors import RuleViolation
from zhiyin.portal.models import LoginCode
from zhiyin.portal.services.login import login_code_send, login_code_verify

pytestmark = pytest.mark.django_db


def test_it_logs_in_with_a_code_stored_only_as_a_hash(world: World) -> None:
    phone = world.sn_resident.phone or ""
    code = login_code_send(phone=phone)
    assert code is not None and len(code) == 6
    stored = LoginCode.objects.get(phone=phone)
    assert code not in stored.code_hash
    assert login_code_verify(phone=phone, code=code) == world.sn_resident
    with pytest.raises(RuleViolation, match="失效"):
        login_code_verify(phone=phone, code=code)


def test_it_refuses_an_expired_code(world: World) -> None:
    phone = world.sn_resident.phone or ""
    code = login_code_send(phone=phone) or ""
    LoginCode.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    with pytest.raises(RuleViolation, match="失效"):
        login_code_verify(phone=phone, code=code)


def test_it_stops_after_five_wrong_codes(world: World) -> None:
    phone = world.sn_resident.phone or ""
    code = login_code_send(phone=phone) or ""
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(4):
        with pytest.raises(RuleViolation, match="还可以再试"):
            login_code_verify(phone=phone, code=wrong)
    with pytest.raises(RuleViolation, match="过多"):
        login_code_verify(phone=phone, code=wrong)
    with pytest.raises(RuleViolation, match="过多"):
        login_code_verify(phone=phone, code=code)


def test_it_limits_codes_per_phone(world: World) -> None:
    phone = world.sn_resident.phone or ""
    login_code_send(phone=phone)
    with pytest.raises(RuleViolation, match="1 分钟"):
        login_code_send(phone=phone)
    LoginCode.objects.update(created_at=timezone.now() - timedelta(minutes=2))
    for _ in range(4):
        login_code_send(phone=phone)
        LoginCode.objects.update(created_at=timezone.now() - timedelta(minutes=2))
    with pytest.raises(RuleViolation, match="1 小时"):
        login_code_send(phone=phone)


def test_it_answers_an_unknown_phone_like_a_known_one(world: World) -> None:
    assert login_code_send(phone="13700000000") is None
    assert LoginCode.objects.filter(phone="13700000000").exists()


def test_the_login_page_shows_the_code_only_in_development(world: World, settings: Any) -> None:
    phone = world.sn_resident.phone or ""
    settings.DEBUG = True
    page = Client().post("/portal/login/", {"phone": phone})
    assert "开发环境提示" in page.content.decode()
    LoginCode.objects.all().delete()
    settings.DEBUG = False
    page = Client().post("/portal/login/", {"phone": phone})
    assert "开发环境提示" not in page.content.decode()
    assert "验证码已发送" in page.content.decode()


# --- a real OIDC provider on 127.0.0.1 --------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class FakeProvider:
    """Issues RS256 ID tokens for one citizen, like the provincial app would."""

    def __init__(self, id_number: str) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.id_number = id_number
        self.nonce = ""
        self.wrong_key = False
        self.server = HTTPServer(("127.0.0.1", 0), self._handler())
        self.base = f"http://127.0.0.1:{self.server.server_port}"

    def token(self) -> str:
        header = _b64(json.dumps({"alg": "RS256", "kid": "k1"}).encode())
        claims = {
            "iss": self.base,
            "aud": "zhiyin",
            "sub": "citizen-1",
            "exp": time.time() + 300,
            "nonce": self.nonce,
            "id_number": self.id_number,
        }
        body = _b64(json.dumps(claims).encode())
        key = (
            rsa.generate_private_key(public_exponent=65537, key_size=2048)
            if self.wrong_key
            else self.key
        )
        signature = key.sign(f"{header}.{body}".encode(), padding.PKCS1v15(), hashes.SHA256())
        return f"{header}.{body}.{_b64(signature)}"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def _json(self, data: dict[str, Any]) -> None:
                body = json.dumps(data).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                numbers = provider.key.public_key().public_numbers()
                n = numbers.n.to_bytes((numbers.n.bit_length() + 7) // 8, "big")
                e = numbers.e.to_bytes(3, "big")
                self._json({"keys": [{"kty": "RSA", "kid": "k1", "n": _b64(n), "e": _b64(e)}]})

            def do_POST(self) -> None:
                length = int(self.headers["Content-Length"])
                form = urllib.parse.parse_qs(self.rfile.read(length).decode())
                if form.get("code") != ["good-code"] or form.get("client_secret") != ["s3cret"]:
                    self.send_response(400)
                    self.end_headers()
                    return
                self._json(
                    {"access_token": "x", "token_type": "Bearer", "id_token": provider.token()}
                )

            def log_message(self, format: str, *args: Any) -> None:
                return

        return Handler


@pytest.fixture
def provider(world: World, settings: Any) -> Iterator[FakeProvider]:
    fake = FakeProvider(world.sn_resident.id_number or "")
    thread = threading.Thread(target=fake.server.serve_forever, daemon=True)
    thread.start()
    settings.PORTAL_OIDC = {
        "name": "海易办",
        "issuer": fake.base,
        "client_id": "zhiyin",
        "client_secret": "s3cret",
        "authorization_endpoint": f"{fake.base}/authorize",
        "token_endpoint": f"{fake.base}/token",
        "jwks_uri": f"{fake.base}/jwks",
    }
    yield fake
    fake.server.shutdown()
    fake.server.server_close()


def _start(client: Client, provider: FakeProvider) -> str:
    answer = client.get("/portal/login/idp/")
    assert answer.status_code == 302
    query = urllib.parse.parse_qs(urllib.parse.urlparse(answer["Location"]).query)
    provider.nonce = query["nonce"][0]
    return query["state"][0]


def test_it_logs_in_through_the_citizen_app(provider: FakeProvider, world: World) -> None:
    client = Client()
    state = _start(client, provider)
    answer = client.get("/portal/login/idp/callback/", {"code": "good-code", "state": state})
    assert answer.status_code == 302 and answer["Location"] == "/portal/"
    assert client.get("/portal/").status_code == 200


def test_it_refuses_a_token_signed_by_another_key(provider: FakeProvider) -> None:
    client = Client()
    provider.wrong_key = True
    state = _start(client, provider)
    answer = client.get("/portal/login/idp/callback/", {"code": "good-code", "state": state})
    assert answer["Location"] == "/portal/login/"
    assert client.get("/portal/").status_code == 302


def test_it_refuses_a_wrong_state_or_nonce(provider: FakeProvider) -> None:
    client = Client()
    _start(client, provider)
    answer = client.get("/portal/login/idp/callback/", {"code": "good-code", "state": "forged"})
    assert answer["Location"] == "/portal/login/"
    state = _start(client, provider)
    provider.nonce = "replayed"
    answer = client.get("/portal/login/idp/callback/", {"code": "good-code", "state": state})
    assert answer["Location"] == "/portal/login/"


def test_the_citizen_app_login_is_off_by_default(world: World) -> None:
    assert Client().get("/portal/login/idp/").status_code == 403
    assert "海易办" not in Client().get("/portal/login/").content.decode()
