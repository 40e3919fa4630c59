"""Bureau inbox, notification pages, the acknowledge API and the admin: the matrix."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core import mail
from django.db import transaction
from django.urls import reverse

from conftest import World, client_for
from zhiyin.audit.models import AuditEvent
from zhiyin.delivery.models import (
    Channel,
    DeliveryReceipt,
    DeliveryStatus,
    Notification,
    NotificationPreference,
    OutboxMessage,
    OutboxStatus,
)
from zhiyin.delivery.outbox import outbox_run, webhook_headers
from zhiyin.delivery.receiver import Receiver
from zhiyin.delivery.services import endpoint_register, notification_preference_set, notify
from zhiyin.delivery.tests.conftest import PDF, SECRET, seal_delivery
from zhiyin.orgs.models import Bureau

pytestmark = pytest.mark.django_db


def test_it_shows_the_bureau_inbox_only_to_officers_of_that_bureau(
    world: World, document: tuple[str, str]
) -> None:
    delivery = seal_delivery(world, document)
    urls = [
        reverse("bureau_inbox"),
        reverse("bureau_delivery_detail", args=[delivery.pk]),
        reverse("bureau_delivery_document", args=[delivery.pk]),
    ]
    for url in urls:
        response = client_for(None).get(url)
        assert response.status_code == 302 and "login" in response["Location"]
        for wrong in [world.sn_clerk, world.district_admin, world.inspector, world.sn_resident]:
            assert client_for(wrong).get(url).status_code == 403
    other = Bureau.objects.create(district=world.district, name="区民政局")
    from zhiyin.orgs.services import role_grant_create

    role_grant_create(person=world.bl_clerk, role="bureau_officer", bureau=other, by=None)
    outsider = client_for(world.bl_clerk)
    assert delivery.title not in outsider.get(urls[0]).content.decode()
    assert outsider.get(urls[1]).status_code == 404
    assert outsider.get(urls[2]).status_code == 404
    officer = client_for(world.officer)
    assert delivery.title in officer.get(urls[0]).content.decode()
    assert "下载文件" in officer.get(urls[1]).content.decode()
    response = officer.get(urls[2])
    assert b"".join(response.streaming_content) == PDF  # type: ignore[attr-defined]  # FileResponse
    assert AuditEvent.objects.filter(action="delivery.download", actor_id=world.officer.pk).exists()


def test_it_lets_an_officer_sign_for_a_delivery(world: World, document: tuple[str, str]) -> None:
    delivery = seal_delivery(world, document)
    ack = reverse("bureau_delivery_acknowledge", args=[delivery.pk])
    assert client_for(world.sn_clerk).post(ack).status_code == 403
    assert not DeliveryReceipt.objects.exists()
    response = client_for(world.officer).post(ack)
    assert response.status_code == 302
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED
    assert delivery.receipts.get().person == world.officer
    assert AuditEvent.objects.filter(action="delivery.receipt", actor_id=world.officer.pk).exists()


def _signed(body: dict[str, Any], secret: str = SECRET) -> tuple[bytes, dict[str, str]]:
    raw = json.dumps(body).encode()
    headers = webhook_headers(webhook_id="ack_1", secret=secret, body=raw)
    return raw, headers


def test_it_records_a_signed_acknowledgement_and_refuses_a_forged_one(
    world: World, document: tuple[str, str], receiver: Receiver
) -> None:
    endpoint_register(
        bureau=world.bureau, url=receiver.url, by=None, allow_private=True, secret=SECRET
    )
    delivery = seal_delivery(world, document)
    url = "/api/delivery/ack"
    raw, headers = _signed({"delivery_id": delivery.webhook_id}, secret="whsec_" + "B" * 32)
    response = client_for(None).post(url, raw, content_type="application/json", headers=headers)
    assert response.status_code == 401 and "签名无效" in response.json()["message"]
    raw, headers = _signed({"nothing": 1})
    assert (
        client_for(None)
        .post(url, raw, content_type="application/json", headers=headers)
        .status_code
        == 400
    )
    assert not DeliveryReceipt.objects.exists()
    raw, headers = _signed({"delivery_id": delivery.webhook_id, "note": "已入库"})
    response = client_for(None).post(url, raw, content_type="application/json", headers=headers)
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "delivered"
    receipt = DeliveryReceipt.objects.get()
    assert receipt.via == "ack" and receipt.evidence["note"] == "已入库"


def test_it_lists_a_persons_notifications_and_marks_them_read(world: World) -> None:
    with transaction.atomic():
        notify(person=world.sn_clerk, text="请处理 SN-2026-000001", link="/requests/1/")
        notify(person=world.sn_secretary, text="别人的通知")
    page = client_for(world.sn_clerk).get(reverse("notification_list"))
    body = page.content.decode()
    assert "请处理 SN-2026-000001" in body and "别人的通知" not in body
    assert client_for(None).get(reverse("notification_list")).status_code == 302
    client_for(world.sn_secretary).post(reverse("notification_read"))
    assert Notification.objects.filter(person=world.sn_clerk, read_at__isnull=True).count() == 1
    client_for(world.sn_clerk).post(reverse("notification_read"))
    assert not Notification.objects.filter(person=world.sn_clerk, read_at__isnull=True).exists()


def test_it_saves_preferences_and_sends_mail_and_sms_through_the_outbox(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    world.sn_clerk.email = "clerk@example.org"
    world.sn_clerk.save()
    response = client_for(world.sn_clerk).post(
        reverse("notification_preferences"), {"email": "on", "sms": "on"}
    )
    assert response.status_code == 302
    pref = NotificationPreference.objects.get(person=world.sn_clerk)
    assert pref.email and pref.sms and not pref.staff_platform
    with transaction.atomic():
        notify(person=world.sn_clerk, text="有新的待办", link="/requests/inbox/")
    assert mail.outbox == []  # nothing leaves inside the transaction
    channels = set(OutboxMessage.objects.values_list("channel", flat=True))
    assert channels == {Channel.EMAIL, Channel.SMS}
    outbox_run()
    assert mail.outbox[0].to == ["clerk@example.org"]
    assert "有新的待办" in mail.outbox[0].body
    assert "[SMS to " in capsys.readouterr().out
    assert set(OutboxMessage.objects.values_list("status", flat=True)) == {OutboxStatus.SENT}


def test_it_keeps_an_sms_for_later_when_the_provider_is_down(world: World, settings: Any) -> None:
    settings.SMS_SENDER = "zhiyin.delivery.tests.test_pages.DownSmsSender"
    notification_preference_set(person=world.sn_clerk, email=False, sms=True, staff_platform=False)
    with transaction.atomic():
        notify(person=world.sn_clerk, text="有新的待办")
    outbox_run(max_messages=1)
    message = OutboxMessage.objects.get(channel=Channel.SMS)
    assert message.status == OutboxStatus.PENDING and "网关" in message.last_error
    settings.SMS_SENDER = "zhiyin.delivery.sms.ConsoleSmsSender"
    outbox_run()
    message.refresh_from_db()
    assert message.status == OutboxStatus.SENT


class DownSmsSender:
    delivers = True

    def send_sms(self, *, phone: str, text: str) -> None:
        from zhiyin.delivery.sms import SmsError

        raise SmsError("短信网关不可用")


def test_it_pushes_a_signed_work_notice_to_the_staff_platform(world: World, settings: Any) -> None:
    import base64
    import hashlib
    import hmac
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    from urllib.parse import parse_qs, urlsplit

    seen: list[tuple[dict[str, list[str]], dict[str, Any]]] = []

    class Robot(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # stdlib name
            return

        def do_POST(self) -> None:  # stdlib name
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            seen.append((parse_qs(urlsplit(self.path).query), body))
            raw = b'{"errcode":0,"errmsg":"ok"}'
            self.send_response(200)
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Robot)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        settings.STAFF_PLATFORM_WEBHOOK_URL = (
            f"http://127.0.0.1:{server.server_address[1]}/robot/send?access_token=t"
        )
        settings.STAFF_PLATFORM_WEBHOOK_SECRET = "SECdemo"
        with transaction.atomic():
            notify(
                person=world.sn_secretary, text="村民提交冬季瓜菜种植补贴申请", link="/requests/"
            )
        outbox_run()
    finally:
        server.shutdown()
        server.server_close()
    query, body = seen[0]
    timestamp = query["timestamp"][0]
    expected = base64.b64encode(
        hmac.new(b"SECdemo", f"{timestamp}\nSECdemo".encode(), hashlib.sha256).digest()
    ).decode()
    assert query["sign"][0] == expected
    assert body["at"]["atMobiles"] == [world.sn_secretary.phone]
    assert "冬季瓜菜" in body["markdown"]["text"]
    assert OutboxMessage.objects.get().status == OutboxStatus.SENT


def test_it_shows_endpoints_and_deliveries_only_to_district_admins(
    world: World, document: tuple[str, str]
) -> None:
    delivery = seal_delivery(world, document)
    url = reverse("admin:delivery_delivery_changelist")
    assert client_for(world.sn_admin).get(url).status_code == 403
    assert client_for(world.officer).get(url).status_code in {302, 403}
    page = client_for(world.district_admin).get(url)
    assert page.status_code == 200 and delivery.webhook_id in page.content.decode()
    detail = reverse("admin:delivery_delivery_change", args=[delivery.pk])
    assert client_for(world.district_admin).get(detail).status_code == 200
    assert (
        client_for(world.district_admin)
        .get(reverse("admin:delivery_bureauendpoint_add"))
        .status_code
        == 200
    )


def test_a_resident_is_texted_by_default_and_not_offered_the_staff_platform(world: World) -> None:
    """Villagers read texts; the government staff app (政务工作平台) is for staff."""
    page = client_for(world.sn_resident).get(reverse("notification_list")).content.decode()
    assert 'name="sms"' in page and "checked" in page.split('name="sms"')[1].split(">")[0]
    assert 'name="staff_platform"' not in page
    with transaction.atomic():
        notify(person=world.sn_resident, text="您的申请已受理")
    assert set(OutboxMessage.objects.values_list("channel", flat=True)) == {Channel.SMS}
    client_for(world.sn_resident).post(
        reverse("notification_preferences"), {"sms": "on", "staff_platform": "on"}
    )
    pref = NotificationPreference.objects.get(person=world.sn_resident)
    assert pref.sms and not pref.staff_platform
    staff_page = client_for(world.sn_clerk).get(reverse("notification_list")).content.decode()
    assert 'name="staff_platform"' in staff_page
    assert "checked" not in staff_page.split('name="sms"')[1].split(">")[0]
