"""Rotating a bureau endpoint's webhook secret without losing a delivery: during the
overlap every message carries a signature under each secret (a receiver with either
accepts it) and acknowledgements under either count; afterwards only the new one does."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from conftest import World
from zhiyin.audit.models import AuditEvent
from zhiyin.core.errors import RuleViolation
from zhiyin.delivery.models import BureauEndpoint, DeliveryReceipt
from zhiyin.delivery.outbox import outbox_run
from zhiyin.delivery.receiver import Receiver
from zhiyin.delivery.rotation import endpoint_secret_rotate
from zhiyin.delivery.services import (
    AcknowledgementRefused,
    delivery_acknowledge_signed,
    endpoint_update,
)
from zhiyin.delivery.tests.conftest import SECRET, seal_delivery


def _ack(delivery_id: str, secret: str) -> DeliveryReceipt:
    body = json.dumps({"delivery_id": delivery_id}).encode()
    now = datetime.now(tz=UTC)
    signature = Webhook(secret).sign(msg_id="ack_1", timestamp=now, data=body.decode())
    headers = {
        "webhook-id": "ack_1",
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": signature,
    }
    return delivery_acknowledge_signed(body=body, headers=headers)


def test_old_and_new_secret_are_both_valid_until_the_end_time(
    world: World, document: tuple[str, str], endpoint: BureauEndpoint, receiver: Receiver
) -> None:
    rotated = endpoint_secret_rotate(
        endpoint=endpoint, by=world.district_admin, overlap=timedelta(days=7)
    )
    new_secret = rotated.secret
    assert new_secret != SECRET and rotated.previous_secret == SECRET

    # The bureau has not installed the new secret yet: it still accepts the deliveries.
    first = seal_delivery(world, document, source_id=1)
    outbox_run()
    assert first.webhook_id in receiver.messages and receiver.rejected == 0
    signatures = receiver.messages[first.webhook_id].headers["webhook-signature"].split()
    assert len(signatures) == 2

    # The bureau switches to the new secret within the overlap: accepted as well, and its
    # acknowledgements under either secret count.
    switched = Receiver(secret=new_secret).start()
    try:
        endpoint_update(endpoint=rotated, by=world.district_admin, url=switched.url)
        second = seal_delivery(world, document, source_id=2)
        outbox_run()
        assert second.webhook_id in switched.messages and switched.rejected == 0
        _ack(first.webhook_id, SECRET)
        _ack(second.webhook_id, new_secret)
        assert DeliveryReceipt.objects.filter(via="ack").count() == 2

        # After the end time only the new secret signs and counts.
        BureauEndpoint.objects.filter(pk=endpoint.pk).update(
            previous_secret_until=timezone.now() - timedelta(seconds=1)
        )
        third = seal_delivery(world, document, source_id=3)
        outbox_run()
        headers = switched.messages[third.webhook_id].headers
        assert len(headers["webhook-signature"].split()) == 1
        with pytest.raises(AcknowledgementRefused):
            _ack(third.webhook_id, SECRET)
    finally:
        switched.stop()
    endpoint_update(
        endpoint=BureauEndpoint.objects.get(pk=endpoint.pk),
        by=world.district_admin,
        url=receiver.url,
    )
    fourth = seal_delivery(world, document, source_id=4)
    outbox_run(max_messages=1)
    assert fourth.webhook_id not in receiver.messages and receiver.rejected == 1


def test_only_a_district_admin_rotates_and_the_secrets_stay_out_of_the_log(
    world: World, endpoint: BureauEndpoint
) -> None:
    with pytest.raises(RuleViolation, match="只有区系统管理员"):
        endpoint_secret_rotate(endpoint=endpoint, by=world.sn_clerk)
    with pytest.raises(RuleViolation, match="0 到 90 天"):
        endpoint_secret_rotate(
            endpoint=endpoint, by=world.district_admin, overlap=timedelta(days=91)
        )
    assert BureauEndpoint.objects.get(pk=endpoint.pk).secret == SECRET
    rotated = endpoint_secret_rotate(endpoint=endpoint, by=world.district_admin)
    event = AuditEvent.objects.get(action="bureau_endpoint.secret_rotated")
    assert event.actor_id == world.district_admin.pk
    assert SECRET not in event.after and rotated.secret not in event.after


def test_the_command_prints_the_new_secret_once(endpoint: BureauEndpoint) -> None:
    out, err = StringIO(), StringIO()
    call_command("webhook_secret_rotate", str(endpoint.pk), "--days", "2", stdout=out, stderr=err)
    endpoint.refresh_from_db()
    assert out.getvalue().strip() == endpoint.secret and endpoint.previous_secret == SECRET
    assert endpoint.previous_secret_until is not None
    assert (
        timedelta(days=1.9) < endpoint.previous_secret_until - timezone.now() <= timedelta(days=2)
    )
    assert "旧密钥有效至" in err.getvalue()
