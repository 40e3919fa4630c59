"""What every warning rule shares: the `Finding` a rule returns, one `fact` of its
comparison, and the readers of an audit event's `after` data — the request, seal,
village and terminal it is about (devices rows by id, through the app registry, so
oversight imports nothing of the devices app), its times."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.utils import timezone

from zhiyin.approvals.models import SealRequest
from zhiyin.audit.models import AuditEvent
from zhiyin.seals.models import Seal

REQUEST_TYPE = "approvals.sealrequest"


@dataclass(frozen=True)
class Finding:
    """One fact a rule found: what was compared with what (`facts`), where, when."""

    fact_key: str
    village_id: int
    summary: str
    facts: list[dict[str, str]]
    occurred_at: dt.datetime
    request_id: int | None = None
    seal_id: int | None = None
    source_event_seq: int | None = None
    detail: dict[str, Any] = field(default_factory=dict)


def fact(label: str, expected: Any, actual: Any) -> dict[str, str]:
    """One comparison of the 对比判别依据: the rule's expectation and what happened."""
    return {"label": label, "expected": str(expected), "actual": str(actual)}


EventRule = Callable[[AuditEvent, dict[str, Any], dict[str, Any]], list[Finding]]


SweepRule = Callable[[dict[str, Any], dt.datetime], Iterable[Finding]]


def int_or_none(value: Any) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def request_of(event: AuditEvent, after: dict[str, Any]) -> SealRequest | None:
    """The request an event is about, read once per event however many rules ask."""
    cached: SealRequest | bool | None = getattr(event, "_oversight_request", False)
    if cached is not False:
        return cached if isinstance(cached, SealRequest) else None
    pk = int_or_none(event.target_id) if event.target_type == REQUEST_TYPE else None
    target = event.target_object
    if pk is not None and isinstance(target, SealRequest) and target.pk == pk:
        # The request as the service that recorded the event holds it (locked, just
        # saved): what commits with the event, without reading it again.
        event._oversight_request = target  # type: ignore[attr-defined]  # per-event memo
        return target
    if pk is None:
        pk = int_or_none(after.get("request_id", after.get("request")))
    request = (
        SealRequest.objects.select_related("matter", "seal", "village").filter(pk=pk).first()
        if pk is not None
        else None
    )
    event._oversight_request = request  # type: ignore[attr-defined]  # per-event memo
    return request


def seal_of(after: dict[str, Any]) -> Seal | None:
    pk = int_or_none(after.get("seal_id", after.get("seal")))
    return Seal.objects.filter(pk=pk).first() if pk is not None else None


@dataclass(frozen=True)
class Where:
    village_id: int
    request_id: int | None
    seal_id: int | None
    label: str


def serial_of(after: dict[str, Any]) -> str:
    """The terminal's serial (the devices app writes `device`)."""
    return str(after.get("device") or after.get("device_serial") or "")


def devices_model(name: str) -> Any:
    """A model of the devices app, when it is installed; oversight reads its rows by the
    ids the audit events carry and needs no import of it."""
    try:
        return apps.get_model("devices", name)
    except LookupError:
        return None


def where_of(event: AuditEvent, after: dict[str, Any]) -> Where | None:
    """The village (and request, seal) an event is about; None when it names none."""
    request = request_of(event, after)
    if request is not None:
        return Where(request.village_id, request.pk, request.seal_id, request.number)
    seal = seal_of(after)
    if seal is not None:
        return Where(seal.village_id, None, seal.pk, seal.code)
    village_id = int_or_none(after.get("village_id"))  # a terminal's alarm names its village
    if village_id is not None:
        return Where(village_id, None, None, serial_of(after))
    device_model = devices_model("SealDevice")
    serial = serial_of(after)
    if device_model is not None and serial:
        village_id = (
            device_model.objects.filter(serial=serial).values_list("village_id", flat=True).first()
        )
        if village_id is not None:
            return Where(int(village_id), None, None, serial)
    return None


def authorization_of(after: dict[str, Any]) -> Any:
    model = devices_model("StampAuthorization")
    pk = int_or_none(after.get("authorization", after.get("authorization_id")))
    if model is None or pk is None:
        return None
    return model.objects.filter(pk=pk).first()


def device_key(event: AuditEvent, after: dict[str, Any]) -> str:
    """The stamp or alarm itself: its own record if the event targets one, else the event."""
    if event.target_type and event.target_id:
        return f"{event.target_type}:{event.target_id}"
    return f"seq:{event.seq}"


def parse_time(value: Any, fallback: dt.datetime) -> dt.datetime:
    if isinstance(value, str) and value:
        try:
            moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return fallback
        return moment if timezone.is_aware(moment) else timezone.make_aware(moment, dt.UTC)
    return fallback


def local_text(moment: dt.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")
