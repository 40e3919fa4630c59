"""Nudges about waiting steps: the applicant's reminder (催办, at most once per
interval) and the overdue sweep's notices to holders and their superiors (once each,
claimed by a conditional update so concurrent sweeps send one)."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from zhiyin.approvals.models import (
    PENDING_STATUSES,
    ApprovalStep,
    SealRequest,
    StepStatus,
)
from zhiyin.approvals.selectors import (
    step_holders,
    step_superiors,
)
from zhiyin.approvals.services._shared import (
    active_step_locked,
    applicant_require,
    request_link,
    request_locked,
)
from zhiyin.audit.services import audit_record, district_log
from zhiyin.core.errors import RuleViolation
from zhiyin.delivery.services import notify_all
from zhiyin.orgs.models import Person

DEFAULT_REMINDER_INTERVAL = timedelta(hours=2)


def reminder_interval() -> timedelta:
    """How long an applicant waits between two reminders of one step: `REMINDER_INTERVAL_SECONDS`,
    else two hours."""
    seconds = getattr(settings, "REMINDER_INTERVAL_SECONDS", None)
    return DEFAULT_REMINDER_INTERVAL if seconds is None else timedelta(seconds=int(seconds))


@transaction.atomic
def seal_request_remind(*, request: SealRequest, by: Person) -> ApprovalStep:
    """The applicant nudges the holders of the current step (催办), at most once per
    `REMINDER_INTERVAL_SECONDS` per step. The claim is a conditional update, so two
    clicks at once send one reminder."""
    request = request_locked(request)
    applicant_require(request, by, _("催办"))
    if request.status not in PENDING_STATUSES:
        raise RuleViolation(_("该申请当前不在审批中，无需催办。"))
    step = active_step_locked(request)
    now = timezone.now()
    interval = reminder_interval()
    claimed = ApprovalStep.objects.filter(
        Q(last_reminded_at__isnull=True) | Q(last_reminded_at__lte=now - interval),
        pk=step.pk,
    ).update(last_reminded_at=now)
    if not claimed:
        raise RuleViolation(
            _("已催办过，请 %(hours)s 小时后再催办。")
            % {"hours": f"{interval.total_seconds() / 3600:g}"}
        )
    notify_all(
        people=list(step_holders(step).exclude(pk=request.applicant_id)),
        text=_("催办：%(number)s %(matter)s 等待您审批（%(step)s）。")
        % {"number": request.number, "matter": request.matter.name, "step": step.name},
        link=request_link(request),
        event="seal_request.remind",
    )
    audit_record(
        actor=by,
        action="seal_request.remind",
        target=request,
        after={"step": step.name},
        scope=request.village.name,
        log=district_log(request.village.district_id),
    )
    step.last_reminded_at = now
    return step


@transaction.atomic
def approval_step_overdue_notify(*, step_id: int) -> int:
    """Tell the holders of one late step, and their superiors, exactly once each.

    Each notice is claimed with `UPDATE … WHERE <field> IS NULL AND status = 'active'
    AND deadline < now`: of several workers sweeping at once, one wins each claim and
    the others update no row. Returns how many notices this call claimed (0, 1 or 2).
    """
    now = timezone.now()
    claimable = ApprovalStep.objects.filter(pk=step_id, status=StepStatus.ACTIVE, deadline__lt=now)
    holders_claimed = claimable.filter(overdue_notified_at__isnull=True).update(
        overdue_notified_at=now
    )
    superior_claimed = claimable.filter(superior_notified_at__isnull=True).update(
        superior_notified_at=now
    )
    if not (holders_claimed or superior_claimed):
        return 0
    step = ApprovalStep.objects.select_related("request", "request__matter").get(pk=step_id)
    request = step.request
    args = {"number": request.number, "matter": request.matter.name, "step": step.name}
    if holders_claimed:
        notify_all(
            people=list(step_holders(step).exclude(pk=request.applicant_id)),
            text=_("超时提醒：%(number)s %(matter)s 的“%(step)s”环节已超过办理时限。") % args,
            link=request_link(request),
            event="approval_step.overdue",
        )
    if superior_claimed:
        notify_all(
            people=list(step_superiors(step)),
            text=_("超时通报：%(number)s %(matter)s 的“%(step)s”环节已超过办理时限。") % args,
            link=request_link(request),
            event="approval_step.overdue_superior",
        )
    audit_record(
        actor=None,
        action="approval_step.overdue",
        target=request,
        after={"step": step.name, "deadline": step.deadline},
        scope=request.village.name,
        log=district_log(request.village.district_id),
    )
    return holders_claimed + superior_claimed
