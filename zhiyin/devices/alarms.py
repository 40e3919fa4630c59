"""Alarms (告警): raised by a terminal's ``alarm`` event or by the server (sequence gap,
clock skew, stamp without grant, offline). Each is a `DeviceAlarm` row and an audited
``device.alarm`` event in the district's log; the serious ones notify the village's
custodians and inspectors and the district's inspectors at once.

The periodic sweep (`zhiyin.devices.tasks.devices_sweep`) raises ``offline`` for a terminal
silent longer than ``DEVICE_OFFLINE_HOURS``, once per silence.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from zhiyin.audit.services import audit_record, district_log
from zhiyin.delivery.services import notify
from zhiyin.devices import events
from zhiyin.devices.messages import iso
from zhiyin.devices.models import DeviceAlarm, DeviceEvent, DeviceState, SealDevice
from zhiyin.orgs.models import Person, Role, RoleGrant


def alarm_raise(
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


# --- the offline sweep -------------------------------------------------------------------


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
    alarm_raise(
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
