"""What the request's transitions share: its link and audit snapshot, the row lock,
activating a step and the notices to applicant and custodians. Private to the package."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
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
from zhiyin.approvals.timelimits import step_deadline, working_hours
from zhiyin.audit.services import audit_record, district_log
from zhiyin.core.errors import RuleViolation
from zhiyin.delivery.services import Notice, notices_send, notify_all
from zhiyin.lib.workcalendar import WorkingHours
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


#: The rows `request_locked` locks with the request: the village, matter and seal it is
#: checked against (retiring a village, stopping a matter and changing a seal's status
#: lock the same rows, so they wait for the transition or it waits for them).
_LOCKED_RELATED = ("village", "matter", "seal")


def request_locked(request: SealRequest, *also: str) -> SealRequest:
    """The request re-read under a row lock (`select_for_update`) with its village, matter
    and seal (locked too), and the relations `also` names read along without a lock."""
    return (
        SealRequest.objects.select_for_update(of=("self", *_LOCKED_RELATED))
        .select_related(*_LOCKED_RELATED, *also)
        .get(pk=request.pk)
    )


def applicant_require(request: SealRequest, by: Person, what: str) -> None:
    """Refuse (`RuleViolation`) unless `by` is the request's applicant."""
    if request.applicant_id != by.pk:
        raise RuleViolation(_("只有申请人本人可以%(what)s。") % {"what": what})


def round_steps_locked(request: SealRequest) -> tuple[ApprovalStep, ApprovalStep | None]:
    """The request's active step and the round's next waiting one (None at the end of the
    chain), both under a row lock and read in one query; refuses when no step waits."""
    steps = list(
        ApprovalStep.objects.select_for_update(of=("self",))
        .select_related("chain_step")
        .filter(request=request, status__in=[StepStatus.ACTIVE, StepStatus.WAITING])
        .order_by("position", "pk")
    )
    active = next((s for s in steps if s.status == StepStatus.ACTIVE), None)
    if active is None:
        raise RuleViolation(_("该申请当前没有待审批的环节。"))
    following = next(
        (s for s in steps if s.status == StepStatus.WAITING and s.round == request.round), None
    )
    for step in (active, following):
        if step is not None:
            step.request = request
    return active, following


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


def request_hours(request: SealRequest) -> WorkingHours:
    """The office hours and holiday calendar of the request's district, read once per
    transition for every deadline and duration it computes."""
    return working_hours(district_id=request.village.district_id)


def step_open(step: ApprovalStep, now: Any, hours: WorkingHours) -> None:
    """Mark `step` active from `now` with its deadline on the working calendar (not saved)."""
    step.status = StepStatus.ACTIVE
    step.activated_at = now
    step.deadline = step_deadline(
        start=now, amount=step.chain_step.time_limit, unit=step.chain_step.time_unit, hours=hours
    )


def step_holders_tell(step: ApprovalStep) -> None:
    """Tell the holders of the opened `step` (the applicant excepted) that it waits for them."""
    request = step.request
    notify_all(
        people=list(step_holders(step).exclude(pk=request.applicant_id)),
        text=_("待办：%(number)s %(matter)s 等待您审批（%(step)s）。")
        % {"number": request.number, "matter": request.matter.name, "step": step.name},
        link=request_link(request),
        event="seal_request.step_activated",
    )


def step_activate(step: ApprovalStep, now: Any, hours: WorkingHours | None = None) -> None:
    """Open `step` with its deadline on the working calendar and tell its holders
    (the applicant excepted) that it waits for them."""
    step_open(step, now, hours if hours is not None else request_hours(step.request))
    step.save(update_fields=["status", "activated_at", "deadline"])
    step_holders_tell(step)


def applicant_notice(
    request: SealRequest, message: str, event: str, *, comment: str = ""
) -> Notice:
    """The notice telling the applicant `message` (with the request number and `comment`)."""
    return Notice(
        request.applicant,
        message % {"number": request.number, "comment": comment},
        request_link(request),
        event,
    )


def applicant_notify(request: SealRequest, message: str, event: str, *, comment: str = "") -> None:
    """Tell the applicant `message` (with the request number and `comment`) as `event`."""
    notices_send([applicant_notice(request, message, event, comment=comment)])


def _custodian_ids(request: SealRequest) -> QuerySet[RoleGrant, int]:
    return (
        RoleGrant.objects.active()
        .filter(role=Role.CUSTODIAN, village=request.village, group__isnull=True)
        .values_list("person_id", flat=True)
    )


def _custodian_text(request: SealRequest) -> str:
    return _("%(number)s 已批准，请核对文件后用印。") % {"number": request.number}


def custodian_notices(request: SealRequest) -> list[Notice]:
    """The notices telling the village's custodians (the applicant excepted) that the
    request may be sealed."""
    people = Person.objects.filter(pk__in=_custodian_ids(request)).exclude(pk=request.applicant_id)
    text = _custodian_text(request)
    return [Notice(p, text, request_link(request), "seal_request.approved") for p in people]


def approved_notices(request: SealRequest) -> list[Notice]:
    """The notices of an approved request: to the custodians (the applicant excepted) that
    it may be sealed, and to the applicant that it passed; everyone read in one query."""
    people = list(
        Person.objects.filter(Q(pk__in=_custodian_ids(request)) | Q(pk=request.applicant_id))
    )
    link, text = request_link(request), _custodian_text(request)
    notices = [
        Notice(p, text, link, "seal_request.approved")
        for p in people
        if p.pk != request.applicant_id
    ]
    for person in people:
        if person.pk == request.applicant_id:
            request.applicant = person
            notices.append(
                applicant_notice(request, _("%(number)s 已审批通过。"), "seal_request.approved")
            )
    return notices


def custodians_notify(request: SealRequest) -> None:
    """Tell the village's custodians (the applicant excepted) that the request may be sealed."""
    notices_send(custodian_notices(request))
