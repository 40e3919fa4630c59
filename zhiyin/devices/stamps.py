"""A stamp report judged and recorded (盖章记录). Never refused for breaking the rules: it
is stored with its status (authorized, over_count, no_grant, outside_window,
code_mismatch) and every status but ``authorized`` raises a ``stamp_without_grant``
alarm. The count is raised with a conditional UPDATE (``used < count``), so racing
reports on PostgreSQL accept exactly k stamps; a check constraint backs it. When the
request's k stamps are in, it completes and its bureau gets the stamps and a photo.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.db.models import F
from django.utils import timezone

from zhiyin.approvals.models import RequestStatus, SealRequest
from zhiyin.approvals.services import seal_request_complete
from zhiyin.audit.services import audit_record, district_log
from zhiyin.core.errors import RuleViolation
from zhiyin.delivery.services import DocumentRef, delivery_create
from zhiyin.devices import events
from zhiyin.devices.alarms import alarm_raise
from zhiyin.devices.codes import code_hash
from zhiyin.devices.messages import iso
from zhiyin.devices.models import (
    AuthorizationStatus,
    DeviceEvent,
    DevicePhoto,
    DeviceSlot,
    SealDevice,
    StampAuthorization,
    StampEvent,
    StampStatus,
)
from zhiyin.lib import devproto

logger = logging.getLogger(__name__)

EVENT_STAMPED = "seal_request.stamped"


def _window_holds(authorization: StampAuthorization, moment: dt.datetime) -> bool:
    """Was the grant in force at `moment` (the terminal's time, so an offline village's
    stamps are judged by when they were made, not when they arrived)?"""
    if authorization.status == AuthorizationStatus.PENDING:
        return False
    if not authorization.not_before <= moment <= authorization.not_after:
        return False
    if authorization.status == AuthorizationStatus.REVOKED and authorization.ended_at:
        return moment <= authorization.ended_at
    return True


def _text(body: dict[str, Any], key: str) -> str:
    value = body.get(key)
    return value if isinstance(value, str) else ""


def stamp_record(device: SealDevice, event: DeviceEvent, body: dict[str, Any]) -> str:
    slot_code = _text(body, "slot")
    slot = DeviceSlot.objects.filter(device=device, code=slot_code).select_related("seal").first()
    auth_id = body.get("authorization")
    authorization = None
    if isinstance(auth_id, int) and not isinstance(auth_id, bool):
        authorization = (
            StampAuthorization.objects.filter(pk=auth_id, device=device)
            .select_related("request", "slot")
            .first()
        )
    code, operator = _text(body, "code"), _text(body, "operator")
    photo = _text(body, "photo_sha256")
    if not devproto.is_sha256_hex(photo):
        photo = ""
    if authorization is None or slot is None or authorization.slot_id != slot.pk:
        status = StampStatus.NO_GRANT
    elif not code or code_hash(code) != authorization.code_hash:
        status = StampStatus.CODE_MISMATCH
    elif not _window_holds(authorization, event.device_time):
        status = StampStatus.OUTSIDE_WINDOW
    else:
        counted = StampAuthorization.objects.filter(
            pk=authorization.pk, used__lt=F("count")
        ).update(used=F("used") + 1)
        status = StampStatus.AUTHORIZED if counted else StampStatus.OVER_COUNT
        if counted:
            # exact without reading back: only this terminal's events move this count,
            # and they are serialized by the device lock `event_ingest` holds
            authorization.used += 1
    request = authorization.request if authorization is not None else None
    other_request = None
    if status == StampStatus.CODE_MISMATCH and code:
        other = StampAuthorization.objects.filter(code_hash=code_hash(code)).first()
        other_request = other.request_id if other is not None else None
    stamp = StampEvent.objects.create(
        event=event,
        device=device,
        slot=slot,
        authorization=authorization,
        request=request,
        status=status,
        operator=operator[:60],
        photo_sha256=photo,
        device_time=event.device_time,
        server_time=event.server_time,
    )
    audit_record(
        actor=None,
        action=events.STAMP_EVENT_RECORD,
        target=stamp,
        after={
            "device": device.serial,
            "device_serial": device.serial,
            "slot": slot_code,
            "seal": slot.seal_id if slot else None,
            "request": request.pk if request else None,
            "authorization": authorization.pk if authorization else None,
            "status": status,
            "device_time": iso(event.device_time),
            "server_time": iso(event.server_time),
            "photo_sha256": photo,
            "operator": operator[:60],
            "boot": event.boot,
            "seq": event.seq,
            "event_id": event.event_id,
            "emergency": bool(authorization and authorization.emergency),
            "code_request": other_request,
            "stamp_count": authorization.count if authorization else None,
            "used": authorization.used if authorization else None,
            "valid_from": iso(authorization.not_before) if authorization else "",
            "valid_until": iso(authorization.not_after) if authorization else "",
        },
        scope=device.village.name,
        log=district_log(device.village.district_id),
        target_label=f"{device.serial} {status}",
    )
    if status != StampStatus.AUTHORIZED:
        alarm_raise(
            device,
            events.ALARM_STAMP_WITHOUT_GRANT,
            {
                "status": status,
                "stamp": stamp.pk,
                "authorization": authorization.pk if authorization else None,
                "request": request.pk if request else None,
            },
            event,
        )
    elif authorization is not None and authorization.used >= authorization.count:
        _after_authorized(authorization.pk)
    return status


def _after_authorized(authorization_id: int) -> None:
    """When the k-th stamp is in, the grant is used up and its request completes."""
    authorization = (
        StampAuthorization.objects.select_for_update(of=("self",))
        .select_related("request__matter__target_bureau", "request__village", "created_by")
        .get(pk=authorization_id)
    )
    if authorization.used < authorization.count or authorization.status == AuthorizationStatus.USED:
        return
    if authorization.status == AuthorizationStatus.ACTIVE:
        authorization.status = AuthorizationStatus.USED
        authorization.ended_at = timezone.now()
        authorization.save(update_fields=["status", "ended_at"])
    request = authorization.request
    if request is None or request.status != RequestStatus.APPROVED:
        return
    total = sum(StampAuthorization.objects.filter(request=request).values_list("used", flat=True))
    if total < request.stamp_count:
        return
    try:
        request = seal_request_complete(request=request, by=authorization.created_by)
    except RuleViolation:
        logger.warning("request %s: stamps complete but it could not be completed", request.pk)
        return
    _deliver(request)


def _deliver(request: SealRequest) -> None:
    bureau = request.matter.target_bureau
    if bureau is None:
        return
    stamps = list(
        StampEvent.objects.filter(request=request, status=StampStatus.AUTHORIZED)
        .select_related("device")
        .order_by("device_time")
    )
    photos = {
        p.sha256: p for p in DevicePhoto.objects.filter(sha256__in=[s.photo_sha256 for s in stamps])
    }
    first = next((photos[s.photo_sha256] for s in stamps if s.photo_sha256 in photos), None)
    delivery_create(
        event_type=EVENT_STAMPED,
        bureau=bureau,
        audit_log=district_log(request.village.district_id),
        payload={
            "request": {
                "number": request.number,
                "matter": request.matter.name,
                "village": request.village.name,
                "purpose": request.purpose,
                "stamp_count": request.stamp_count,
                "completed_at": request.completed_at.isoformat() if request.completed_at else "",
            },
            "stamps": [
                {
                    "device": s.device.serial,
                    "device_time": iso(s.device_time),
                    "server_time": iso(s.server_time),
                    "operator": s.operator,
                    "photo_sha256": s.photo_sha256,
                }
                for s in stamps
            ],
        },
        source_type="approvals.sealrequest",
        source_id=request.pk,
        title=f"{request.number} {request.matter.name}",
        document=DocumentRef(
            path=first.file.name,
            sha256=first.sha256,
            filename=f"{request.number}-photo.{first.file.name.rsplit('.', 1)[-1]}",
            content_type=first.content_type,
        )
        if first is not None
        else None,
    )
