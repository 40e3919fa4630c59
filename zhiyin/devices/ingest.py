"""What terminals send as sequenced events (state, unlock, stamp, lock, alarm, ack):
signed, stored exactly once, in order, acknowledged cumulatively. Stamps are judged in
`zhiyin.devices.stamps`, alarms raised in `zhiyin.devices.alarms`; the session messages
without a sequence number (hello, poll, photo) are `zhiyin.devices.sessions`.

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
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from zhiyin.devices import events
from zhiyin.devices.alarms import alarm_raise
from zhiyin.devices.messages import (
    clock_tolerance,
    figures_apply,
    iso,
    message_authenticate,
    time_parse,
)
from zhiyin.devices.models import DeviceAlarm, DeviceBoot, DeviceCommand, DeviceEvent, SealDevice
from zhiyin.devices.stamps import stamp_record
from zhiyin.lib import devproto
from zhiyin.lib.devproto import ProtocolError

EVENT_TYPES = ("state", "unlock", "stamp", "lock", "alarm", "ack")


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
        _clock_check(device, event, now)
        _seen(device, now)
        stamp_status = _handle(device, event, message["body"])
        return EventResult(
            event_id, boot, seq, "stored", stamp_status=stamp_status
        ), state.acked_seq


#: A terminal's "last seen" is rewritten at most this often while it sends a batch.
SEEN_PRECISION = dt.timedelta(seconds=5)


def _seen(device: SealDevice, now: dt.datetime) -> None:
    if (
        device.online
        and device.offline_alarmed_at is None
        and device.last_seen_at is not None
        and now - device.last_seen_at < SEEN_PRECISION
    ):
        return
    device.last_seen_at = now
    device.online = True
    device.offline_alarmed_at = None
    device.save(update_fields=["last_seen_at", "online", "offline_alarmed_at"])


def _clock_check(device: SealDevice, event: DeviceEvent, now: dt.datetime) -> None:
    """An event cannot have happened after it arrived: a terminal time ahead of ours by
    more than the tolerance is a skewed clock (``clock_skew``, once per boot). A time far
    behind is what offline replay looks like, so only ``hello`` measures that."""
    ahead = event.device_time - now
    if ahead <= clock_tolerance():
        return
    if DeviceAlarm.objects.filter(
        device=device, kind=events.ALARM_CLOCK_SKEW, event__boot=event.boot
    ).exists():
        return
    alarm_raise(
        device,
        events.ALARM_CLOCK_SKEW,
        {
            "skew_seconds": int(ahead.total_seconds()),
            "device_time": iso(event.device_time),
            "server_time": iso(now),
            "tolerance_seconds": int(clock_tolerance().total_seconds()),
        },
        event,
    )


def _sequence_check(device: SealDevice, state: DeviceBoot, event: DeviceEvent) -> None:
    """Advance the cumulative ack; raise ``sequence_gap`` when a seq skips ahead or the
    hash link to the previous event does not hold."""
    seq = event.seq
    if seq > state.max_seq + 1:
        alarm_raise(
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
    expected: str | None = devproto.ZERO_HASH
    if seq > 1:  # the previous event's hash, if it is stored (not across a gap)
        expected = (
            DeviceEvent.objects.filter(device=device, boot=event.boot, seq=seq - 1)
            .values_list("hash", flat=True)
            .first()
            if seq - 1 <= state.max_seq
            else None
        )
    if expected is not None and event.prev != expected:
        alarm_raise(
            device,
            events.ALARM_SEQUENCE_GAP,
            {"prev_mismatch": True, "expected_prev": expected, "prev": event.prev},
            event,
        )
    later_stored = state.max_seq > seq  # events after this one arrived before it
    state.max_seq = max(state.max_seq, seq)
    if seq == state.acked_seq + 1 and not later_stored:
        state.acked_seq = seq
    elif seq == state.acked_seq + 1:
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
        return stamp_record(device, event, body)
    if event.type == "state":
        figures_apply(device, body)
    elif event.type == "alarm":
        kind = body.get("kind")
        if kind not in events.DEVICE_REPORTED_ALARMS:
            kind = str(kind)[:24]
        detail = body.get("detail") if isinstance(body.get("detail"), dict) else {}
        alarm_raise(device, kind, {"reported": True, "detail": detail}, event)
    elif event.type == "ack":
        _command_ack(device, body)
    return ""


def _command_ack(device: SealDevice, body: dict[str, Any]) -> None:
    seq, result = body.get("command"), body.get("result")
    if not isinstance(seq, int) or result not in ("accepted", "rejected"):
        return
    DeviceCommand.objects.filter(device=device, seq=seq, acked_at__isnull=True).update(
        acked_at=timezone.now(), result=str(result)
    )
