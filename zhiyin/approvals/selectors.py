"""Reads of seal requests, scoped to what the asking person's grants cover.

Who sees a request: village-wide roles (clerk, secretary, custodian, inspector, admin)
of its village or district; a group leader the requests of their group; anyone the
request names (its applicant, the resident it is for). Out of scope is `Http404`.
"""

from __future__ import annotations

from functools import reduce
from operator import or_
from typing import Any

from django.db.models import Exists, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from zhiyin.approvals.models import (
    ApprovalStep,
    DocumentView,
    RequestAttachment,
    RequestDocument,
    SealRequest,
    StepDecision,
    StepStatus,
)
from zhiyin.orgs.models import Person, Role, RoleGrant, Village
from zhiyin.orgs.selectors import Access


def seal_requests_for(*, access: Access) -> QuerySet[SealRequest]:
    """Requests the person may see: their villages' and districts' (village-wide roles), their
    groups', and those naming them as applicant or resident; none for anonymous."""
    if access.person_id is None:
        return SealRequest.objects.none()
    # A district-wide grant as the ids of its villages: the filter then stays on the
    # request's own indexed columns (a condition through the village table made
    # PostgreSQL read every request of the province for an inspector's list).
    village_ids = set(access.village_ids)
    if access.district_ids:
        village_ids.update(
            Village.objects.filter(district_id__in=access.district_ids).values_list("pk", flat=True)
        )
    return SealRequest.objects.filter(
        Q(village_id__in=village_ids)
        | Q(group_id__in=access.group_ids)
        | Q(applicant_id=access.person_id)
        | Q(on_behalf_of_id=access.person_id)
    ).select_related("village", "matter", "seal", "applicant", "group")


def seal_request_get_for(*, access: Access, pk: int) -> SealRequest:
    """One request within `seal_requests_for`; any other, existing or not, is `Http404`."""
    request = seal_requests_for(access=access).filter(pk=pk).first()
    if request is None:
        raise Http404
    return request


def document_get_for(*, access: Access, request_pk: int, pk: int) -> RequestDocument:
    """A document of a request the person may see; `Http404` otherwise (superseded ones included,
    for the record)."""
    request = seal_request_get_for(access=access, pk=request_pk)
    document = RequestDocument.objects.filter(request=request, pk=pk).first()
    if document is None:
        raise Http404
    return document


def attachment_get_for(*, access: Access, request_pk: int, pk: int) -> RequestAttachment:
    """An attachment of a request the person may see; `Http404` otherwise."""
    request = seal_request_get_for(access=access, pk=request_pk)
    attachment = RequestAttachment.objects.filter(request=request, pk=pk).first()
    if attachment is None:
        raise Http404
    return attachment


def _holder_filter(access: Access) -> Q | None:
    """Active steps a person's grants let them decide, as one OR of exact scope matches."""
    parts: list[Q] = []
    for g in access.grants:
        if g.bureau_id:
            continue
        if g.group_id:
            parts.append(Q(role=g.role, scope_level="group", group_id=g.group_id))
        elif g.village_id:
            parts.append(Q(role=g.role, scope_level="village", village_id=g.village_id))
        else:
            parts.append(Q(role=g.role, scope_level="district", district_id=g.district_id))
    return reduce(or_, parts) if parts else None


def inbox_for(*, access: Access) -> QuerySet[ApprovalStep]:
    """What waits for the person (待办): active steps they may decide, soonest deadline
    first — the issue's "newest deadline first" read as "most urgent first", so overdue
    steps lead. Their own requests and steps they already signed are left out."""
    holder = _holder_filter(access)
    if access.person_id is None or holder is None:
        return ApprovalStep.objects.none()
    return (
        ApprovalStep.objects.filter(holder, status=StepStatus.ACTIVE)
        .exclude(request__applicant_id=access.person_id)
        .exclude(decisions__person_id=access.person_id)
        .select_related("request", "request__matter", "request__applicant", "request__village")
        .order_by("deadline", "pk")
    )


def requests_with_unseen_documents(*, person: Person, request_ids: list[int]) -> set[int]:
    """Of `request_ids`, those with a current document `person` has not opened (one query)."""
    seen = DocumentView.objects.filter(person=person).values("document_id")
    return set(
        RequestDocument.objects.filter(request_id__in=request_ids, superseded_at__isnull=True)
        .exclude(pk__in=seen)
        .values_list("request_id", flat=True)
    )


def custodian_requests_for(*, access: Access) -> QuerySet[SealRequest]:
    """Approved requests in the person's custodian villages, including those the person
    may not seal themselves (their own, or one they approved): the worklist says why."""
    village_ids = [g.village_id for g in access.grants if g.role == Role.CUSTODIAN and g.village_id]
    if not village_ids or access.person_id is None:
        return SealRequest.objects.none()
    return (
        SealRequest.objects.filter(village_id__in=village_ids, status="approved")
        .select_related("matter", "village")
        .order_by("decided_at", "pk")
    )


def approved_for_custodian(*, access: Access) -> QuerySet[SealRequest]:
    """Approved requests the person may seal: not their own, and not one they approved.
    Their custodian confirmation is no approval (see `person_approved_request`)."""
    if access.person_id is None:
        return SealRequest.objects.none()
    approved_by_me = StepDecision.objects.filter(person_id=access.person_id).exclude(
        step__role=Role.CUSTODIAN
    )
    return (
        custodian_requests_for(access=access)
        .exclude(applicant_id=access.person_id)
        .exclude(pk__in=approved_by_me.values("step__request_id"))
    )


def request_timeline(*, request: SealRequest) -> QuerySet[ApprovalStep]:
    """Every round's steps with their deciders and decisions, in order (no scoping: the caller has
    scoped `request`)."""
    return (
        request.steps.select_related("decided_by")
        .prefetch_related(
            Prefetch("decisions", queryset=StepDecision.objects.select_related("person"))
        )
        .order_by("round", "position")
    )


def villages_to_apply_in(*, access: Access) -> QuerySet[Village]:
    """Villages where the person may raise requests (clerk or custodian there)."""
    ids = [
        g.village_id
        for g in access.grants
        if g.role in (Role.CLERK, Role.CUSTODIAN) and g.village_id and not g.group_id
    ]
    return Village.objects.filter(pk__in=ids, retired_at__isnull=True).order_by("code")


def residents_of(*, village: Village) -> QuerySet[Person]:
    """The active residents registered in `village`, by name (for 代办; the caller checks the person
    may file there)."""
    return Person.objects.filter(home_village=village, is_active=True).order_by("real_name")


def person_approved_request(*, request: SealRequest, person: Person) -> bool:
    """Whether `person` decided an approval step of `request` (审用分离).

    A custodian step (印章管理员核实) is the custodians' own confirmation of the matter,
    not an approval: counting it would leave a joint-seal request, whose custodian step
    both custodians decide, with nobody allowed to seal it."""
    return bool(
        StepDecision.objects.filter(step__request=request, person=person)
        .exclude(step__role=Role.CUSTODIAN)
        .exists()
    )


def grant_filter_for_step(step: ApprovalStep) -> Q:
    """The active grants that make a person a holder of `step`."""
    base = Q(revoked_at__isnull=True, role=step.role)
    if step.scope_level == "group":
        return base & Q(group_id=step.group_id)
    if step.scope_level == "village":
        return base & Q(village_id=step.village_id, group__isnull=True)
    return base & Q(district_id=step.district_id, village__isnull=True, bureau__isnull=True)


def step_holders(step: ApprovalStep) -> QuerySet[Person]:
    """Everyone who may decide `step` (the applicant included; services refuse them)."""
    person_ids = RoleGrant.objects.filter(grant_filter_for_step(step)).values("person_id")
    return Person.objects.filter(pk__in=person_ids, is_active=True)


def person_holds_step(person: Person, step: ApprovalStep) -> bool:
    """Whether one of the person's active grants makes them a holder of `step` (the applicant is
    refused by the services, not here)."""
    return RoleGrant.objects.filter(grant_filter_for_step(step), person=person).exists()


def access_holds_step(access: Access, step: ApprovalStep) -> bool:
    """`person_holds_step` from the grants already in `access` (its active grants), with no
    query: the same scope match as `grant_filter_for_step`."""
    for g in access.grants:
        if g.role != step.role or g.revoked_at is not None:
            continue
        if step.scope_level == "group":
            if g.group_id == step.group_id:
                return True
        elif step.scope_level == "village":
            if g.village_id == step.village_id and g.group_id is None:
                return True
        elif g.district_id == step.district_id and g.village_id is None and g.bureau_id is None:
            return True
    return False


def approver_checks(*, step: ApprovalStep, person: Person) -> tuple[bool, bool]:
    """(holds the step, has opened every current document of its request) for `person`, in
    one query: what `person_holds_step` and `unviewed_documents` answer, for an approval."""
    seen = DocumentView.objects.filter(person=person).values("document_id")
    unviewed = RequestDocument.objects.filter(
        request_id=step.request_id, superseded_at__isnull=True
    ).exclude(pk__in=seen)
    row = (
        ApprovalStep.objects.filter(pk=step.pk)
        .annotate(
            holds=Exists(RoleGrant.objects.filter(grant_filter_for_step(step), person=person)),
            unviewed=Exists(unviewed),
        )
        .values_list("holds", "unviewed")
        .get()
    )
    return bool(row[0]), not row[1]


def step_superiors(step: ApprovalStep) -> QuerySet[Person]:
    """Who hears about a late step: the next level up from the step's holders.

    A group leader's superior is the village secretary; a village-level holder's
    (secretary, custodian, clerk) is the inspector of the village or its district; a
    district-level holder's is the district inspector.
    """
    if step.scope_level == "group":
        grants = Q(role=Role.SECRETARY, village_id=step.village_id, group__isnull=True)
    elif step.scope_level == "village":
        grants = Q(role=Role.INSPECTOR) & (
            Q(village_id=step.village_id) | Q(district_id=step.district_id, village__isnull=True)
        )
    else:
        grants = Q(role=Role.INSPECTOR, district_id=step.district_id, village__isnull=True)
    person_ids = RoleGrant.objects.active().filter(grants).values("person_id")
    return Person.objects.filter(pk__in=person_ids, is_active=True)


def unviewed_documents(*, request: SealRequest, person: Person) -> QuerySet[RequestDocument]:
    """The request's current documents `person` has not opened yet."""
    seen = DocumentView.objects.filter(person=person).values("document_id")
    return request.documents.filter(superseded_at__isnull=True).exclude(pk__in=seen)


def overdue_steps_due(now: Any = None) -> list[int]:
    """Ids of active steps past their deadline whose holders or superiors have not yet been told
    (the overdue sweep's work list; not scoped)."""
    moment = now or timezone.now()
    return list(
        ApprovalStep.objects.filter(
            Q(overdue_notified_at__isnull=True) | Q(superior_notified_at__isnull=True),
            status=StepStatus.ACTIVE,
            deadline__lt=moment,
        ).values_list("pk", flat=True)
    )
