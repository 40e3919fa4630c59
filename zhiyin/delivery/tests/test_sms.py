"""The one SMS interface: the signed-HTTP gateway adapter against a real local gateway
(signature, retries, honest failure), both users of it (notifications through the outbox,
residents' login codes), and the refusal of development senders when DEBUG is off."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.db import transaction

from conftest import World
from zhiyin.delivery.checks import sms_senders_check
from zhiyin.delivery.models import Channel, DeliveryAttempt, OutboxMessage, OutboxStatus
from zhiyin.delivery.outbox import outbox_run
from zhiyin.delivery.services import notification_preference_set, notify
from zhiyin.delivery.sms import HttpSmsSender, SmsError, sms_signature
from zhiyin.portal.services.login import login_code_send

KEY = "zhiyin-village"
SECRET = "gateway-secret-0123456789abcdef"
HTTP_SENDER = "zhiyin.delivery.sms.HttpSmsSender"


@dataclass
class Gateway:
    """A local SMS gateway: checks the signature like a provider would, answers the
    statuses queued in `answers` (then 200), and keeps what it accepted."""

    url: str = ""
    answers: list[int] = field(default_factory=list)
    received: list[dict[str, Any]] = field(default_factory=list)
    refused_signatures: int = 0


@pytest.fixture
def gateway() -> Iterator[Gateway]:
    state = Gateway()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            timestamp = self.headers.get("X-Sms-Timestamp", "")
            expected = hmac.new(
                SECRET.encode(), timestamp.encode() + b"." + body, hashlib.sha256
            ).hexdigest()
            fresh = timestamp.isdigit() and abs(time.time() - int(timestamp)) < 300
            if (
                self.headers.get("X-Sms-Key") != KEY
                or not fresh
                or not hmac.compare_digest(expected, self.headers.get("X-Sms-Signature", ""))
            ):
                state.refused_signatures += 1
                self._answer(401, {"error": "bad signature"})
                return
            status = state.answers.pop(0) if state.answers else 200
            if status == 200:
                state.received.append(json.loads(body))
            self._answer(status, {"ok": status == 200, "message_id": "m-1"})

        def _answer(self, status: int, payload: dict[str, Any]) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/sms/send"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def gateway_settings(settings: Any, gateway: Gateway) -> Gateway:
    settings.SMS_SENDER = HTTP_SENDER
    settings.PORTAL_CODE_SENDER = HTTP_SENDER
    settings.SMS_GATEWAY_URL = gateway.url
    settings.SMS_GATEWAY_KEY = KEY
    settings.SMS_GATEWAY_SECRET = SECRET
    settings.SMS_GATEWAY_TIMEOUT_SECONDS = 2
    settings.SMS_GATEWAY_ATTEMPTS = 2
    return gateway


def test_the_gateway_gets_a_signed_message(gateway_settings: Gateway) -> None:
    receipt = HttpSmsSender().send_sms(phone="13900000001", text="【智印】测试")
    assert receipt.sent and receipt.status_code == 200 and "m-1" in receipt.note
    assert gateway_settings.received[0]["phone"] == "13900000001"
    assert gateway_settings.received[0]["text"] == "【智印】测试"
    assert gateway_settings.refused_signatures == 0
    assert (
        sms_signature(secret="k", timestamp="1", body=b"{}")
        == hmac.new(b"k", b"1.{}", hashlib.sha256).hexdigest()
    )


def test_a_wrong_secret_is_refused_and_reported(gateway_settings: Gateway) -> None:
    sender = HttpSmsSender(secret="not-the-secret")
    with pytest.raises(SmsError) as refused:
        sender.send_sms(phone="13900000001", text="x")
    assert refused.value.status_code == 401 and refused.value.attempts == 1
    assert gateway_settings.refused_signatures == 1 and not gateway_settings.received


def test_a_busy_gateway_is_tried_again_and_then_reported(gateway_settings: Gateway) -> None:
    gateway_settings.answers = [503]
    assert HttpSmsSender().send_sms(phone="13900000001", text="x").status_code == 200
    assert len(gateway_settings.received) == 1

    gateway_settings.answers = [503, 502]
    with pytest.raises(SmsError) as down:
        HttpSmsSender().send_sms(phone="13900000001", text="x")
    assert down.value.status_code == 502 and down.value.attempts == 2
    assert "HTTP 502" in str(down.value)


def test_an_unreachable_gateway_is_reported_without_a_status() -> None:
    sender = HttpSmsSender(
        url="http://127.0.0.1:9/sms", key=KEY, secret=SECRET, timeout=1, attempts=1
    )
    with pytest.raises(SmsError) as unreachable:
        sender.send_sms(phone="13900000001", text="x")
    assert unreachable.value.status_code is None and "unreachable" in str(unreachable.value)


def _sms_outbox(world: World) -> OutboxMessage:
    notification_preference_set(person=world.sn_clerk, email=False, sms=True, staff_platform=False)
    with transaction.atomic():
        notify(person=world.sn_clerk, text="有新的待办", link="/requests/inbox/")
    return OutboxMessage.objects.get(channel=Channel.SMS)


@pytest.mark.django_db
def test_notifications_record_what_the_gateway_answered(
    world: World, gateway_settings: Gateway
) -> None:
    gateway_settings.answers = [500, 500]
    message = _sms_outbox(world)
    outbox_run(max_messages=1)
    message.refresh_from_db()
    failed = DeliveryAttempt.objects.get(message=message)
    assert message.status == OutboxStatus.PENDING and "HTTP 500" in message.last_error
    assert failed.status_code == 500 and not failed.success and "2 attempt" in failed.error

    outbox_run()
    message.refresh_from_db()
    sent = DeliveryAttempt.objects.filter(message=message).order_by("-number").first()
    assert message.status == OutboxStatus.SENT
    assert sent is not None and sent.status_code == 200 and sent.success
    assert gateway_settings.received[0]["phone"] == world.sn_clerk.phone
    assert gateway_settings.received[0]["text"].startswith("【智印】有新的待办")


@pytest.mark.django_db
def test_the_console_sender_records_no_status(
    world: World, settings: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    settings.SMS_SENDER = "zhiyin.delivery.sms.ConsoleSmsSender"
    message = _sms_outbox(world)
    outbox_run()
    attempt = DeliveryAttempt.objects.get(message=message)
    assert attempt.status_code is None and "not sent" in attempt.response_excerpt
    assert "[SMS to " in capsys.readouterr().out


@pytest.mark.django_db
def test_login_codes_go_through_the_same_gateway(
    world: World, gateway_settings: Gateway, django_capture_on_commit_callbacks: Any
) -> None:
    phone = str(world.sn_resident.phone)
    with django_capture_on_commit_callbacks(execute=True):
        code = login_code_send(phone=phone)
    assert code is not None
    assert gateway_settings.received == [
        {
            "phone": phone,
            "text": gateway_settings.received[0]["text"],
            "id": gateway_settings.received[0]["id"],
        }
    ]
    assert code in gateway_settings.received[0]["text"]


@pytest.mark.django_db
def test_a_failed_login_code_is_logged_not_a_server_error(
    world: World,
    gateway_settings: Gateway,
    django_capture_on_commit_callbacks: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    gateway_settings.answers = [503, 503]
    with django_capture_on_commit_callbacks(execute=True):
        login_code_send(phone=str(world.sn_resident.phone))
    assert "not sent after 2 attempt(s)" in caplog.text and "HTTP 503" in caplog.text


def test_development_senders_are_refused_when_debug_is_off(settings: Any) -> None:
    settings.DEBUG = False
    settings.SMS_SENDER = "zhiyin.delivery.sms.ConsoleSmsSender"
    settings.PORTAL_CODE_SENDER = "zhiyin.delivery.sms.LogSmsSender"
    problems = sms_senders_check()
    assert [p.id for p in problems] == ["zhiyin.E001", "zhiyin.E001"]
    assert "SMS_SENDER" in problems[0].msg and "PORTAL_CODE_SENDER" in problems[1].msg

    settings.SMS_SENDER = settings.PORTAL_CODE_SENDER = HTTP_SENDER
    settings.SMS_GATEWAY_URL = ""
    assert [p.id for p in sms_senders_check()] == ["zhiyin.E002", "zhiyin.E002"]
    settings.SMS_GATEWAY_URL = "https://sms.example/send"
    settings.SMS_GATEWAY_KEY, settings.SMS_GATEWAY_SECRET = KEY, SECRET
    assert sms_senders_check() == []

    settings.DEBUG = True
    settings.SMS_SENDER = "zhiyin.delivery.sms.ConsoleSmsSender"
    assert sms_senders_check() == []
    settings.SMS_SENDER = "zhiyin.delivery.sms.NoSuchSender"
    assert [p.id for p in sms_senders_check()] == ["zhiyin.E002"]


def test_production_start_up_refuses_the_console_sender(settings: Any) -> None:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DEBUG", "SMS_", "PORTAL_"))},
        "DJANGO_SETTINGS_MODULE": "zhiyin.settings",
        "DEBUG": "false",
        "SECRET_KEY": "k" * 60,
        "SEAL_KEK": "ab" * 32,
        "AUDIT_SIGNING_KEY": base64.b64encode(bytes(range(32))).decode(),
    }
    start = [sys.executable, "-c", "import django; django.setup()"]
    refused = subprocess.run(
        start, env=env, capture_output=True, text=True, cwd=settings.BASE_DIR, check=False
    )
    assert refused.returncode != 0
    assert "SMS_SENDER='zhiyin.delivery.sms.ConsoleSmsSender' only prints" in refused.stderr
    configured = {
        **env,
        "SMS_SENDER": HTTP_SENDER,
        "SMS_GATEWAY_URL": "https://sms.example/send",
        "SMS_GATEWAY_KEY": KEY,
        "SMS_GATEWAY_SECRET": SECRET,
    }
    started = subprocess.run(
        start, env=configured, capture_output=True, text=True, cwd=settings.BASE_DIR, check=False
    )
    assert started.returncode == 0, started.stderr
