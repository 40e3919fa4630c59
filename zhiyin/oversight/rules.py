"""The logic of each warning rule, keyed by `WarningRule.code`.

Two kinds:

- **event rules** look at one new audit event. `on_audit_event` is listed in
  `settings.AUDIT_SUBSCRIBERS`, so the log calls it inside the transaction of the
  service that recorded the event: a warning commits with the fact it is about, or not
  at all. Only actions some rule listens to cost a query.
- **sweep rules** need history or the passing of time (a step that became late, an
  emergency use never approved). `warning_sweep` (a periodic task) runs them.

A rule returns `Finding`s; `services.warning_raise` turns each into at most one
`Warning` per (rule, fact key). Device facts arrive only as audit events from the
devices app (`stamp_event.record`, `device.alarm`, `device.emergency_open` …), read
from their `after` data; this module imports nothing from it.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.apps import apps
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from zhiyin.approvals.models import ApprovalStep, RequestStatus, SealRequest, StepStatus
from zhiyin.audit.models import AuditEvent
from zhiyin.lib.workcalendar import CalendarNotCovered, is_workday
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


# --- helpers -----------------------------------------------------------------------------


def _int(value: Any) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _request_of(event: AuditEvent, after: dict[str, Any]) -> SealRequest | None:
    """The request an event is about, read once per event however many rules ask."""
    cached: SealRequest | bool | None = getattr(event, "_oversight_request", False)
    if cached is not False:
        return cached if isinstance(cached, SealRequest) else None
    pk = _int(event.target_id) if event.target_type == REQUEST_TYPE else None
    if pk is None:
        pk = _int(after.get("request_id", after.get("request")))
    request = (
        SealRequest.objects.select_related("matter", "seal", "village").filter(pk=pk).first()
        if pk is not None
        else None
    )
    event._oversight_request = request  # type: ignore[attr-defined]  # per-event memo
    return request


def _seal_of(after: dict[str, Any]) -> Seal | None:
    pk = _int(after.get("seal_id", after.get("seal")))
    return Seal.objects.filter(pk=pk).first() if pk is not None else None


@dataclass(frozen=True)
class _Where:
    village_id: int
    request_id: int | None
    seal_id: int | None
    label: str


def _serial(after: dict[str, Any]) -> str:
    """The terminal's serial (the devices app writes `device`)."""
    return str(after.get("device") or after.get("device_serial") or "")


def _devices_model(name: str) -> Any:
    """A model of the devices app, when it is installed; oversight reads its rows by the
    ids the audit events carry and needs no import of it."""
    try:
        return apps.get_model("devices", name)
    except LookupError:
        return None


def _where(event: AuditEvent, after: dict[str, Any]) -> _Where | None:
    """The village (and request, seal) an event is about; None when it names none."""
    request = _request_of(event, after)
    if request is not None:
        return _Where(request.village_id, request.pk, request.seal_id, request.number)
    seal = _seal_of(after)
    if seal is not None:
        return _Where(seal.village_id, None, seal.pk, seal.code)
    village_id = _int(after.get("village_id"))  # a terminal's alarm names its village
    if village_id is not None:
        return _Where(village_id, None, None, _serial(after))
    device_model = _devices_model("SealDevice")
    serial = _serial(after)
    if device_model is not None and serial:
        village_id = (
            device_model.objects.filter(serial=serial).values_list("village_id", flat=True).first()
        )
        if village_id is not None:
            return _Where(int(village_id), None, None, serial)
    return None


def _authorization(after: dict[str, Any]) -> Any:
    model = _devices_model("StampAuthorization")
    pk = _int(after.get("authorization", after.get("authorization_id")))
    if model is None or pk is None:
        return None
    return model.objects.filter(pk=pk).first()


def _device_key(event: AuditEvent, after: dict[str, Any]) -> str:
    """The stamp or alarm itself: its own record if the event targets one, else the event."""
    if event.target_type and event.target_id:
        return f"{event.target_type}:{event.target_id}"
    return f"seq:{event.seq}"


def _parse_time(value: Any, fallback: dt.datetime) -> dt.datetime:
    if isinstance(value, str) and value:
        try:
            moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return fallback
        return moment if timezone.is_aware(moment) else timezone.make_aware(moment, dt.UTC)
    return fallback


def _local(moment: dt.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


# --- event rules -------------------------------------------------------------------------


def off_hours_use(
    event: AuditEvent, after: dict[str, Any], params: dict[str, Any]
) -> list[Finding]:
    if event.action == "stamp_event.record" and after.get("status") != "authorized":
        return []  # unauthorised stamps have rules of their own
    where = _where(event, after)
    if where is None:
        return []
    moment = _parse_time(after.get("device_time") or after.get("server_time"), event.created_at)
    local = timezone.localtime(moment)
    start = dt.time.fromisoformat(str(params.get("start", "08:00")))
    end = dt.time.fromisoformat(str(params.get("end", "18:00")))
    try:
        workday = is_workday(local.date())
    except CalendarNotCovered:
        workday = local.weekday() < 5
    rest_day = bool(params.get("rest_days", True)) and not workday
    if not rest_day and start <= local.time() < end:
        return []
    expected = _("工作日 %(start)s–%(end)s") % {
        "start": start.strftime("%H:%M"),
        "end": end.strftime("%H:%M"),
    }
    actual = _local(moment) + ("（" + _("休息日") + "）" if not workday else "")
    return [
        Finding(
            fact_key=f"{event.action}:{_device_key(event, after)}",
            village_id=where.village_id,
            request_id=where.request_id,
            seal_id=where.seal_id,
            summary=_("%(what)s 在非工作时间用印（%(at)s）") % {"what": where.label, "at": actual},
            facts=[fact(_("用印时间"), expected, actual)],
            occurred_at=moment,
            source_event_seq=event.seq,
        )
    ]


def _stamp_status_rule(status: str, label: str) -> EventRule:
    def rule(event: AuditEvent, after: dict[str, Any], params: dict[str, Any]) -> list[Finding]:
        if after.get("status") != status:
            return []
        where = _where(event, after)
        if where is None:
            return []
        moment = _parse_time(after.get("device_time") or after.get("server_time"), event.created_at)
        label_text = _(label)
        facts = [fact(_("盖章结果"), _("已授权"), label_text)]
        grant = _authorization(after)
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
                f"{_local(grant.not_before)} – {_local(grant.not_after)}"
                if grant is not None
                else f"{after.get('not_before', '')} – {after.get('not_after', '')}"
            )
            facts.append(fact(_("授权时段"), window, _local(moment)))
        if status == "code_mismatch":
            other = _int(after.get("code_request"))
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
        facts.append(fact(_("设备"), _serial(after), _serial(after)))
        if after.get("photo_sha256"):
            facts.append(fact(_("盖章照片 SHA-256"), "", after["photo_sha256"]))
        return [
            Finding(
                fact_key=f"stamp:{_device_key(event, after)}",
                village_id=where.village_id,
                request_id=where.request_id,
                seal_id=where.seal_id,
                summary=_("%(what)s：%(label)s（设备 %(device)s）")
                % {
                    "what": where.label,
                    "label": label_text,
                    "device": _serial(after),
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


def document_mismatch(
    event: AuditEvent, after: dict[str, Any], params: dict[str, Any]
) -> list[Finding]:
    if event.action == "sealing.document_mismatch":
        refused = _request_of(event, after)
        if refused is None:
            return []
        return [
            Finding(
                fact_key=f"storage:{refused.pk}",
                village_id=refused.village_id,
                request_id=refused.pk,
                seal_id=refused.seal_id,
                summary=_("%(number)s 存储的待盖章文件与审批通过的文件不一致，盖章被拒绝")
                % {"number": refused.number},
                facts=[fact(_("文件 SHA-256"), _("与审批时一致"), _("不一致（盖章被拒绝）"))],
                occurred_at=event.created_at,
                source_event_seq=event.seq,
            )
        ]
    if event.action == "stamp_event.record":
        return _stamp_status_rule("code_mismatch", gettext_noop("校验码不符（审用不符）"))(
            event, after, params
        )
    # An electronic seal: the sealed file's source must be one of the approved documents.
    request = SealRequest.objects.filter(number=after.get("request", "")).first()
    source = str(after.get("source_sha256", ""))
    if request is None or not source:
        return []
    approved = set(
        request.documents.filter(superseded_at__isnull=True).values_list("sha256", flat=True)
    )
    if source in approved:
        return []
    return [
        Finding(
            fact_key=f"sealed:{event.target_id or event.seq}",
            village_id=request.village_id,
            request_id=request.pk,
            seal_id=request.seal_id,
            summary=_("%(number)s 盖章文件与审批文件不一致") % {"number": request.number},
            facts=[fact(_("文件 SHA-256"), "、".join(sorted(approved)) or "—", source)],
            occurred_at=event.created_at,
            source_event_seq=event.seq,
        )
    ]


def duties_conflict_attempt(
    event: AuditEvent, after: dict[str, Any], params: dict[str, Any]
) -> list[Finding]:
    request = _request_of(event, after)
    if request is None:
        return []
    return [
        Finding(
            fact_key=f"duties:{request.pk}:{event.actor_id}",
            village_id=request.village_id,
            request_id=request.pk,
            seal_id=request.seal_id,
            summary=_("%(name)s 审批过 %(number)s 后试图为其用印")
            % {"name": event.actor_name, "number": request.number},
            facts=[
                fact(_("审批人"), event.actor_name, event.actor_name),
                fact(_("用印人"), _("与审批人不同的印章管理员"), event.actor_name),
            ],
            occurred_at=event.created_at,
            source_event_seq=event.seq,
        )
    ]


def applicant_burst(
    event: AuditEvent, after: dict[str, Any], params: dict[str, Any]
) -> list[Finding]:
    request = _request_of(event, after)
    if request is None or request.submitted_at is None:
        return []
    hours = int(params.get("hours", 24))
    threshold = int(params.get("count", 3))
    since = request.submitted_at - dt.timedelta(hours=hours)
    recent = list(
        SealRequest.objects.filter(
            applicant_id=request.applicant_id,
            matter_id=request.matter_id,
            submitted_at__gte=since,
            submitted_at__lte=request.submitted_at,
        )
        .order_by("submitted_at", "pk")
        .values_list("number", flat=True)
    )
    if len(recent) < threshold:
        return []
    day = timezone.localtime(request.submitted_at).date()
    return [
        Finding(
            fact_key=f"burst:{request.applicant_id}:{request.matter_id}:{day.isoformat()}",
            village_id=request.village_id,
            request_id=request.pk,
            seal_id=request.seal_id,
            summary=_("同一经办人 %(hours)d 小时内提交 %(n)d 件“%(matter)s”申请")
            % {"hours": hours, "n": len(recent), "matter": request.matter.name},
            facts=[
                fact(
                    _("%(hours)d 小时内同事项申请数") % {"hours": hours},
                    _("少于 %(n)d 件") % {"n": threshold},
                    len(recent),
                ),
                fact(_("申请编号"), "", "、".join(recent)),
            ],
            occurred_at=request.submitted_at,
            source_event_seq=event.seq,
        )
    ]


def resolution_missing(
    event: AuditEvent, after: dict[str, Any], params: dict[str, Any]
) -> list[Finding]:
    request = _request_of(event, after)
    if request is None:
        return []
    keyword = str(params.get("keyword", "决议"))
    required = [str(name) for name in (request.matter.required_attachments or [])]
    if not any(keyword in name for name in required):
        return []
    names = list(request.attachments.values_list("original_name", flat=True))
    if any(keyword in name for name in names):
        return []
    return [
        Finding(
            fact_key=f"resolution:{request.pk}",
            village_id=request.village_id,
            request_id=request.pk,
            seal_id=request.seal_id,
            summary=_("%(number)s “%(matter)s”未附村民会议决议即用印")
            % {"number": request.number, "matter": request.matter.name},
            facts=[
                fact(_("必需附件"), "、".join(required), "、".join(names) or _("无附件")),
            ],
            occurred_at=event.created_at,
            source_event_seq=event.seq,
        )
    ]


_RENT = re.compile(r"(\d+(?:\.\d+)?)\s*元\s*/\s*亩")


def rent_below_floor(
    event: AuditEvent, after: dict[str, Any], params: dict[str, Any]
) -> list[Finding]:
    request = _request_of(event, after)
    if request is None:
        return []
    keywords = [str(k) for k in params.get("matter_keywords", [])]
    if keywords and not any(k in request.matter.name for k in keywords):
        return []
    floor = Decimal(str(params.get("floor_yuan_per_mu_year", 5000)))
    figures = []
    for match in _RENT.finditer(request.purpose):
        try:
            figures.append(Decimal(match.group(1)))
        except InvalidOperation:
            continue
    low = [f for f in figures if f < floor]
    if not low:
        return []
    return [
        Finding(
            fact_key=f"rent:{request.pk}:{request.round}",
            village_id=request.village_id,
            request_id=request.pk,
            seal_id=request.seal_id,
            summary=_("%(number)s 租金 %(rent)s 元/亩/年低于底价 %(floor)s 元")
            % {"number": request.number, "rent": min(low), "floor": floor},
            facts=[fact(_("租金（元/亩/年）"), _("不低于 %(floor)s") % {"floor": floor}, min(low))],
            occurred_at=event.created_at,
            source_event_seq=event.seq,
        )
    ]


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
        minutes = _int(after.get("offline_minutes"))
        seconds = _int(after.get("offline_seconds"))
        if minutes is None and seconds is not None:
            minutes = seconds // 60
        last_seen = after.get("last_seen_at")
        if minutes is None and isinstance(last_seen, str) and last_seen:
            now = _parse_time(after.get("server_time"), event.created_at)
            minutes = int((now - _parse_time(last_seen, now)).total_seconds() // 60)
        if minutes is None and _int(after.get("hours")) is not None:
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
    where = _where(event, after)
    if where is None:
        return []
    return [
        Finding(
            fact_key=f"alarm:{_device_key(event, after)}",
            village_id=where.village_id,
            request_id=where.request_id,
            seal_id=where.seal_id,
            summary=_("设备 %(device)s 告警：%(kind)s")
            % {"device": _serial(after), "kind": _(ALARM_NAMES.get(kind, kind))},
            facts=facts,
            occurred_at=_parse_time(after.get("device_time"), event.created_at),
            source_event_seq=event.seq,
        )
    ]


#: code → (actions it listens to, function).
EVENT_RULES: dict[str, tuple[tuple[str, ...], EventRule]] = {
    "off_hours_use": (("seal_request.complete", "stamp_event.record"), off_hours_use),
    "stamp_over_count": (
        ("stamp_event.record",),
        _stamp_status_rule("over_count", gettext_noop("超过授权次数")),
    ),
    "stamp_outside_window": (
        ("stamp_event.record",),
        _stamp_status_rule("outside_window", gettext_noop("不在授权时段")),
    ),
    "stamp_without_grant": (
        ("stamp_event.record",),
        _stamp_status_rule("no_grant", gettext_noop("无授权盖章（先盖后批）")),
    ),
    "document_mismatch": (
        ("stamp_event.record", "sealed_document.create", "sealing.document_mismatch"),
        document_mismatch,
    ),
    "duties_conflict_attempt": (("seal_request.duties_refused",), duties_conflict_attempt),
    "applicant_burst": (("seal_request.submit",), applicant_burst),
    "resolution_missing": (("seal_request.complete",), resolution_missing),
    "rent_below_floor": (("seal_request.submit",), rent_below_floor),
    "device_alarm": (("device.alarm",), device_alarm),
}

RULES_BY_ACTION: dict[str, tuple[str, ...]] = {}
for _code, (_actions, _fn) in EVENT_RULES.items():
    for _action in _actions:
        RULES_BY_ACTION[_action] = (*RULES_BY_ACTION.get(_action, ()), _code)


# --- sweep rules -------------------------------------------------------------------------


def step_overdue(params: dict[str, Any], now: dt.datetime) -> Iterator[Finding]:
    grace = dt.timedelta(hours=float(params.get("grace_hours", 0)))
    steps = (
        ApprovalStep.objects.filter(status=StepStatus.ACTIVE, deadline__lt=now - grace)
        .values(
            "pk",
            "name",
            "deadline",
            "activated_at",
            "village_id",
            "request_id",
            "request__number",
            "request__seal_id",
        )
        .order_by("pk")
    )
    for step in steps.iterator(chunk_size=2000):
        deadline: dt.datetime = step["deadline"] or now
        yield Finding(
            fact_key=f"step:{step['pk']}",
            village_id=step["village_id"],
            request_id=step["request_id"],
            seal_id=step["request__seal_id"],
            summary=_("%(number)s “%(step)s”环节超过办理时限")
            % {"number": step["request__number"], "step": step["name"]},
            facts=[
                fact(
                    _("办理时限"),
                    _local(deadline),
                    _("%(now)s 仍未办结") % {"now": _local(now)},
                )
            ],
            occurred_at=deadline,
        )


def approved_never_sealed(params: dict[str, Any], now: dt.datetime) -> Iterator[Finding]:
    days = int(params.get("days", 30))
    rows = (
        SealRequest.objects.filter(
            status=RequestStatus.APPROVED, decided_at__lt=now - dt.timedelta(days=days)
        )
        .values("pk", "number", "decided_at", "village_id", "seal_id")
        .order_by("pk")
    )
    for row in rows.iterator(chunk_size=2000):
        decided: dt.datetime = row["decided_at"] or now
        yield Finding(
            fact_key=f"idle:{row['pk']}",
            village_id=row["village_id"],
            request_id=row["pk"],
            seal_id=row["seal_id"],
            summary=_("%(number)s 批准已超过 %(days)d 天仍未用印")
            % {"number": row["number"], "days": days},
            facts=[
                fact(
                    _("批准后用印期限"),
                    _("%(days)d 天内") % {"days": days},
                    _("批准于 %(at)s，至今未用印") % {"at": _local(decided)},
                )
            ],
            occurred_at=decided + dt.timedelta(days=days),
        )


def _match_key(event: AuditEvent, after: dict[str, Any]) -> str:
    if event.target_type and event.target_id:
        return f"{event.target_type}:{event.target_id}"
    return f"{_serial(after)}:{after.get('request', '')}:{after.get('authorization', '')}"


def emergency_unapproved(params: dict[str, Any], now: dt.datetime) -> Iterator[Finding]:
    """An emergency opening not approved by its deadline: the `approve_by` the devices
    app wrote (working days after the opening), else `hours` after it."""
    hours = int(params.get("hours", 48))
    approved = {
        _match_key(e, json.loads(e.after or "{}"))
        for e in AuditEvent.objects.filter(action="device.emergency_approved").only(
            "target_type", "target_id", "after"
        )
    }
    opened = AuditEvent.objects.filter(action="device.emergency_open", created_at__lt=now).order_by(
        "seq"
    )
    for event in opened.iterator(chunk_size=500):
        after = json.loads(event.after or "{}")
        if _match_key(event, after) in approved:
            continue
        due = _parse_time(after.get("approve_by"), event.created_at + dt.timedelta(hours=hours))
        if due >= now:
            continue
        where = _where(event, after)
        if where is None:
            continue
        yield Finding(
            fact_key=f"emergency:{_match_key(event, after)}",
            village_id=where.village_id,
            request_id=where.request_id,
            seal_id=where.seal_id,
            summary=_("设备 %(device)s 紧急开锁用章后未按期补批（期限 %(due)s）")
            % {"device": _serial(after), "due": _local(due)},
            facts=[
                fact(
                    _("补批期限"),
                    _local(due),
                    _("%(at)s 开锁，至今未补批") % {"at": _local(event.created_at)},
                ),
                fact(_("开锁理由"), "", after.get("reason", "")),
                fact(_("应补批人"), _("本村书记"), after.get("approve_by_person", "")),
            ],
            occurred_at=event.created_at,
            source_event_seq=event.seq,
        )


def unusual_frequency(params: dict[str, Any], now: dt.datetime) -> Iterator[Finding]:
    weeks = max(1, int(params.get("history_weeks", 8)))
    factor = Decimal(str(params.get("factor", 3)))
    min_uses = int(params.get("min_uses", 5))
    week_start = now - dt.timedelta(days=7)
    history_start = week_start - dt.timedelta(weeks=weeks)
    rows = (
        SealRequest.objects.filter(
            status=RequestStatus.COMPLETED, completed_at__gte=history_start, completed_at__lt=now
        )
        .values("seal_id", "village_id")
        .annotate(
            recent=Count("pk", filter=Q(completed_at__gte=week_start)),
            before=Count("pk", filter=Q(completed_at__lt=week_start)),
        )
        .filter(recent__gte=min_uses)
        .order_by("seal_id")
    )
    iso = timezone.localtime(now).isocalendar()
    for row in rows:
        average = Decimal(row["before"]) / weeks
        if Decimal(row["recent"]) <= factor * average and row["before"] > 0:
            continue
        yield Finding(
            fact_key=f"freq:{row['seal_id']}:{iso.year}-W{iso.week:02d}",
            village_id=row["village_id"],
            seal_id=row["seal_id"],
            summary=_("印章近七天用印 %(n)d 次，以往每周平均 %(avg)s 次")
            % {"n": row["recent"], "avg": round(average, 1)},
            facts=[
                fact(
                    _("近七天用印次数"),
                    _("不超过以往周均的 %(f)s 倍（%(v)s 次）")
                    % {"f": factor, "v": round(factor * average, 1)},
                    row["recent"],
                ),
                fact(_("以往 %(w)d 周用印次数") % {"w": weeks}, "", row["before"]),
            ],
            occurred_at=now,
        )


SWEEP_RULES: dict[str, SweepRule] = {
    "step_overdue": step_overdue,
    "approved_never_sealed": approved_never_sealed,
    "emergency_unapproved": emergency_unapproved,
    "unusual_frequency": unusual_frequency,
}


def on_audit_event(event: AuditEvent) -> None:
    """The audit subscriber: run the enabled event rules that listen to this action."""
    codes = RULES_BY_ACTION.get(event.action)
    if not codes:
        return
    from zhiyin.oversight.services import warning_raise, warning_rules_enabled

    after = json.loads(event.after) if event.after else {}
    if not isinstance(after, dict):
        return
    for rule in warning_rules_enabled(codes):
        for finding in EVENT_RULES[rule.code][1](event, after, rule.parameters or {}):
            warning_raise(rule=rule, finding=finding)
