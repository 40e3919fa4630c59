"""Event rules about seal requests: use outside working hours, a document that is not
what was approved, an approver who tried to seal, bursts from one applicant, a missing
villagers' resolution, land rent below the floor."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from zhiyin.approvals.models import RequestDocument, SealRequest
from zhiyin.audit.models import AuditEvent
from zhiyin.lib.workcalendar import CalendarNotCovered, is_workday
from zhiyin.oversight.models import Warning, WarningRule
from zhiyin.oversight.rules.facts import (
    Finding,
    device_key,
    fact,
    local_text,
    parse_time,
    request_of,
    where_of,
)
from zhiyin.oversight.rules.terminals import stamp_status_rule


def off_hours_use(
    event: AuditEvent, after: dict[str, Any], params: dict[str, Any]
) -> list[Finding]:
    if event.action == "stamp_event.record" and after.get("status") != "authorized":
        return []  # unauthorised stamps have rules of their own
    moment = parse_time(after.get("device_time") or after.get("server_time"), event.created_at)
    local = timezone.localtime(moment)
    start = dt.time.fromisoformat(str(params.get("start", "08:00")))
    end = dt.time.fromisoformat(str(params.get("end", "18:00")))
    try:
        workday = is_workday(local.date())
    except CalendarNotCovered:
        workday = local.weekday() < 5
    rest_day = bool(params.get("rest_days", True)) and not workday
    if not rest_day and start <= local.time() < end:
        return []  # decided by the clock alone: no query for use within working hours
    where = where_of(event, after)
    if where is None:
        return []
    expected = _("工作日 %(start)s–%(end)s") % {
        "start": start.strftime("%H:%M"),
        "end": end.strftime("%H:%M"),
    }
    actual = local_text(moment) + ("（" + _("休息日") + "）" if not workday else "")
    return [
        Finding(
            fact_key=f"{event.action}:{device_key(event, after)}",
            village_id=where.village_id,
            request_id=where.request_id,
            seal_id=where.seal_id,
            summary=_("%(what)s 在非工作时间用印（%(at)s）") % {"what": where.label, "at": actual},
            facts=[fact(_("用印时间"), expected, actual)],
            occurred_at=moment,
            source_event_seq=event.seq,
        )
    ]


def document_mismatch(
    event: AuditEvent, after: dict[str, Any], params: dict[str, Any]
) -> list[Finding]:
    if event.action == "sealing.document_mismatch":
        refused = request_of(event, after)
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
        return stamp_status_rule("code_mismatch", gettext_noop("校验码不符（审用不符）"))(
            event, after, params
        )
    # An electronic seal: the sealed file's source must be one of the approved documents.
    # The usual answer (it is) costs one query; the finding's details are read only when
    # it is not.
    number = str(after.get("request", ""))
    source = str(after.get("source_sha256", ""))
    if (
        number
        and source
        and RequestDocument.objects.filter(
            request__number=number, superseded_at__isnull=True, sha256=source
        ).exists()
    ):
        return []
    request = SealRequest.objects.filter(number=number).first()
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
    request = request_of(event, after)
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


def _burst_count(request: SealRequest, since: dt.datetime, fact_key: str) -> tuple[int, bool]:
    """How many requests of the matter the applicant submitted from `since` to this one, and
    whether the rule already raised the warning for `fact_key`: one aggregate query, run on
    every submission (index `sealrequest_applicant_matter` serves it)."""
    requests = connection.ops.quote_name(SealRequest._meta.db_table)
    warnings = connection.ops.quote_name(Warning._meta.db_table)
    rules = connection.ops.quote_name(WarningRule._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT COUNT(*), EXISTS (
                    SELECT 1 FROM {warnings} w JOIN {rules} r ON r.id = w.rule_id
                    WHERE r.code = %s AND w.fact_key = %s)
                FROM {requests}
                WHERE applicant_id = %s AND matter_id = %s
                  AND submitted_at >= %s AND submitted_at <= %s""",  # noqa: S608  # no user input
            [
                "applicant_burst",
                fact_key,
                request.applicant_id,
                request.matter_id,
                since,
                request.submitted_at,
            ],
        )
        count, raised = cursor.fetchone()
    return int(count), bool(raised)


def applicant_burst(
    event: AuditEvent, after: dict[str, Any], params: dict[str, Any]
) -> list[Finding]:
    request = request_of(event, after)
    if request is None or request.submitted_at is None:
        return []
    hours = int(params.get("hours", 24))
    threshold = int(params.get("count", 3))
    since = request.submitted_at - dt.timedelta(hours=hours)
    day = timezone.localtime(request.submitted_at).date()
    fact_key = f"burst:{request.applicant_id}:{request.matter_id}:{day.isoformat()}"
    count, raised = _burst_count(request, since, fact_key)
    if count < threshold or raised:
        return []  # below the threshold, or the day's warning stands (one per fact)
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
    return [
        Finding(
            fact_key=fact_key,
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
    request = request_of(event, after)
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
    request = request_of(event, after)
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
