"""What every message from a terminal needs before it means anything: the wire's time
format, a valid signature of the enrolled terminal it names, and — for session messages
(hello, poll, photo) — a time close to ours (docs/device-protocol.md §2 and §2.5)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.utils import timezone

from zhiyin.devices.models import DeviceState, SealDevice
from zhiyin.lib import devproto
from zhiyin.lib.devproto import ProtocolError


def clock_tolerance() -> dt.timedelta:
    return dt.timedelta(seconds=int(getattr(settings, "DEVICE_CLOCK_SKEW_SECONDS", 120)))


def session_window() -> dt.timedelta:
    """How far a session message's time may be from ours before it is refused as stale
    (a terminal whose clock is further off must sync its time first)."""
    return dt.timedelta(seconds=int(getattr(settings, "DEVICE_SESSION_WINDOW_SECONDS", 3600)))


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


def _percent(value: object) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 100:
        return value
    return None


def figures_apply(device: SealDevice, body: dict[str, Any]) -> None:
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
