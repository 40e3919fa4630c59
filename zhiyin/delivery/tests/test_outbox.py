"""Bureau deliveries against a real HTTP receiver on 127.0.0.1."""

from __future__ import annotations

import base64
import hashlib
import time
from datetime import timedelta

import pytest
from django.db import transaction
from django.test import Client
from django.utils import timezone

from conftest import World
from zhiyin.audit.models import AuditEvent
from zhiyin.core.errors import RuleViolation
from zhiyin.delivery.models import (
    BureauEndpoint,
    Delivery,
    DeliveryAttempt,
    DeliveryStatus,
    Notification,
    OutboxMessage,
    OutboxStatus,
)
from zhiyin.delivery.outbox import outbox_claim, outbox_process, outbox_run
from zhiyin.delivery.receiver import Receiver
from zhiyin.delivery.selectors import delivery_status_for
from zhiyin.delivery.services import (
    delivery_document_sealed,
    delivery_replay,
    endpoint_register,
    endpoint_update,
)
from zhiyin.delivery.tests.conftest import PDF, seal_delivery

pytestmark = pytest.mark.django_db(transaction=True)


def test_it_delivers_a_signed_message_the_standardwebhooks_package_accepts(
    world: World, document: tuple[str, str], endpoint: BureauEndpoint, receiver: Receiver
) -> None:
    delivery = seal_delivery(world, document)
    assert outbox_run() == 1
    received = receiver.messages[delivery.webhook_id]
    assert received.headers["webhook-id"] == delivery.webhook_id
    assert received.body["type"] == "seal_request.sealed"
    data = received.body["data"]
    assert data["delivery_id"] == delivery.webhook_id
    assert data["request"]["number"] == "SN-2026-000001"
    assert data["document"]["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert receiver.rejected == 0
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED
    receipt = delivery.receipts.get()
    assert receipt.evidence["status_code"] == 200
    assert AuditEvent.objects.filter(action="delivery.receipt", target_id=str(delivery.pk)).exists()
    status = delivery_status_for(source_type="approvals.sealrequest", source_id=1)
    assert status.label == "已送达"


def test_it_serves_the_document_through_the_signed_link_until_it_expires(
    world: World,
    document: tuple[str, str],
    endpoint: BureauEndpoint,
    receiver: Receiver,
    settings: object,
) -> None:
    delivery = seal_delivery(world, document)
    outbox_run()
    link = receiver.messages[delivery.webhook_id].body["data"]["document"]["download_url"]
    path = link.removeprefix("http://testserver")
    response = Client().get(path)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF  # type: ignore[attr-defined]  # FileResponse streams
    assert Client().get(path[:-3] + "xyz/").status_code == 404
    settings.DELIVERY_LINK_MAX_AGE_SECONDS = 0  # type: ignore[attr-defined]  # pytest-django settings
    time.sleep(1.1)
    assert Client().get(path).status_code == 404


def test_it_puts_the_pdf_inline_when_the_endpoint_asks_for_it(
    world: World, document: tuple[str, str], endpoint: BureauEndpoint, receiver: Receiver
) -> None:
    endpoint_update(endpoint=endpoint, by=world.district_admin, inline_pdf=True)
    delivery = seal_delivery(world, document)
    outbox_run()
    sent = receiver.messages[delivery.webhook_id].body["data"]["document"]
    assert base64.b64decode(sent["content_base64"]) == PDF
    assert "download_url" not in sent


def test_it_delivers_exactly_once_after_a_receiver_answering_500_recovers(
    world: World, document: tuple[str, str], endpoint: BureauEndpoint, receiver: Receiver
) -> None:
    receiver.behaviour.status = 500
    delivery = seal_delivery(world, document)
    outbox_run(max_messages=2)
    assert receiver.calls == 2 and not receiver.messages
    receiver.behaviour.status = 200
    outbox_run()
    outbox_run()
    assert list(receiver.messages) == [delivery.webhook_id]
    attempts = DeliveryAttempt.objects.filter(message__delivery=delivery).order_by("number")
    assert [a.status_code for a in attempts] == [500, 500, 200]
    assert all(a.latency_ms is not None for a in attempts)
    assert "receiver unavailable" in attempts[0].response_excerpt


def test_it_delivers_once_a_receiver_that_was_down_comes_back(
    world: World, document: tuple[str, str], endpoint: BureauEndpoint, receiver: Receiver
) -> None:
    port = int(receiver.url.split(":")[2].split("/")[0])
    receiver.stop()
    delivery = seal_delivery(world, document)
    outbox_run(max_messages=1)
    attempt = DeliveryAttempt.objects.get(message__delivery=delivery)
    assert attempt.status_code is None and attempt.error
    receiver.start(port=port)
    outbox_run()
    assert list(receiver.messages) == [delivery.webhook_id]
    assert receiver.duplicates == 0


def test_it_counts_a_slow_answer_as_a_failure_and_retries_with_the_same_id(
    world: World, document: tuple[str, str], endpoint: BureauEndpoint, receiver: Receiver
) -> None:
    receiver.behaviour.delay_seconds = 2  # timeout is 1 s in these tests
    delivery = seal_delivery(world, document)
    outbox_run(max_messages=1)
    first = DeliveryAttempt.objects.get(message__delivery=delivery)
    assert "timeout" in first.error
    receiver.behaviour.delay_seconds = 0
    time.sleep(1.2)  # the slow request completes on the receiver's side
    outbox_run()
    assert list(receiver.messages) == [delivery.webhook_id]
    assert receiver.duplicates == 1  # the late first copy reached it too: same webhook-id
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED


def test_it_loses_nothing_when_a_worker_dies_mid_delivery(
    world: World, document: tuple[str, str], endpoint: BureauEndpoint, receiver: Receiver
) -> None:
    delivery = seal_delivery(world, document)
    crashed = outbox_claim(worker="worker-a")
    assert len(crashed) == 1
    assert outbox_claim(worker="worker-b") == []  # the lease holds
    OutboxMessage.objects.filter(pk=crashed[0].message_id).update(
        claimed_until=timezone.now() - timedelta(seconds=1)
    )
    claims = outbox_claim(worker="worker-b")
    assert [c.message_id for c in claims] == [crashed[0].message_id]
    outbox_process(claims[0], worker="worker-b")
    assert list(receiver.messages) == [delivery.webhook_id]
    lost = DeliveryAttempt.objects.get(pk=crashed[0].attempt_id)
    assert lost.finished_at is not None and "中断" in lost.error


def test_it_fails_after_the_schedule_warns_district_admins_and_replays(
    world: World, document: tuple[str, str], endpoint: BureauEndpoint, receiver: Receiver
) -> None:
    receiver.behaviour.status = 503
    delivery = seal_delivery(world, document)
    outbox_run()
    message = OutboxMessage.objects.get(delivery=delivery)
    assert message.status == OutboxStatus.FAILED and message.attempts == 4
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED
    warning = Notification.objects.get(person=world.district_admin, event="delivery.failed")
    assert "推送失败" in warning.text
    assert not Notification.objects.filter(person=world.sn_admin, event="delivery.failed")
    with pytest.raises(RuleViolation):
        delivery_replay(delivery=delivery, by=world.sn_admin)
    receiver.behaviour.status = 200
    assert delivery_replay(delivery=delivery, by=world.district_admin) == 1
    outbox_run()
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED
    assert list(receiver.messages) == [delivery.webhook_id]


def test_it_disables_an_endpoint_that_has_failed_for_days(
    world: World, document: tuple[str, str], endpoint: BureauEndpoint, receiver: Receiver
) -> None:
    receiver.behaviour.status = 500
    BureauEndpoint.objects.filter(pk=endpoint.pk).update(
        failing_since=timezone.now() - timedelta(days=4)
    )
    seal_delivery(world, document)
    outbox_run(max_messages=1)
    endpoint.refresh_from_db()
    assert not endpoint.active and "已自动停用" in endpoint.disabled_reason
    assert Notification.objects.filter(
        person=world.district_admin, event="bureau_endpoint.disabled"
    ).exists()


def test_it_refuses_private_addresses_at_registration_and_at_delivery(
    world: World, document: tuple[str, str], receiver: Receiver
) -> None:
    for url in ["http://127.0.0.1:9/x", "http://10.1.2.3/x", "http://169.254.169.254/latest"]:
        with pytest.raises(RuleViolation, match="内网"):
            endpoint_register(bureau=world.bureau, url=url, by=world.district_admin)
    with pytest.raises(RuleViolation, match="http"):
        endpoint_register(bureau=world.bureau, url="ftp://example.org/", by=world.district_admin)
    assert not BureauEndpoint.objects.exists()
    # A name that passed the check once and now points inside (DNS rebinding) is refused
    # when the message is sent.
    sneaky = BureauEndpoint.objects.create(
        bureau=world.bureau, url=receiver.url, secret="whsec_" + "A" * 32, allow_private=False
    )
    delivery = seal_delivery(world, document)
    outbox_run(max_messages=1)
    attempt = DeliveryAttempt.objects.get(message__endpoint=sneaky)
    assert "内网" in attempt.error
    assert receiver.calls == 0
    assert Delivery.objects.get(pk=delivery.pk).status == DeliveryStatus.PENDING


def test_it_lets_only_a_district_admin_register_or_allow_private(
    world: World, receiver: Receiver
) -> None:
    for person in [world.sn_admin, world.officer, world.sn_clerk]:
        with pytest.raises(RuleViolation, match="区系统管理员"):
            endpoint_register(bureau=world.bureau, url=receiver.url, by=person, allow_private=True)
    assert not BureauEndpoint.objects.exists()


def test_it_does_not_deliver_what_was_rolled_back(
    world: World, document: tuple[str, str], endpoint: BureauEndpoint
) -> None:
    def sealing_that_fails() -> None:
        with transaction.atomic():
            delivery_document_sealed(
                bureau=world.bureau,
                event_payload={},
                document_path=document[0],
                document_sha256=document[1],
                source_type="approvals.sealrequest",
                source_id=9,
            )
            raise RuleViolation("盖章失败")

    with pytest.raises(RuleViolation):
        sealing_that_fails()
    assert not OutboxMessage.objects.exists() and not Delivery.objects.exists()
