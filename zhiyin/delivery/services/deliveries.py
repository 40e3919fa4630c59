"""Deliveries to bureaus: recorded with one outbox message per subscribing endpoint in
the domain's transaction, receipts (inbox signature or signed acknowledgement), replays,
downloads on the record, and time-limited signed links to a delivered document."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import uuid4

from django.conf import settings
from django.core.files.storage import default_storage
from django.core.signing import BadSignature, TimestampSigner
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from standardwebhooks.webhooks import (
    Webhook,
    WebhookVerificationError,
)

from zhiyin.audit.services import audit_record, audit_sensitive_read
from zhiyin.core.actors import Actor, BureauRef
from zhiyin.core.errors import RuleViolation
from zhiyin.delivery.directory import is_district_admin
from zhiyin.delivery.models import (
    BureauEndpoint,
    Channel,
    Delivery,
    DeliveryReceipt,
    DeliveryStatus,
    OutboxMessage,
    OutboxStatus,
    ReceiptVia,
)
from zhiyin.delivery.services.endpoints import event_types_clean

logger = logging.getLogger(__name__)


#: The event a bureau receives when a seal request's document has been sealed.
EVENT_DOCUMENT_SEALED = "seal_request.sealed"


@dataclass(frozen=True)
class DocumentRef:
    """Where the document to deliver is stored (Django storage name) and its SHA-256."""

    path: str
    sha256: str
    filename: str = ""
    content_type: str = "application/pdf"


def _kick_worker() -> None:
    """Ask a worker to run the outbox now (the 0 s first attempt). Missing the kick only
    delays the message to the next periodic pass."""
    if not getattr(settings, "DELIVERY_KICK_WORKER", True):
        return
    from zhiyin.delivery.tasks import outbox_dispatch  # tasks import services: import here

    try:
        outbox_dispatch.enqueue()
    except Exception:  # a queue hiccup must not fail the committed change
        logger.exception("could not enqueue outbox_dispatch; the periodic pass will deliver")


def delivery_create(
    *,
    event_type: str,
    bureau: BureauRef,
    payload: dict[str, Any],
    source_type: str,
    source_id: str | int,
    title: str = "",
    document: DocumentRef | None = None,
    audit_log: str = "",
) -> Delivery:
    """Record that `bureau` must receive this event, with one outbox message per active
    endpoint that subscribes to it. Call inside the domain transaction (the outbox row
    commits with the decision or not at all); `audit_log` is the caller's audit log (its
    district's), where the delivery's event goes with the decision's."""
    if not connection.in_atomic_block:
        raise RuntimeError("delivery_create must run inside the transaction of the change")
    event_types_clean([event_type])
    try:
        json.dumps(payload)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"delivery payload must be JSON: {exc}") from exc
    size = None
    if document is not None:
        if len(document.sha256) != 64:
            raise ValueError("document sha256 must be 64 hex digits")
        try:
            size = default_storage.size(document.path)
        except OSError:
            size = None
    delivery = Delivery.objects.create(
        webhook_id=f"msg_{uuid4().hex}",
        bureau_id=bureau.id,
        event_type=event_type,
        payload=payload,
        title=title[:200],
        document_path=document.path if document else "",
        document_sha256=document.sha256 if document else "",
        document_size=size,
        source_type=source_type[:60],
        source_id=str(source_id)[:40],
    )
    if document is not None and document.filename:
        delivery.payload = {**payload, "_filename": document.filename[:200]}
        delivery.save(update_fields=["payload"])
    now = timezone.now()
    first = timedelta(seconds=retry_schedule()[0])
    endpoints = [
        e
        for e in BureauEndpoint.objects.filter(bureau_id=bureau.id, active=True)
        if e.subscribes(event_type)
    ]
    OutboxMessage.objects.bulk_create(
        OutboxMessage(
            channel=Channel.WEBHOOK,
            delivery=delivery,
            endpoint=endpoint,
            event=event_type,
            next_attempt_at=now + first,
        )
        for endpoint in endpoints
    )
    audit_record(
        actor=None,
        action="delivery.create",
        target=delivery,
        after={
            "webhook_id": delivery.webhook_id,
            "bureau": bureau.id,
            "event_type": event_type,
            "source": f"{delivery.source_type}:{delivery.source_id}",
            "document_sha256": delivery.document_sha256,
            "endpoints": [e.pk for e in endpoints],
        },
        scope=bureau.name,
        target_label=title[:200],
        log=audit_log,
    )
    if endpoints:
        transaction.on_commit(_kick_worker)
    return delivery


def delivery_document_sealed(
    *,
    bureau: BureauRef,
    event_payload: dict[str, Any],
    document_path: str,
    document_sha256: str,
    source_type: str,
    source_id: str | int,
    title: str = "",
    filename: str = "",
    audit_log: str = "",
) -> Delivery:
    """What sealing calls when a request is sealed: send the sealed PDF to `bureau`
    (event `seal_request.sealed`). Same transaction rules as `delivery_create`."""
    return delivery_create(
        audit_log=audit_log,
        event_type=EVENT_DOCUMENT_SEALED,
        bureau=bureau,
        payload=event_payload,
        source_type=source_type,
        source_id=source_id,
        title=title,
        document=DocumentRef(path=document_path, sha256=document_sha256, filename=filename),
    )


def retry_schedule() -> list[int]:
    """Seconds to wait before each attempt; its length is the number of attempts."""
    schedule = [int(s) for s in settings.DELIVERY_RETRY_SCHEDULE]
    return schedule or [0]


@transaction.atomic
def delivery_receipt_record(
    *,
    delivery: Delivery,
    via: str,
    evidence: dict[str, Any],
    endpoint: BureauEndpoint | None = None,
    by: Actor | None = None,
    role: str = "",
) -> DeliveryReceipt:
    """Keep the evidence that the bureau has the delivery and mark it delivered."""
    delivery = Delivery.objects.select_for_update().get(pk=delivery.pk)
    receipt = DeliveryReceipt.objects.create(
        delivery=delivery,
        via=via,
        endpoint=endpoint,
        person_id=by.id if by is not None else None,
        evidence=evidence,
    )
    before = {"status": delivery.status}
    if delivery.status != DeliveryStatus.DELIVERED:
        delivery.status = DeliveryStatus.DELIVERED
        delivery.delivered_at = receipt.received_at
        delivery.save(update_fields=["status", "delivered_at"])
    audit_record(
        actor=by,
        action="delivery.receipt",
        target=delivery,
        before=before,
        after={"status": delivery.status, "via": via, "receipt": receipt.pk, **evidence},
        role=role if by is not None else "",
        scope=delivery.bureau.name,
        target_label=delivery.title or delivery.webhook_id,
    )
    return receipt


def delivery_acknowledge_inbox(
    *, delivery: Delivery, by: Actor | None, role: str = ""
) -> DeliveryReceipt:
    """A bureau officer signs for a delivery in the bureau inbox (caller has scoped it);
    `role` is the one they act in, for the log."""
    return delivery_receipt_record(
        delivery=delivery,
        via=ReceiptVia.INBOX,
        by=by,
        role=role,
        evidence={"officer": getattr(by, "real_name", "") or str(by)},
    )


def delivery_acknowledge_signed(*, body: bytes, headers: dict[str, str]) -> DeliveryReceipt:
    """The acknowledge API: `body` is JSON `{"delivery_id": "msg_…"}` signed like a
    Standard Webhooks message with the secret of one of the bureau's endpoints."""
    try:
        data = json.loads(body or b"{}")
    except ValueError as exc:
        raise RuleViolation(_("回执内容必须是 JSON。")) from exc
    delivery_id = data.get("delivery_id") if isinstance(data, dict) else None
    if not isinstance(delivery_id, str) or not delivery_id:
        raise RuleViolation(_("回执缺少 delivery_id。"))
    delivery = Delivery.objects.filter(webhook_id=delivery_id).first()
    if delivery is None:
        raise AcknowledgementRefused(_("签名无效或推送编号不存在。"))
    for endpoint in BureauEndpoint.objects.filter(bureau_id=delivery.bureau_id):
        if not _signed_by(endpoint, body, headers):
            continue
        return delivery_receipt_record(
            delivery=delivery,
            via=ReceiptVia.ACKNOWLEDGEMENT,
            endpoint=endpoint,
            evidence={
                "ack_webhook_id": headers.get("webhook-id", "")[:100],
                "ack_timestamp": headers.get("webhook-timestamp", "")[:20],
                "note": str(data.get("note", ""))[:200],
            },
        )
    raise AcknowledgementRefused(_("签名无效或推送编号不存在。"))


def _signed_by(endpoint: BureauEndpoint, body: bytes, headers: dict[str, str]) -> bool:
    """Signed with the endpoint's secret, or during a rotation its previous one."""
    from zhiyin.delivery.rotation import endpoint_secrets

    for secret in endpoint_secrets(endpoint):
        try:
            Webhook(secret).verify(body, headers, json_parse=False)
        except WebhookVerificationError:
            continue
        return True
    return False


class AcknowledgementRefused(RuleViolation):
    """The acknowledgement's signature matched no endpoint of the delivery's bureau."""


@transaction.atomic
def delivery_replay(*, delivery: Delivery, by: Actor | None, role: str = "") -> int:
    """Send a failed (or any) delivery again to every endpoint it was meant for, with the
    same webhook-id; returns how many outbox messages were re-armed. A person must be an
    admin of the bureau's district; `role` is the one they act in, for the log."""
    delivery = Delivery.objects.select_for_update().get(pk=delivery.pk)
    if by is not None and not is_district_admin(by, delivery.bureau.district_id):
        raise RuleViolation(_("只有区系统管理员可以重新推送。"))
    now = timezone.now()
    rearmed = OutboxMessage.objects.filter(
        delivery=delivery, status__in=[OutboxStatus.FAILED, OutboxStatus.PENDING]
    ).update(
        status=OutboxStatus.PENDING,
        attempts=0,
        next_attempt_at=now,
        claimed_by="",
        claimed_until=None,
        finished_at=None,
    )
    existing = set(delivery.messages.values_list("endpoint_id", flat=True))
    fresh = [
        e
        for e in BureauEndpoint.objects.filter(bureau_id=delivery.bureau_id, active=True)
        if e.subscribes(delivery.event_type) and e.pk not in existing
    ]
    OutboxMessage.objects.bulk_create(
        OutboxMessage(
            channel=Channel.WEBHOOK,
            delivery=delivery,
            endpoint=e,
            event=delivery.event_type,
            next_attempt_at=now,
        )
        for e in fresh
    )
    before = {"status": delivery.status}
    if delivery.status == DeliveryStatus.FAILED:
        delivery.status = DeliveryStatus.PENDING
        delivery.save(update_fields=["status"])
    audit_record(
        actor=by,
        action="delivery.replay",
        target=delivery,
        before=before,
        after={"status": delivery.status, "messages": rearmed + len(fresh)},
        role=role if by is not None else "",
        scope=delivery.bureau.name,
        target_label=delivery.title or delivery.webhook_id,
    )
    transaction.on_commit(_kick_worker)
    return rearmed + len(fresh)


def delivery_download_record(*, delivery: Delivery, by: Actor | None, via: str) -> None:
    """A document handed out (bureau inbox or signed link) is on the record."""
    audit_sensitive_read(
        actor=by,
        action="delivery.download",
        target=delivery,
        detail={"via": via, "sha256": delivery.document_sha256},
    )


_LINK_SALT = "zhiyin.delivery.document"


def document_link_token(delivery: Delivery) -> str:
    """The signed token naming a delivery in its download link; it expires after
    `DELIVERY_LINK_MAX_AGE_SECONDS`."""
    return TimestampSigner(salt=_LINK_SALT).sign(delivery.webhook_id)


def document_link(delivery: Delivery) -> tuple[str, datetime]:
    """An absolute, time-limited download URL for the delivery's document and its expiry."""
    path = reverse("delivery_document", args=[document_link_token(delivery)])
    expires = timezone.now() + timedelta(seconds=settings.DELIVERY_LINK_MAX_AGE_SECONDS)
    return f"{settings.PUBLIC_BASE_URL}{path}", expires


def document_link_open(token: str) -> Delivery | None:
    """The delivery a still-valid token names, else None."""
    try:
        webhook_id = TimestampSigner(salt=_LINK_SALT).unsign(
            token, max_age=settings.DELIVERY_LINK_MAX_AGE_SECONDS
        )
    except BadSignature:
        return None
    return Delivery.objects.filter(webhook_id=webhook_id).exclude(document_path="").first()
