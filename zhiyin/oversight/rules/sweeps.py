"""Sweep rules, run by the periodic `warning_sweep`: they need history or the passing
of time — a step past its deadline, an approved request never sealed, an emergency use
never approved afterwards, a seal used far more often than before."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from zhiyin.approvals.models import ApprovalStep, RequestStatus, SealRequest, StepStatus
from zhiyin.audit.models import AuditEvent
from zhiyin.oversight.rules.facts import (
    Finding,
    SweepRule,
    fact,
    local_text,
    parse_time,
    serial_of,
    where_of,
)


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
                    local_text(deadline),
                    _("%(now)s 仍未办结") % {"now": local_text(now)},
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
                    _("批准于 %(at)s，至今未用印") % {"at": local_text(decided)},
                )
            ],
            occurred_at=decided + dt.timedelta(days=days),
        )


def _match_key(event: AuditEvent, after: dict[str, Any]) -> str:
    if event.target_type and event.target_id:
        return f"{event.target_type}:{event.target_id}"
    return f"{serial_of(after)}:{after.get('request', '')}:{after.get('authorization', '')}"


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
        due = parse_time(after.get("approve_by"), event.created_at + dt.timedelta(hours=hours))
        if due >= now:
            continue
        where = where_of(event, after)
        if where is None:
            continue
        yield Finding(
            fact_key=f"emergency:{_match_key(event, after)}",
            village_id=where.village_id,
            request_id=where.request_id,
            seal_id=where.seal_id,
            summary=_("设备 %(device)s 紧急开锁用章后未按期补批（期限 %(due)s）")
            % {"device": serial_of(after), "due": local_text(due)},
            facts=[
                fact(
                    _("补批期限"),
                    local_text(due),
                    _("%(at)s 开锁，至今未补批") % {"at": local_text(event.created_at)},
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
