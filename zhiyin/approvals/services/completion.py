"""Completing an approved request: a custodian records that it was sealed or stamped,
under separation of duties (审用分离) — an approver's attempt is refused and recorded."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zhiyin.approvals.hooks import physical_stamping_url
from zhiyin.approvals.models import (
    RequestStatus,
    SealRequest,
)
from zhiyin.approvals.selectors import (
    person_approved_request,
)
from zhiyin.approvals.services._shared import (
    applicant_notify,
    request_audit,
    request_data,
    request_link,
    request_locked,
)
from zhiyin.audit.services import audit_record_standalone
from zhiyin.core.errors import RuleViolation
from zhiyin.delivery.services import notifications_close
from zhiyin.orgs.models import Person, Role, RoleGrant


class DutiesConflict(RuleViolation):
    """Someone who decided a step of a request tried to seal it (审用分离)."""


def duties_attempt_record(*, request: SealRequest, by: Person) -> None:
    """Record a refused attempt to seal a request one decided. The refused change rolled
    back; the attempt itself stays on record as a signal for inspectors."""
    audit_record_standalone(
        actor=by,
        action="seal_request.duties_refused",
        target=request,
        role=Role.CUSTODIAN,
        scope=request.village.name,
    )


def seal_request_complete(
    *, request: SealRequest, by: Person, by_hand: bool = False
) -> SealRequest:
    """A custodian records that the approved request was sealed or stamped. Neither the
    applicant nor anyone who approved a step of it may be its custodian; an approver's
    attempt is refused and recorded.

    `by_hand` is the custodian ticking "stamped" for a physical seal: refused when that
    seal is held in a smart seal terminal, whose own count completes the request.
    """
    try:
        return _seal_request_complete(request=request, by=by, by_hand=by_hand)
    except DutiesConflict:
        duties_attempt_record(request=request, by=by)
        raise


@transaction.atomic
def _seal_request_complete(*, request: SealRequest, by: Person, by_hand: bool) -> SealRequest:
    request = request_locked(request)
    if request.status != RequestStatus.APPROVED:
        raise RuleViolation(_("只有已批准的申请才能用印。"))
    if by_hand and physical_stamping_url(request):
        raise RuleViolation(_("该印章存放在智能印章终端中，请在终端用印页面授权盖章。"))
    if (
        not RoleGrant.objects.active()
        .filter(person=by, role=Role.CUSTODIAN, village=request.village, group__isnull=True)
        .exists()
    ):
        raise RuleViolation(_("只有本村的印章管理员可以用印。"))
    if by.pk == request.applicant_id:
        raise RuleViolation(_("申请人不能为自己的申请用印，请由另一位印章管理员用印。"))
    if person_approved_request(request=request, person=by):
        raise DutiesConflict(_("审批过该申请的人不能为其用印（审用分离）。"))
    return seal_request_complete_checked(request=request, by=by)


def seal_request_complete_checked(*, request: SealRequest, by: Person) -> SealRequest:
    """Complete `request` for a caller that already holds its row lock in the current
    transaction and has made `seal_request_complete`'s checks on that locked row (the
    electronic sealing service does, in the same transaction): no second lock, no
    second check."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("seal_request_complete_checked must run inside the caller's transaction")
    if request.status != RequestStatus.APPROVED:
        raise RuleViolation(_("只有已批准的申请才能用印。"))
    before = request_data(request)
    request.status = RequestStatus.COMPLETED
    notifications_close(
        link=request_link(request),
        events={"seal_request.approved"},
        exclude_person_id=request.applicant_id,
    )
    request.completed_at = timezone.now()
    request.completed_by = by
    request.save(update_fields=["status", "completed_at", "completed_by", "updated_at"])
    applicant_notify(request, _("%(number)s 已用印。"), "seal_request.complete")
    request_audit(
        request, by=by, action="seal_request.complete", before=before, role=Role.CUSTODIAN
    )
    return request
