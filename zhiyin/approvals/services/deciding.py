"""Deciding a request's active step (approve, return, reject), withdrawing it, and
recording that an approver opened a document — approving needs every current document
opened. Each locks the request row and re-reads its status first."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zhiyin.approvals.models import (
    PENDING_STATUSES,
    ApprovalStep,
    Decision,
    DocumentView,
    RequestDocument,
    RequestStatus,
    SealRequest,
    StepDecision,
    StepStatus,
)
from zhiyin.approvals.selectors import (
    approver_checks,
    step_holders,
)
from zhiyin.approvals.services._shared import (
    TO_DECIDE_EVENTS,
    active_step_locked,
    applicant_notify,
    applicant_require,
    approved_notices,
    request_audit,
    request_data,
    request_hours,
    request_link,
    request_locked,
    round_steps_locked,
    step_activate,
)
from zhiyin.approvals.timelimits import step_duration
from zhiyin.core.errors import RuleViolation
from zhiyin.delivery.services import notices_send, notifications_close, notify_all
from zhiyin.orgs.models import Person


@transaction.atomic
def document_view_record(*, document: RequestDocument, by: Person) -> DocumentView:
    """Note that `by` opened `document` (the scoped download view calls this)."""
    return DocumentView.objects.create(person=by, document=document)


def _decide(*, request: SealRequest, by: Person, decision: str, comment: str) -> SealRequest:
    request = request_locked(request)
    if request.status not in PENDING_STATUSES:
        raise RuleViolation(
            _("该申请当前为“%(status)s”，不能再审批。") % {"status": request.get_status_display()}
        )
    step, following = round_steps_locked(request)
    if by.pk == request.applicant_id:
        raise RuleViolation(_("申请人不能审批自己的申请。"))
    holds, opened_all = approver_checks(step=step, person=by)
    if not holds:
        raise RuleViolation(_("您不是“%(step)s”环节的审批人。") % {"step": step.name})
    # Who decided the step so far: refuses a second decision by the same person and counts
    # the approvals (the step row is locked, so nobody adds one meanwhile). A one-approver
    # step closes at its first decision, so while it is active nobody has decided it.
    decided = (
        list(
            StepDecision.objects.filter(step_id=step.pk)
            .order_by()
            .values_list("person_id", "decision")
        )
        if step.approvers_needed > 1
        else []
    )
    if any(person_id == by.pk for person_id, _decision in decided):
        raise RuleViolation(_("您已审批过本环节，本环节还需另一位审批人审批。"))
    comment = comment.strip()
    if decision in (Decision.RETURN, Decision.REJECT) and not comment:
        raise RuleViolation(
            _("退回时请写明需要修改的内容。")
            if decision == Decision.RETURN
            else _("驳回时请写明理由。")
        )
    if decision == Decision.APPROVE and not opened_all:
        raise RuleViolation(_("请先打开并查看待用印的文件，再作出审批决定。"))
    before = request_data(request)
    now = timezone.now()
    StepDecision.objects.create(step=step, person=by, decision=decision, comment=comment)
    approvals = 1 + sum(1 for _person_id, d in decided if d == Decision.APPROVE)
    closes = decision != Decision.APPROVE or approvals >= step.approvers_needed
    # Before the next step's notices are written: they share the link. A step that still
    # needs another approver stays on the others' lists.
    notifications_close(
        link=request_link(request), events=TO_DECIDE_EVENTS, person_id=None if closes else by.pk
    )
    if closes:
        hours = request_hours(request)  # the district's calendar, once for both computations
        step.status = StepStatus.DONE
        step.decision = decision
        step.decided_at = now
        step.decided_by = by
        step.comment = comment
        step.duration = step_duration(start=step.activated_at or now, end=now, hours=hours)
        step.save(
            update_fields=["status", "decision", "decided_at", "decided_by", "comment", "duration"]
        )
    if decision == Decision.APPROVE:
        if closes:
            if following is None:
                request.status = RequestStatus.APPROVED
                request.decided_at = now
                notices_send(approved_notices(request))  # custodians and applicant at once
            else:
                request.status = RequestStatus.IN_APPROVAL
                step_activate(following, now, hours)
        else:
            request.status = RequestStatus.IN_APPROVAL
    else:
        ApprovalStep.objects.filter(
            request=request, round=request.round, status=StepStatus.WAITING
        ).update(status=StepStatus.CANCELLED)
        request.status = (
            RequestStatus.RETURNED if decision == Decision.RETURN else RequestStatus.REJECTED
        )
        request.outcome_comment = comment
        request.decided_at = now if decision == Decision.REJECT else None
        message = (
            _("%(number)s 被退回，请修改后重新提交：%(comment)s")
            if decision == Decision.RETURN
            else _("%(number)s 被驳回：%(comment)s")
        )
        applicant_notify(request, message, f"seal_request.{decision}", comment=comment)
    request.save(update_fields=["status", "decided_at", "outcome_comment", "updated_at"])
    request_audit(
        request,
        by=by,
        action=f"seal_request.{decision}",
        before=before,
        after={**request_data(request), "step": step.name, "comment": comment},
        role=step.role,
    )
    return request


def seal_request_approve(*, request: SealRequest, by: Person, comment: str = "") -> SealRequest:
    """Approve the current step (同意). Needs the decider to have opened every document."""
    with transaction.atomic():
        return _decide(request=request, by=by, decision=Decision.APPROVE, comment=comment)


def seal_request_return(*, request: SealRequest, by: Person, comment: str) -> SealRequest:
    """Send the request back to the applicant to edit and resubmit (退回)."""
    with transaction.atomic():
        return _decide(request=request, by=by, decision=Decision.RETURN, comment=comment)


def seal_request_reject(*, request: SealRequest, by: Person, comment: str) -> SealRequest:
    """End the request with a reason (驳回)."""
    with transaction.atomic():
        return _decide(request=request, by=by, decision=Decision.REJECT, comment=comment)


def seal_request_decide(
    *, request: SealRequest, by: Person, decision: str, comment: str = ""
) -> SealRequest:
    """One entry for pages and the API that carry the decision as a value."""
    if decision == Decision.APPROVE:
        return seal_request_approve(request=request, by=by, comment=comment)
    if decision == Decision.RETURN:
        return seal_request_return(request=request, by=by, comment=comment)
    if decision == Decision.REJECT:
        return seal_request_reject(request=request, by=by, comment=comment)
    raise RuleViolation(_("未知的审批决定。"))


@transaction.atomic
def seal_request_withdraw(*, request: SealRequest, by: Person, reason: str = "") -> SealRequest:
    """The applicant takes the request back (撤回) while nobody has acted on the current
    step. The resident a clerk filed it for may withdraw it too: it is their matter, and
    the log must name them, not the clerk, as the one who withdrew."""
    request = request_locked(request)
    if request.on_behalf_of_id is None or request.on_behalf_of_id != by.pk:
        applicant_require(request, by, _("撤回申请"))
    if request.status == RequestStatus.DRAFT:
        raise RuleViolation(_("草稿尚未提交，无需撤回。"))
    holders: list[Person] = []
    if request.status != RequestStatus.RETURNED:
        # A returned request waits for its applicant, who may also give it up.
        if request.status not in PENDING_STATUSES:
            raise RuleViolation(
                _("该申请当前为“%(status)s”，不能撤回。") % {"status": request.get_status_display()}
            )
        step = active_step_locked(request)
        if step.decisions.exists():
            raise RuleViolation(_("审批人已开始办理当前环节，不能撤回。"))
        holders = list(step_holders(step).exclude(pk=by.pk))
    before = request_data(request)
    ApprovalStep.objects.filter(
        request=request, round=request.round, status__in=[StepStatus.ACTIVE, StepStatus.WAITING]
    ).update(status=StepStatus.CANCELLED)
    request.status = RequestStatus.WITHDRAWN
    notifications_close(link=request_link(request), events=TO_DECIDE_EVENTS)
    request.outcome_comment = reason.strip()[:500]
    request.decided_at = timezone.now()
    request.save()
    notify_all(
        people=holders,
        text=_("%(number)s 已由申请人撤回，无需再审批。") % {"number": request.number},
        link=request_link(request),
        event="seal_request.withdraw",
    )
    request_audit(request, by=by, action="seal_request.withdraw", before=before)
    return request
