"""What the request's transitions share: its link and audit snapshot, the row lock,
activating a step and the notices to applicant and custodians. Private to the package."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _

from zhiyin.approvals.models import (
    ApprovalStep,
    SealRequest,
    StepStatus,
)
from zhiyin.approvals.selectors import (
    step_holders,
)
from zhiyin.approvals.timelimits import step_deadline
from zhiyin.audit.services import audit_record, district_log
from zhiyin.core.errors import RuleViolation
from zhiyin.delivery.services import notify
from zhiyin.orgs.models import Person, Role, RoleGrant

#: Notices that ask someone to decide a step; closed once the step is decided.
TO_DECIDE_EVENTS = frozenset(
    {"seal_request.step_activated", "seal_request.remind", "approval_step.overdue"}
)


def request_link(request: SealRequest) -> str:
    """The request page's path, which every notice about the request links to."""
    return reverse("seal_request_detail", args=[request.pk])


def request_data(request: SealRequest) -> dict[str, Any]:
    """The request's fields as the audit log records them before and after a change."""
    return {
        "number": request.number,
        "status": request.status,
        "matter": request.matter.code,
        "seal": request.seal.code,
        "stamp_count": request.stamp_count,
        "place_of_use": request.place_of_use,
        "purpose": request.purpose,
        "round": request.round,
        "group": request.group_id,
        "on_behalf_of": request.on_behalf_of_id,
    }


def request_audit(
    request: SealRequest,
    *,
    by: Person | None,
    action: str,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    role: str = "",
) -> None:
    """Record a transition of `request` in its district's log, inside the caller's
    transaction; `after` defaults to the request's snapshot."""
    audit_record(
        actor=by,
        action=action,
        target=request,
        before=before,
        after=request_data(request) if after is None else after,
        role=role,
        scope=request.village.name,
        log=district_log(request.village.district_id),
    )


def request_locked(request: SealRequest) -> SealRequest:
    """The request re-read under a row lock (`select_for_update`), with what transitions read."""
    return (
        SealRequest.objects.select_for_update()
        .select_related("village", "village__district", "matter", "seal", "chain")
        .get(pk=request.pk)
    )


def applicant_require(request: SealRequest, by: Person, what: str) -> None:
    """Refuse (`RuleViolation`) unless `by` is the request's applicant."""
    if request.applicant_id != by.pk:
        raise RuleViolation(_("只有申请人本人可以%(what)s。") % {"what": what})


def active_step_locked(request: SealRequest) -> ApprovalStep:
    """The request's active step under a row lock; refuses when no step waits."""
    step = (
        ApprovalStep.objects.select_for_update()
        .select_related("chain_step")
        .filter(request=request, status=StepStatus.ACTIVE)
        .first()
    )
    if step is None:
        raise RuleViolation(_("该申请当前没有待审批的环节。"))
    step.request = request
    return step


def step_activate(step: ApprovalStep, now: Any) -> None:
    """Open `step` with its deadline on the working calendar and tell its holders
    (the applicant excepted) that it waits for them."""
    step.status = StepStatus.ACTIVE
    step.activated_at = now
    step.deadline = step_deadline(
        start=now,
        amount=step.chain_step.time_limit,
        unit=step.chain_step.time_unit,
        district_id=step.request.village.district_id,
    )
    step.save(update_fields=["status", "activated_at", "deadline"])
    request = step.request
    for person in step_holders(step).exclude(pk=request.applicant_id):
        notify(
            person=person,
            text=_("待办：%(number)s %(matter)s 等待您审批（%(step)s）。")
            % {"number": request.number, "matter": request.matter.name, "step": step.name},
            link=request_link(request),
            event="seal_request.step_activated",
        )


def applicant_notify(request: SealRequest, message: str, event: str, *, comment: str = "") -> None:
    """Tell the applicant `message` (with the request number and `comment`) as `event`."""
    notify(
        person=request.applicant,
        text=message % {"number": request.number, "comment": comment},
        link=request_link(request),
        event=event,
    )


def custodians_notify(request: SealRequest) -> None:
    """Tell the village's custodians (the applicant excepted) that the request may be sealed."""
    custodians = (
        RoleGrant.objects.active()
        .filter(role=Role.CUSTODIAN, village=request.village, group__isnull=True)
        .values("person_id")
    )
    for person in Person.objects.filter(pk__in=custodians).exclude(pk=request.applicant_id):
        notify(
            person=person,
            text=_("%(number)s 已批准，请核对文件后用印。") % {"number": request.number},
            link=request_link(request),
            event="seal_request.approved",
        )
