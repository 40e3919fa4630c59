"""Reads of `delivery`: a person sees only their own notifications; a bureau officer
only their bureau's deliveries; delivery status by source for progress pages."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from zhiyin.core.actors import Recipient
from zhiyin.delivery.models import (
    Delivery,
    DeliveryStatus,
    Notification,
    OutboxMessage,
    OutboxStatus,
)


def notifications_for(*, person: Recipient, unread_only: bool = False) -> QuerySet[Notification]:
    """The person's own notifications only (optionally the unread ones), newest first as the model
    orders them."""
    notes = Notification.objects.filter(person_id=person.id)
    if unread_only:
        notes = notes.filter(read_at__isnull=True)
    return notes


def deliveries_for(*, bureau_ids: Collection[int]) -> QuerySet[Delivery]:
    """Deliveries to `bureau_ids` only: the caller passes the bureaus the person is an
    officer of (`Access.bureau_ids`)."""
    return Delivery.objects.filter(bureau_id__in=list(bureau_ids)).select_related("bureau")


def delivery_get_for(*, bureau_ids: Collection[int], pk: int) -> Delivery:
    """One delivery to one of `bureau_ids`; any other is `Http404`."""
    delivery = deliveries_for(bureau_ids=bureau_ids).filter(pk=pk).first()
    if delivery is None:
        raise Http404
    return delivery


@dataclass(frozen=True)
class DeliveryState:
    """What a progress page shows about a source's deliveries."""

    status: str  # "" when nothing was sent, else a DeliveryStatus value
    label: str
    delivered_at: datetime | None
    bureau_names: tuple[str, ...]


def delivery_status_for(*, source_type: str, source_id: str | int) -> DeliveryState:
    """Where the documents of one source (e.g. a seal request) stand: 已送达 when every
    delivery has a receipt. The caller has already scoped the source to the viewer."""
    deliveries = list(
        Delivery.objects.filter(source_type=source_type, source_id=str(source_id)).select_related(
            "bureau"
        )
    )
    if not deliveries:
        return DeliveryState("", "", None, ())
    names = tuple(sorted({d.bureau.name for d in deliveries}))
    statuses = {d.status for d in deliveries}
    if statuses == {DeliveryStatus.DELIVERED}:
        last = max(d.delivered_at for d in deliveries if d.delivered_at is not None)
        return DeliveryState(DeliveryStatus.DELIVERED, _("已送达"), last, names)
    if DeliveryStatus.FAILED in statuses:
        return DeliveryState(DeliveryStatus.FAILED, _("推送失败，正在处理"), None, names)
    return DeliveryState(DeliveryStatus.PENDING, _("推送中"), None, names)


def outbox_oldest_pending_at() -> datetime | None:
    """When the oldest message not yet sent was written (None when the outbox is empty):
    what /healthz reports as the age of undelivered work."""
    return (
        OutboxMessage.objects.filter(status=OutboxStatus.PENDING)
        .order_by("created_at")
        .values_list("created_at", flat=True)
        .first()
    )
