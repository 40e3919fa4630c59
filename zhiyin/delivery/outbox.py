"""The outbox worker: claim due messages, send them, record what happened.

Safe with any number of workers on any number of machines. A claim is a short
transaction: due rows are picked with `SELECT … FOR UPDATE SKIP LOCKED` (PostgreSQL; on
SQLite the IMMEDIATE transaction already serializes writers) and each is taken by a
conditional UPDATE that only succeeds while nobody holds a live lease. Sending happens
outside any transaction; the result is written in a second short transaction that only
touches the row if this worker still holds it. A worker killed between the two leaves a
lease that runs out, after which another worker sends the message again with the same
`webhook-id`, so the receiver can drop the duplicate.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import uuid4

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from standardwebhooks.webhooks import Webhook

from zhiyin.audit.services import audit_record
from zhiyin.delivery.channels import DELIVERERS
from zhiyin.delivery.directory import district_admins
from zhiyin.delivery.models import (
    BureauEndpoint,
    Channel,
    Delivery,
    DeliveryAttempt,
    DeliveryStatus,
    OutboxMessage,
    OutboxStatus,
    ReceiptVia,
)
from zhiyin.delivery.rotation import endpoint_secrets
from zhiyin.delivery.services import (
    delivery_receipt_record,
    document_link,
    notify,
    retry_schedule,
)
from zhiyin.delivery.transport import Response, post_json

logger = logging.getLogger(__name__)


def worker_name() -> str:
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid4().hex[:8]}"


def _lease() -> timedelta:
    return timedelta(seconds=settings.DELIVERY_LEASE_SECONDS)


def _free(now: datetime) -> Q:
    return Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)


@dataclass(frozen=True)
class Claim:
    message_id: int
    attempt_id: int
    number: int


def outbox_claim(*, worker: str, limit: int = 10) -> list[Claim]:
    """Take up to `limit` due messages for `worker` until its lease runs out."""
    now = timezone.now()
    claims: list[Claim] = []
    with transaction.atomic():
        due = list(
            OutboxMessage.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(_free(now), status=OutboxStatus.PENDING, next_attempt_at__lte=now)
            .order_by("next_attempt_at", "pk")
            .values_list("pk", flat=True)[:limit]
        )
        for pk in due:
            taken = OutboxMessage.objects.filter(
                _free(now), pk=pk, status=OutboxStatus.PENDING
            ).update(
                claimed_by=worker,
                claimed_until=now + _lease(),
                attempts=F("attempts") + 1,
            )
            if not taken:
                continue
            # An attempt left open by a worker that died is closed now, as evidence.
            DeliveryAttempt.objects.filter(message_id=pk, finished_at__isnull=True).update(
                finished_at=now, error=_("处理进程中断，租约到期后由其他进程重试。")
            )
            number = OutboxMessage.objects.values_list("attempts", flat=True).get(pk=pk)
            attempt = DeliveryAttempt.objects.create(
                message_id=pk, number=number, worker=worker, started_at=now
            )
            claims.append(Claim(message_id=pk, attempt_id=attempt.pk, number=number))
    return claims


def webhook_body(delivery: Delivery, endpoint: BureauEndpoint) -> bytes:
    """The JSON a bureau receives (schema in docs/integration.md)."""
    payload = dict(delivery.payload)
    filename = str(payload.pop("_filename", "")) or f"{delivery.webhook_id}.pdf"
    data: dict[str, object] = {
        "delivery_id": delivery.webhook_id,
        "bureau": {"id": delivery.bureau_id, "name": delivery.bureau.name},
        "source": {"type": delivery.source_type, "id": delivery.source_id},
        "title": delivery.title,
        **payload,
    }
    if delivery.document_path:
        document: dict[str, object] = {
            "sha256": delivery.document_sha256,
            "size": delivery.document_size,
            "filename": filename,
            "content_type": "application/pdf",
        }
        if endpoint.inline_pdf:
            with default_storage.open(delivery.document_path, "rb") as handle:
                document["content_base64"] = base64.b64encode(handle.read()).decode()
        else:
            url, expires = document_link(delivery)
            document["download_url"] = url
            document["download_expires_at"] = expires.astimezone(UTC).isoformat()
        data["document"] = document
    body = {
        "type": delivery.event_type,
        "timestamp": delivery.created_at.astimezone(UTC).isoformat(),
        "data": data,
    }
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


def webhook_headers(
    *, webhook_id: str, secret: str, body: bytes, more_secrets: Sequence[str] = ()
) -> dict[str, str]:
    """Standard Webhooks headers; with `more_secrets` (a rotation) the signature header
    carries one signature per secret, space-separated, and either verifies."""
    now = datetime.now(tz=UTC)
    signature = " ".join(
        Webhook(each).sign(msg_id=webhook_id, timestamp=now, data=body.decode())
        for each in (secret, *more_secrets)
    )
    return {
        "webhook-id": webhook_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": signature,
    }


def _send(message: OutboxMessage) -> Response:
    if message.channel != Channel.WEBHOOK:
        return DELIVERERS[message.channel].deliver(message)
    endpoint = message.endpoint
    delivery = message.delivery
    assert endpoint is not None and delivery is not None
    if not endpoint.active:
        return Response(status_code=None, latency_ms=0, excerpt="", error=_("接收地址已停用。"))
    try:
        body = webhook_body(delivery, endpoint)
    except OSError as exc:
        return Response(
            status_code=None,
            latency_ms=0,
            excerpt="",
            error=f"document unreadable: {exc}"[:500],
        )
    return post_json(
        url=endpoint.url,
        body=body,
        headers=webhook_headers(
            webhook_id=delivery.webhook_id,
            secret=endpoint.secret,
            body=body,
            more_secrets=endpoint_secrets(endpoint)[1:],
        ),
        timeout=float(settings.DELIVERY_TIMEOUT_SECONDS),
        allow_private=endpoint.allow_private,
    )


def outbox_process(claim: Claim, *, worker: str) -> Response:
    """Send one claimed message and record the outcome."""
    message = OutboxMessage.objects.select_related("delivery__bureau", "endpoint", "person").get(
        pk=claim.message_id
    )
    try:
        response = _send(message)
    except Exception as exc:  # a bug in one channel must not stall the whole outbox
        logger.exception("outbox message %s failed unexpectedly", message.pk)
        response = Response(
            status_code=None, latency_ms=0, excerpt="", error=f"{type(exc).__name__}: {exc}"[:500]
        )
    outbox_complete(claim=claim, worker=worker, response=response)
    return response


@transaction.atomic
def outbox_complete(*, claim: Claim, worker: str, response: Response) -> None:
    now = timezone.now()
    DeliveryAttempt.objects.filter(pk=claim.attempt_id).update(
        finished_at=now,
        status_code=response.status_code,
        latency_ms=response.latency_ms,
        response_excerpt=response.excerpt[:500],
        error=response.error[:500],
        success=response.ok,
    )
    message = (
        OutboxMessage.objects.select_for_update(of=("self",))
        .filter(pk=claim.message_id, claimed_by=worker, status=OutboxStatus.PENDING)
        .select_related("delivery__bureau", "endpoint__bureau")
        .first()
    )
    if message is None:
        # The lease ran out and another worker took the row; it owns the outcome. A 2xx
        # we got is still evidence of receipt.
        if response.ok:
            stale = OutboxMessage.objects.select_related("delivery", "endpoint").get(
                pk=claim.message_id
            )
            if stale.delivery is not None:
                _receipt_from_response(stale, response)
        return
    message.claimed_by = ""
    message.claimed_until = None
    if response.ok:
        message.status = OutboxStatus.SENT
        message.finished_at = now
        message.last_error = ""
        message.save()
        if message.endpoint is not None and message.endpoint.failing_since is not None:
            BureauEndpoint.objects.filter(pk=message.endpoint.pk).update(failing_since=None)
        if message.delivery is not None:
            _receipt_from_response(message, response)
        return
    message.last_error = (response.error or f"HTTP {response.status_code}: {response.excerpt}")[
        :500
    ]
    schedule = retry_schedule()
    if message.attempts < len(schedule):
        message.next_attempt_at = now + timedelta(seconds=schedule[message.attempts])
        message.save()
    else:
        message.status = OutboxStatus.FAILED
        message.finished_at = now
        message.save()
        _message_failed(message)
    if message.endpoint is not None:
        _endpoint_failure(message.endpoint, now)


def _receipt_from_response(message: OutboxMessage, response: Response) -> None:
    assert message.delivery is not None
    delivery_receipt_record(
        delivery=message.delivery,
        via=ReceiptVia.RESPONSE,
        endpoint=message.endpoint,
        evidence={
            "status_code": response.status_code,
            "latency_ms": response.latency_ms,
            "response_excerpt": response.excerpt[:200],
            "message": message.pk,
        },
    )


def _message_failed(message: OutboxMessage) -> None:
    """Every attempt failed: keep the message for replay and warn the district admins."""
    delivery = message.delivery
    if delivery is None or message.endpoint is None:
        return
    still_trying = delivery.messages.filter(status=OutboxStatus.PENDING).exists()
    if delivery.status == DeliveryStatus.PENDING and not still_trying:
        Delivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.FAILED)
    text = _(
        "推送失败：%(title)s 未能送达 %(bureau)s（%(url)s），已停止重试，可在管理后台重新推送。"
    ) % {
        "title": delivery.title or delivery.webhook_id,
        "bureau": delivery.bureau.name,
        "url": message.endpoint.url,
    }
    for admin in district_admins(message.endpoint.bureau.district_id):
        notify(
            person=admin,
            text=text,
            link=f"/admin/delivery/delivery/{delivery.pk}/change/",
            event="delivery.failed",
        )
    audit_record(
        actor=None,
        action="delivery.failed",
        target=delivery,
        after={"message": message.pk, "attempts": message.attempts, "error": message.last_error},
        scope=delivery.bureau.name,
        target_label=delivery.title or delivery.webhook_id,
    )


def _endpoint_failure(endpoint: BureauEndpoint, now: datetime) -> None:
    """Remember since when an endpoint fails; past the limit, switch it off and say so."""
    endpoint = BureauEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    if endpoint.failing_since is None:
        endpoint.failing_since = now
        endpoint.save(update_fields=["failing_since"])
        return
    limit = timedelta(seconds=settings.DELIVERY_DISABLE_AFTER_SECONDS)
    if not endpoint.active or now - endpoint.failing_since < limit:
        return
    days = max(1, int((now - endpoint.failing_since).total_seconds() // 86400))
    endpoint.active = False
    endpoint.disabled_at = now
    endpoint.disabled_reason = _("自 %(since)s 起所有推送均失败（%(days)s 天），已自动停用。") % {
        "since": timezone.localtime(endpoint.failing_since).strftime("%Y-%m-%d %H:%M"),
        "days": days,
    }
    endpoint.save(update_fields=["active", "disabled_at", "disabled_reason"])
    for admin in district_admins(endpoint.bureau.district_id):
        notify(
            person=admin,
            text=_("%(bureau)s 的接收地址 %(url)s 持续失败，已自动停用，请核实后重新启用。")
            % {"bureau": endpoint.bureau.name, "url": endpoint.url},
            link=f"/admin/delivery/bureauendpoint/{endpoint.pk}/change/",
            event="bureau_endpoint.disabled",
        )
    audit_record(
        actor=None,
        action="bureau_endpoint.disable",
        target=endpoint,
        after={"active": False, "reason": endpoint.disabled_reason},
        scope=endpoint.bureau.name,
    )


def outbox_release(*, worker_ids: list[str], now: datetime) -> int:
    """Listed in WORKER_CLAIM_RELEASERS: end the leases of workers that are gone, so the
    messages they held are sent again now, with the same `webhook-id`, instead of after
    the lease. The open attempt is closed by the next claim."""
    return OutboxMessage.objects.filter(
        status=OutboxStatus.PENDING, claimed_by__in=worker_ids, claimed_until__gt=now
    ).update(claimed_until=now)


def outbox_run(*, worker: str | None = None, limit: int = 10, max_messages: int = 1000) -> int:
    """Claim and send due messages until none are due (or `max_messages` were handled);
    returns how many were handled."""
    worker = worker or worker_name()
    handled = 0
    while handled < max_messages:
        claims = outbox_claim(worker=worker, limit=min(limit, max_messages - handled))
        if not claims:
            break
        for claim in claims:
            outbox_process(claim, worker=worker)
            handled += 1
    return handled
