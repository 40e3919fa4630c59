"""The session messages, which carry no sequence number: ``hello`` (online, clock, figures;
answered with the acks and the last command number), ``poll`` (commands after a number)
and ``photo`` (a content-addressed upload of a stamped page)."""

from __future__ import annotations

from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils import timezone

from zhiyin.approvals.models import sha256_path
from zhiyin.devices import events
from zhiyin.devices.alarms import alarm_raise
from zhiyin.devices.messages import clock_tolerance, figures_apply, iso, session_authenticate
from zhiyin.devices.models import DeviceBoot, DeviceCommand, DevicePhoto, SealDevice
from zhiyin.lib import devproto
from zhiyin.lib.devproto import ProtocolError

PHOTO_TYPES = {"image/jpeg": "jpg", "image/png": "png"}


MAX_PHOTO_BYTES = 8 * 1024 * 1024


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
    figures_apply(device, body)
    device.save(update_fields=["last_seen_at", "online", "offline_alarmed_at"])
    if abs(skew) > clock_tolerance():
        alarm_raise(
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
    SealDevice.objects.filter(pk=device.pk).update(
        last_seen_at=timezone.now(), online=True, offline_alarmed_at=None
    )
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
