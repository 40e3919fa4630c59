"""Event rules about smart seal terminals, read from the devices app's audit events:
a stamp outside its authorization (over the count, outside the window, without a
grant, with another request's code) and the terminals' alarms."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from zhiyin.approvals.models import SealRequest
from zhiyin.audit.models import AuditEvent
from zhiyin.oversight.rules.facts import (
    EventRule,
    Finding,
    authorization_of,
    device_key,
    fact,
    int_or_none,
    local_text,
    parse_time,
    serial_of,
    where_of,
)


def stamp_status_rule(status: str, label: str) -> EventRule:
    def rule(event: AuditEvent, after: dict[str, Any], params: dict[str, Any]) -> list[Finding]:
        if after.get("status") != status:
            return []
        where = where_of(event, after)
        if where is None:
            return []
        moment = parse_time(after.get("device_time") or after.get("server_time"), event.created_at)
        label_text = _(label)
        facts = [fact(_("盖章结果"), _("已授权"), label_text)]
        grant = authorization_of(after)
        if status == "over_count":
            allowed = getattr(grant, "count", after.get("allowed", ""))
            facts.append(
                fact(
                    _("盖章次数"),
                    _("不超过 %(n)s") % {"n": allowed},
                    _("第 %(n)s 次")
                    % {
                        "n": (int(allowed) + 1)
                        if str(allowed).isdigit()
                        else after.get("count", "")
                    },
                )
            )
        if status == "outside_window":
            window = (
                f"{local_text(grant.not_before)} – {local_text(grant.not_after)}"
                if grant is not None
                else f"{after.get('not_before', '')} – {after.get('not_after', '')}"
            )
            facts.append(fact(_("授权时段"), window, local_text(moment)))
        if status == "code_mismatch":
            other = int_or_none(after.get("code_request"))
            other_number = (
                SealRequest.objects.filter(pk=other).values_list("number", flat=True).first()
                if other is not None
                else None
            )
            facts.append(
                fact(
                    _("一次性校验码"),
                    _("本申请审批时生成的校验码"),
                    _("属于另一申请 %(number)s") % {"number": other_number}
                    if other_number
                    else _("不符"),
                )
            )
        facts.append(fact(_("设备"), serial_of(after), serial_of(after)))
        if after.get("photo_sha256"):
            facts.append(fact(_("盖章照片 SHA-256"), "", after["photo_sha256"]))
        return [
            Finding(
                fact_key=f"stamp:{device_key(event, after)}",
                village_id=where.village_id,
                request_id=where.request_id,
                seal_id=where.seal_id,
                summary=_("%(what)s：%(label)s（设备 %(device)s）")
                % {
                    "what": where.label,
                    "label": label_text,
                    "device": serial_of(after),
                },
                facts=facts,
                occurred_at=moment,
                source_event_seq=event.seq,
                detail={
                    k: after[k]
                    for k in ("device", "slot", "authorization", "operator", "boot", "seq")
                    if k in after
                },
            )
        ]

    return rule


ALARM_NAMES = {
    "tamper": gettext_noop("设备被拆或外壳被打开"),
    "ink_low": gettext_noop("印油不足"),
    "unlock_too_long": gettext_noop("开锁时间过长"),
    "stamp_without_grant": gettext_noop("无授权盖章"),
    "battery_low": gettext_noop("电量低"),
    "offline": gettext_noop("设备离线"),
    "sequence_gap": gettext_noop("记录断号"),
    "clock_skew": gettext_noop("设备时钟偏差"),
}


def device_alarm(event: AuditEvent, after: dict[str, Any], params: dict[str, Any]) -> list[Finding]:
    kind = str(after.get("kind", ""))
    if kind not in [str(k) for k in params.get("kinds", [])]:
        return []
    facts = [fact(_("告警类型"), _("无告警"), _(ALARM_NAMES.get(kind, kind)))]
    if kind == "offline":
        minutes = int_or_none(after.get("offline_minutes"))
        seconds = int_or_none(after.get("offline_seconds"))
        if minutes is None and seconds is not None:
            minutes = seconds // 60
        last_seen = after.get("last_seen_at")
        if minutes is None and isinstance(last_seen, str) and last_seen:
            now = parse_time(after.get("server_time"), event.created_at)
            minutes = int((now - parse_time(last_seen, now)).total_seconds() // 60)
        if minutes is None and int_or_none(after.get("hours")) is not None:
            minutes = int(after["hours"]) * 60  # raised once silent this long
        limit = int(params.get("offline_minutes", 60))
        if minutes is not None and minutes < limit:
            return []
        facts.append(
            fact(
                _("离线时长（分钟）"),
                _("少于 %(n)d") % {"n": limit},
                minutes if minutes is not None else _("未知"),
            )
        )
    if kind == "sequence_gap":
        if after.get("prev_mismatch"):
            facts.append(
                fact(_("前一记录哈希"), after.get("expected_prev", ""), after.get("prev", ""))
            )
        else:
            missing = f"{after.get('missing_from', after.get('expected', ''))}–{after.get('missing_to', '')}"
            facts.append(fact(_("缺失的记录序号"), _("连续无缺号"), missing.rstrip("–")))
    where = where_of(event, after)
    if where is None:
        return []
    return [
        Finding(
            fact_key=f"alarm:{device_key(event, after)}",
            village_id=where.village_id,
            request_id=where.request_id,
            seal_id=where.seal_id,
            summary=_("设备 %(device)s 告警：%(kind)s")
            % {"device": serial_of(after), "kind": _(ALARM_NAMES.get(kind, kind))},
            facts=facts,
            occurred_at=parse_time(after.get("device_time"), event.created_at),
            source_event_seq=event.seq,
        )
    ]
