"""Reads of `delivery`: a person sees only their own notifications; a bureau officer
only their bureau's deliveries; delivery status by source for progress pages."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Min, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from zhiyin.core.actors import Recipient
from zhiyin.delivery.models import (
    BureauEndpoint,
    Delivery,
    DeliveryStatus,
    Notification,
    OutboxMessage,
    OutboxStatus,
    ReceiptVia,
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


@dataclass(frozen=True)
class InboxRow:
    """A delivery as the bureau inbox shows it, in words that match what happened."""

    delivery: Delivery
    label: str
    tone: str  # "ok" (green), "" (neutral) or "warn" (red): only a failure is red
    signed_at: datetime | None


def _signed_at(deliveries: QuerySet[Delivery]) -> QuerySet[Delivery]:
    return deliveries.annotate(
        signed_at=Min(
            "receipts__received_at",
            filter=Q(receipts__via__in=[ReceiptVia.ACKNOWLEDGEMENT, ReceiptVia.INBOX]),
        )
    )


def _pushing_bureau_ids(bureau_ids: set[int]) -> set[int]:
    return set(
        BureauEndpoint.objects.filter(
            bureau_id__in=bureau_ids, active=True, disabled_at__isnull=True
        ).values_list("bureau_id", flat=True)
    )


def _row(delivery: Delivery, pushing: set[int]) -> InboxRow:
    signed_at: datetime | None = getattr(delivery, "signed_at", None)
    if signed_at is not None:
        return InboxRow(delivery, _("已签收"), "ok", signed_at)
    if delivery.status == DeliveryStatus.DELIVERED:
        return InboxRow(delivery, _("已送达，待签收"), "ok", None)
    if delivery.status == DeliveryStatus.FAILED:
        return InboxRow(delivery, _("推送失败，请在平台签收"), "warn", None)
    if delivery.bureau_id in pushing:
        return InboxRow(delivery, _("正在推送到部门系统"), "", None)
    return InboxRow(delivery, _("待签收（仅在平台签收）"), "", None)


def bureau_inbox_rows(*, bureau_ids: Collection[int], limit: int = 200) -> list[InboxRow]:
    """The bureau inbox: deliveries with their honest state (signed for, delivered to the
    bureau's system, still being pushed, failed, or waiting in Zhiyin alone because the
    bureau has no system of its own). Three queries whatever the length."""
    deliveries = list(_signed_at(deliveries_for(bureau_ids=bureau_ids))[:limit])
    pushing = _pushing_bureau_ids({d.bureau_id for d in deliveries})
    return [_row(d, pushing) for d in deliveries]


def bureau_delivery_row(*, bureau_ids: Collection[int], pk: int) -> InboxRow:
    """One delivery to one of `bureau_ids` with its state; any other is `Http404`."""
    delivery = _signed_at(deliveries_for(bureau_ids=bureau_ids)).filter(pk=pk).first()
    if delivery is None:
        raise Http404
    return _row(delivery, _pushing_bureau_ids({delivery.bureau_id}))
