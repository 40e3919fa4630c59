"""What terminals send: signed events stored exactly once, stamps counted atomically,
alarms, photos, and the session messages (hello, poll) that carry no sequence number.

Guarantees (docs/device-protocol.md):

- a message is accepted only with a valid signature of the terminal it names;
- an event is stored once per (device, boot, seq) — a replay is answered "duplicate"
  and changes nothing; the acknowledgement is cumulative (every seq up to it is stored);
- a seq that skips ahead raises a ``sequence_gap`` alarm naming the missing range;
- a stamp is never refused for breaking the rules: it is stored with its status
  (over_count, no_grant, outside_window, code_mismatch) and raises an alarm;
- the count is raised with a conditional UPDATE (``used < count``), so racing reports
  on PostgreSQL accept exactly k stamps, and a check constraint backs it.

Each event is its own transaction: one bad event in a batch leaves the others stored.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from zhiyin.approvals.models import RequestStatus, SealRequest, sha256_path
from zhiyin.approvals.services import seal_request_complete
from zhiyin.audit.services import audit_record, district_log
from zhiyin.core.errors import RuleViolation
from zhiyin.delivery.services import DocumentRef, delivery_create, notify
from zhiyin.devices import events
from zhiyin.devices.models import (
    AuthorizationStatus,
    DeviceAlarm,
    DeviceBoot,
    DeviceCommand,
    DeviceEvent,
    DevicePhoto,
    DeviceSlot,
    DeviceState,
    SealDevice,
    StampAuthorization,
    StampEvent,
    StampStatus,
)
from zhiyin.devices.services import code_hash
from zhiyin.lib import devproto
from zhiyin.lib.devproto import ProtocolError
from zhiyin.orgs.models import Person, Role, RoleGrant

logger = logging.getLogger(__name__)

EVENT_TYPES = ("state", "unlock", "stamp", "lock", "alarm", "ack")
SESSION_TYPES = ("hello", "poll", "photo")
EVENT_STAMPED = "seal_request.stamped"
PHOTO_TYPES = {"image/jpeg": "jpg", "image/png": "png"}
MAX_PHOTO_BYTES = 8 * 1024 * 1024


def clock_tolerance() -> dt.timedelta:
    return dt.timedelta(seconds=int(getattr(settings, "DEVICE_CLOCK_SKEW_SECONDS", 120)))


def session_window() -> dt.timedelta:
    """How far a session message's time may be from ours before it is refused as stale
    (a terminal whose clock is further off must sync its time first)."""
    return dt.timedelta(seconds=int(getattr(settings, "DEVICE_SESSION_WINDOW_SECONDS", 3600)))


@dataclass
class EventResult:
    id: str
    boot: str
    seq: int
    status: str  # stored | duplicate | refused
    code: str = ""
    message: str = ""
    stamp_status: str = ""

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "boot": self.boot,
            "seq": self.seq,
            "status": self.status,
        }
        if self.code:
            data["error"] = self.code
            data["message"] = self.message
        if self.stamp_status:
            data["stamp_status"] = self.stamp_status
        return data


@dataclass
class IngestResult:
    results: list[EventResult] = field(default_factory=list)
    acks: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "results": [r.as_dict() for r in self.results],
            "ack": [{"boot": b, "seq": s} for b, s in sorted(self.acks.items())],
            "server_time": iso(timezone.now()),
        }


def iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def time_parse(value: object) -> dt.datetime:
    if not isinstance(value, str) or not value.endswith("Z"):
        raise ProtocolError("bad_message", "时间必须是以 Z 结尾的 UTC 时间")
    try:
        moment = dt.datetime.fromisoformat(value[:-1] + "+00:00")
    except ValueError as exc:
        raise ProtocolError("bad_message", "时间格式无法识别") from exc
    return moment


# --- authentication -----------------------------------------------------------------


def message_authenticate(message: dict[str, Any]) -> SealDevice:
    """The enrolled terminal that signed `message`; refuses any other signer."""
    if message.get("v") != devproto.PROTOCOL_VERSION:
        raise ProtocolError("bad_version", "不支持的协议版本")
    serial = message.get("device")
    if not isinstance(serial, str):
        raise ProtocolError("bad_message", "消息缺少终端序列号")
    device = SealDevice.objects.select_related("village__district").filter(serial=serial).first()
    if device is None or not device.is_enrolled:
        raise ProtocolError("unknown_device", "终端未登记或未注册")
    devproto.verify(message, devproto.public_key_load(device.public_key_pem))
    if device.state == DeviceState.RETIRED:
        raise ProtocolError("device_retired", "终端已停用")
    return device


def session_authenticate(message: dict[str, Any], kind: str) -> tuple[SealDevice, dt.timedelta]:
    """A hello, poll or photo message: signed and fresh. Returns the device and the
    clock difference (device minus server)."""
    if message.get("type") != kind:
        raise ProtocolError("bad_message", "消息类型不正确")
    device = message_authenticate(message)
    skew = time_parse(message.get("time")) - timezone.now()
    if abs(skew) > session_window():
        raise ProtocolError("stale_message", "消息时间与服务器相差过大，请先校时")
    return device, skew


# --- alarms -------------------------------------------------------------------------


def _alarm(
    device: SealDevice, kind: str, detail: dict[str, Any], event: DeviceEvent | None = None
) -> DeviceAlarm:
    alarm = DeviceAlarm.objects.create(device=device, kind=kind, detail=detail, event=event)
    audit_record(
        actor=None,
        action=events.DEVICE_ALARM,
        target=alarm,
        after={
            "device": device.serial,
            "device_serial": device.serial,
            "village_id": device.village_id,
            "kind": kind,
            "alarm": alarm.pk,
            "boot": event.boot if event else "",
            "seq": event.seq if event else None,
            "device_time": iso(event.device_time) if event else None,
            "server_time": iso(timezone.now()),
            **detail,
        },
        scope=device.village.name,
        log=district_log(device.village.district_id),
        target_label=f"{device.serial} {kind}",
    )
    if kind in (
        events.ALARM_TAMPER,
        events.ALARM_STAMP_WITHOUT_GRANT,
        events.ALARM_SEQUENCE_GAP,
    ):
        _tell_inspectors(device, kind)
    return alarm


def _tell_inspectors(device: SealDevice, kind: str) -> None:
    village = device.village
    holders = RoleGrant.objects.active().filter(
        Q(role__in=[Role.INSPECTOR, Role.CUSTODIAN], village=village, group__isnull=True)
        | Q(
            role=Role.INSPECTOR,
            village__isnull=True,
            bureau__isnull=True,
            district=village.district_id,
        )
    )
    for person in Person.objects.filter(pk__in=holders.values("person_id")):
        notify(
            person=person,
            text=_("终端 %(serial)s（%(village)s）告警：%(kind)s")
            % {"serial": device.serial, "village": village.name, "kind": alarm_label(kind)},
            link=reverse("device_detail", args=[device.pk]),
            event=events.DEVICE_ALARM,
        )


def alarm_label(kind: str) -> str:
    labels = {
        events.ALARM_TAMPER: _("拆机/撬动"),
        events.ALARM_INK_LOW: _("印油不足"),
        events.ALARM_UNLOCK_TOO_LONG: _("开锁时间过长"),
        events.ALARM_STAMP_WITHOUT_GRANT: _("未经授权盖章"),
        events.ALARM_BATTERY_LOW: _("电量低"),
        events.ALARM_OFFLINE: _("长时间离线"),
        events.ALARM_SEQUENCE_GAP: _("记录缺失"),
        events.ALARM_CLOCK_SKEW: _("终端时钟偏差"),
    }
    return labels.get(kind, kind)


# --- events -------------------------------------------------------------------------


def _envelope_check(message: dict[str, Any]) -> tuple[str, str, int, dt.datetime]:
    kind = message.get("type")
    if kind not in EVENT_TYPES:
        raise ProtocolError("bad_message", "未知的事件类型")
    event_id, boot, seq = message.get("id"), message.get("boot"), message.get("seq")
    if not isinstance(event_id, str) or not 1 <= len(event_id) <= 36:
        raise ProtocolError("bad_message", "事件编号无效")
    if not isinstance(boot, str) or not 1 <= len(boot) <= 36:
        raise ProtocolError("bad_message", "启动编号无效")
    if isinstance(seq, bool) or not isinstance(seq, int) or seq < 1:
        raise ProtocolError("bad_message", "序号必须是正整数")
    if not devproto.is_sha256_hex(message.get("prev")):
        raise ProtocolError("bad_message", "prev 必须是 64 位十六进制 SHA-256")
    if not isinstance(message.get("body"), dict):
        raise ProtocolError("bad_message", "body 必须是对象")
    return event_id, boot, seq, time_parse(message.get("time"))


def events_ingest(*, messages: list[Any], via: str = "https") -> IngestResult:
    """Store a batch of events (in (boot, seq) order, whatever order they came in)."""
    outcome = IngestResult()

    def order(m: Any) -> tuple[str, int]:
        if isinstance(m, dict) and isinstance(m.get("boot"), str) and isinstance(m.get("seq"), int):
            return (m["boot"], m["seq"])
        return ("", 0)

    for message in sorted(messages, key=order):
        ident = message.get("id", "") if isinstance(message, dict) else ""
        boot, seq = order(message)
        try:
            if not isinstance(message, dict):
                raise ProtocolError("bad_message", "事件必须是 JSON 对象")
            result, acked = event_ingest(message=message, via=via)
        except ProtocolError as exc:
            outcome.results.append(
                EventResult(str(ident)[:36], boot, seq, "refused", exc.code, str(exc))
            )
            continue
        outcome.results.append(result)
        outcome.acks[result.boot] = acked
    return outcome


def event_ingest(*, message: dict[str, Any], via: str = "https") -> tuple[EventResult, int]:
    """Store one event once; returns its result and the boot's cumulative ack."""
    event_id, boot, seq, device_time = _envelope_check(message)
    device = message_authenticate(message)
    digest = devproto.message_hash(message)
    with transaction.atomic():
        # One writer per device: keeps the boot's ack and gap bookkeeping consistent.
        device = (
            SealDevice.objects.select_for_update(of=("self",))
            .select_related("village__district")
            .get(pk=device.pk)
        )
        existing = DeviceEvent.objects.filter(device=device, boot=boot, seq=seq).first()
        state, _created = DeviceBoot.objects.select_for_update().get_or_create(
            device=device, boot=boot
        )
        if existing is not None:
            if existing.hash != digest:
                raise ProtocolError("seq_conflict", "该序号已有另一条内容不同的事件")
            status = existing.stamp.status if hasattr(existing, "stamp") else ""
            return EventResult(
                event_id, boot, seq, "duplicate", stamp_status=status
            ), state.acked_seq
        now = timezone.now()
        event = DeviceEvent.objects.create(
            device=device,
            boot=boot,
            seq=seq,
            event_id=event_id,
            type=message["type"],
            device_time=device_time,
            hash=digest,
            prev=message["prev"],
            message=devproto.encode(message),
            via=via[:10],
        )
        _sequence_check(device, state, event)
        device.last_seen_at = now
        device.online = True
        device.offline_alarmed_at = None
        device.save(update_fields=["last_seen_at", "online", "offline_alarmed_at"])
        stamp_status = _handle(device, event, message["body"])
        return EventResult(
            event_id, boot, seq, "stored", stamp_status=stamp_status
        ), state.acked_seq


def _sequence_check(device: SealDevice, state: DeviceBoot, event: DeviceEvent) -> None:
    """Advance the cumulative ack; raise ``sequence_gap`` when a seq skips ahead or the
    hash link to the previous event does not hold."""
    seq = event.seq
    if seq > state.max_seq + 1:
        _alarm(
            device,
            events.ALARM_SEQUENCE_GAP,
            {
                "missing_from": state.max_seq + 1,
                "missing_to": seq - 1,
                "expected": state.max_seq + 1,
                "received": seq,
            },
            event,
        )
    previous = (
        DeviceEvent.objects.filter(device=device, boot=event.boot, seq=seq - 1)
        .values_list("hash", flat=True)
        .first()
    )
    expected = previous if seq > 1 else devproto.ZERO_HASH
    if expected is not None and event.prev != expected:
        _alarm(
            device,
            events.ALARM_SEQUENCE_GAP,
            {"prev_mismatch": True, "expected_prev": expected, "prev": event.prev},
            event,
        )
    state.max_seq = max(state.max_seq, seq)
    if seq == state.acked_seq + 1:
        stored = set(
            DeviceEvent.objects.filter(device=device, boot=event.boot, seq__gt=seq).values_list(
                "seq", flat=True
            )
        )
        acked = seq
        while acked + 1 in stored:
            acked += 1
        state.acked_seq = acked
    state.save(update_fields=["max_seq", "acked_seq"])


def _handle(device: SealDevice, event: DeviceEvent, body: dict[str, Any]) -> str:
    if event.type == "stamp":
        return _stamp(device, event, body)
    if event.type == "state":
        _state(device, body)
    elif event.type == "alarm":
        kind = body.get("kind")
        if kind not in events.DEVICE_REPORTED_ALARMS:
            kind = str(kind)[:24]
        detail = body.get("detail") if isinstance(body.get("detail"), dict) else {}
        _alarm(device, kind, {"reported": True, "detail": detail}, event)
    elif event.type == "ack":
        _command_ack(device, body)
    return ""


def _percent(value: object) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 100:
        return value
    return None


def _state(device: SealDevice, body: dict[str, Any]) -> None:
    battery, ink = _percent(body.get("battery")), _percent(body.get("ink"))
    fields = []
    if battery is not None:
        device.battery = battery
        fields.append("battery")
    if ink is not None:
        device.ink = ink
        fields.append("ink")
    firmware = body.get("firmware")
    if isinstance(firmware, str) and firmware:
        device.firmware = firmware[:40]
        fields.append("firmware")
    if fields:
        device.save(update_fields=fields)


def _command_ack(device: SealDevice, body: dict[str, Any]) -> None:
    seq, result = body.get("command"), body.get("result")
    if not isinstance(seq, int) or result not in ("accepted", "rejected"):
        return
    DeviceCommand.objects.filter(device=device, seq=seq, acked_at__isnull=True).update(
        acked_at=timezone.now(), result=str(result)
    )


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


def _stamp(device: SealDevice, event: DeviceEvent, body: dict[str, Any]) -> str:
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
            "used": authorization_used(authorization),
            "valid_from": iso(authorization.not_before) if authorization else "",
            "valid_until": iso(authorization.not_after) if authorization else "",
        },
        scope=device.village.name,
        log=district_log(device.village.district_id),
        target_label=f"{device.serial} {status}",
    )
    if status != StampStatus.AUTHORIZED:
        _alarm(
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
    elif authorization is not None:
        _after_authorized(authorization.pk)
    return status


def authorization_used(authorization: StampAuthorization | None) -> int | None:
    """Stamps counted under the grant after this one (read back: the count moved in SQL)."""
    if authorization is None:
        return None
    return (
        StampAuthorization.objects.filter(pk=authorization.pk)
        .values_list("used", flat=True)
        .first()
    )


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


# --- session messages ---------------------------------------------------------------


@transaction.atomic
def hello_record(*, message: dict[str, Any], via: str = "https") -> dict[str, Any]:
    """A terminal says it is online (first message of every connection). Its clock is
    compared with ours: beyond the tolerance, a ``clock_skew`` alarm."""
    device, skew = session_authenticate(message, "hello")
    device = (
        SealDevice.objects.select_for_update(of=("self",))
        .select_related("village")
        .get(pk=device.pk)
    )
    body = message.get("body") if isinstance(message.get("body"), dict) else {}
    assert isinstance(body, dict)
    now = timezone.now()
    device.last_seen_at = now
    device.online = True
    device.offline_alarmed_at = None
    _state(device, body)
    device.save(update_fields=["last_seen_at", "online", "offline_alarmed_at"])
    if abs(skew) > clock_tolerance():
        _alarm(
            device,
            events.ALARM_CLOCK_SKEW,
            {
                "skew_seconds": int(skew.total_seconds()),
                "device_time": message.get("time"),
                "server_time": iso(now),
                "tolerance_seconds": int(clock_tolerance().total_seconds()),
            },
        )
    acks = {b.boot: b.acked_seq for b in DeviceBoot.objects.filter(device=device)}
    return {
        "server_time": iso(now),
        "ack": [{"boot": b, "seq": s} for b, s in sorted(acks.items())],
        "command_seq": device.command_seq,
    }


def commands_after(device: SealDevice, after: int) -> list[str]:
    """Commands numbered after `after` that have not expired, oldest first."""
    now = timezone.now()
    rows = DeviceCommand.objects.filter(device=device, seq__gt=after).exclude(expires_at__lt=now)
    return [row.message for row in rows.order_by("seq")]


def poll_authenticate(message: dict[str, Any]) -> tuple[SealDevice, int]:
    device, _skew = session_authenticate(message, "poll")
    body = message.get("body")
    after = body.get("after") if isinstance(body, dict) else None
    if isinstance(after, bool) or not isinstance(after, int) or after < 0:
        raise ProtocolError("bad_message", "poll 的 after 必须是非负整数")
    SealDevice.objects.filter(pk=device.pk).update(last_seen_at=timezone.now(), online=True)
    return device, after


def photo_store(
    *, message: dict[str, Any], sha256: str, data: bytes, content_type: str
) -> tuple[DevicePhoto, bool]:
    """Store a stamped-page photo under its SHA-256 (idempotent). The file is written
    only after the checks and removed again if the row cannot be saved."""
    device, _skew = session_authenticate(message, "photo")
    body = message.get("body")
    if not isinstance(body, dict) or body.get("sha256") != sha256:
        raise ProtocolError("bad_message", "照片签名与地址中的 SHA-256 不一致")
    if content_type not in PHOTO_TYPES:
        raise ProtocolError("bad_photo", "照片只能是 JPEG 或 PNG")
    if not data or len(data) > MAX_PHOTO_BYTES:
        raise ProtocolError("bad_photo", "照片为空或超过 8 MB")
    if devproto.sha256_hex(data) != sha256:
        raise ProtocolError("bad_photo", "照片内容与 SHA-256 不符")
    magic = {b"\xff\xd8\xff": "image/jpeg", b"\x89PN": "image/png"}.get(data[:3])
    if magic != content_type:
        raise ProtocolError("bad_photo", "照片内容不是所声明的格式")
    existing = DevicePhoto.objects.filter(sha256=sha256).first()
    if existing is not None:
        return existing, False
    name = sha256_path("device-photos", sha256, PHOTO_TYPES[content_type])
    stored = (
        default_storage.save(name, ContentFile(data)) if not default_storage.exists(name) else name
    )
    try:
        with transaction.atomic():
            photo = DevicePhoto.objects.create(
                device=device, sha256=sha256, file=stored, size=len(data), content_type=content_type
            )
    except IntegrityError:
        return DevicePhoto.objects.get(sha256=sha256), False
    return photo, True


# --- the offline sweep --------------------------------------------------------------


def offline_hours() -> int:
    return int(getattr(settings, "DEVICE_OFFLINE_HOURS", 24))


def devices_offline_due(now: dt.datetime | None = None) -> list[int]:
    moment = now or timezone.now()
    return list(
        SealDevice.objects.filter(
            state=DeviceState.ACTIVE,
            last_seen_at__lt=moment - dt.timedelta(hours=offline_hours()),
            offline_alarmed_at__isnull=True,
        ).values_list("pk", flat=True)
    )


@transaction.atomic
def device_offline_alarm(*, device_id: int, now: dt.datetime | None = None) -> bool:
    """Raise ``offline`` once per silence (claimed with a conditional UPDATE)."""
    moment = now or timezone.now()
    claimed = SealDevice.objects.filter(
        pk=device_id,
        last_seen_at__lt=moment - dt.timedelta(hours=offline_hours()),
        offline_alarmed_at__isnull=True,
    ).update(offline_alarmed_at=moment, online=False)
    if not claimed:
        return False
    device = SealDevice.objects.select_related("village__district").get(pk=device_id)
    _alarm(
        device,
        events.ALARM_OFFLINE,
        {
            "last_seen_at": iso(device.last_seen_at) if device.last_seen_at else None,
            "hours": offline_hours(),
            "offline_minutes": int((moment - device.last_seen_at).total_seconds() // 60)
            if device.last_seen_at
            else None,
        },
    )
    return True
