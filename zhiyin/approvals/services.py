"""Every change to a seal request: one function per transition, atomic and audited.

Concurrency: every transition first locks the request row (`select_for_update`; on
SQLite the settings' BEGIN IMMEDIATE already serializes writers) and re-reads its
status, so two people deciding the same step at the same moment produce one outcome
and the other gets a plain refusal.

Separation of duties lives here, not in the pages: the applicant never decides their
own request, a two-approver step needs two different people, and nobody who decided a
request may complete it as custodian.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any
from uuid import uuid4

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from zhiyin.approvals.files import file_record_fields, files_atomic, upload_check
from zhiyin.approvals.hooks import physical_stamping_url
from zhiyin.approvals.models import (
    EDITABLE_STATUSES,
    PENDING_STATUSES,
    ApprovalStep,
    Decision,
    DocumentView,
    RequestAttachment,
    RequestDocument,
    RequestStatus,
    SealRequest,
    StepDecision,
    StepStatus,
)
from zhiyin.approvals.selectors import person_approved_request
from zhiyin.approvals.timelimits import step_deadline, step_duration
from zhiyin.audit.services import audit_record, audit_record_standalone, district_log
from zhiyin.catalog.models import Matter
from zhiyin.core.errors import RuleViolation
from zhiyin.delivery.services import notifications_close, notify
from zhiyin.orgs.models import Person, Role, RoleGrant, Village, VillageGroup
from zhiyin.orgs.selectors import access_for
from zhiyin.seals.models import Seal, SealStatus

DEFAULT_REMINDER_INTERVAL = timedelta(hours=2)
MAX_STAMP_COUNT = 99


# --- helpers ---------------------------------------------------------------------------


#: Notices that ask someone to decide a step; closed once the step is decided.
TO_DECIDE_EVENTS = frozenset(
    {"seal_request.step_activated", "seal_request.remind", "approval_step.overdue"}
)


def _link(request: SealRequest) -> str:
    return reverse("seal_request_detail", args=[request.pk])


def _data(request: SealRequest) -> dict[str, Any]:
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


def _locked(request: SealRequest) -> SealRequest:
    return (
        SealRequest.objects.select_for_update()
        .select_related("village", "village__district", "matter", "seal", "chain")
        .get(pk=request.pk)
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
    return RoleGrant.objects.filter(grant_filter_for_step(step), person=person).exists()


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


def _village_prefix(village: Village) -> str:
    for suffix in ("社区", "村"):
        if village.name.endswith(suffix) and len(village.name) > len(suffix):
            return village.name[: -len(suffix)]
    return village.name


def _catalog_checks(*, matter: Matter, seal: Seal, purpose: str) -> None:
    """The catalog's own rules: the negative list, and which seals a matter may use."""
    from zhiyin.catalog.selectors import negative_list_check
    from zhiyin.catalog.services import matter_allows_seal

    negative_list_check(f"{matter.name} {purpose}", matter.district)
    matter_allows_seal(matter, seal)


def _check_fields(
    *,
    village: Village,
    matter: Matter,
    seal: Seal,
    stamp_count: int,
    place_of_use: str,
    purpose: str,
    on_behalf_of: Person | None,
    group: VillageGroup | None,
) -> VillageGroup | None:
    """Refuse what no request may ask; return the group the request belongs to."""
    if not village.is_active:
        raise RuleViolation(_("“%(name)s”已撤销，不能新建用印申请。") % {"name": village.name})
    if matter.district_id != village.district_id or not matter.is_active:
        raise RuleViolation(_("该用章事项不在本区的事项目录中或已停用。"))
    if seal.village_id != village.pk:
        raise RuleViolation(_("所选印章不属于本村。"))
    if seal.status != SealStatus.ACTIVE:
        raise RuleViolation(
            _("印章“%(seal)s”当前为“%(status)s”，不能申请用印。")
            % {"seal": seal, "status": seal.get_status_display()}
        )
    if not 1 <= stamp_count <= MAX_STAMP_COUNT:
        raise RuleViolation(_("用印次数应在 1 到 %(max)d 之间。") % {"max": MAX_STAMP_COUNT})
    if not place_of_use.strip():
        raise RuleViolation(_("请填写用印地点。"))
    if not purpose.strip():
        raise RuleViolation(_("请填写用印事由。"))
    if on_behalf_of is not None and on_behalf_of.home_village_id != village.pk:
        raise RuleViolation(_("代办的村民不是本村村民。"))
    if group is not None and group.village_id != village.pk:
        raise RuleViolation(_("村民小组不属于本村。"))
    if seal.group_id is not None:
        return seal.group
    if on_behalf_of is not None and on_behalf_of.home_group_id is not None:
        return on_behalf_of.home_group
    return group


def _may_apply(person: Person, village: Village) -> bool:
    access = access_for(person)
    return any(
        g.role in (Role.CLERK, Role.CUSTODIAN) and g.village_id == village.pk and g.group_id is None
        for g in access.grants
    )


def _add_files(
    *,
    request: SealRequest,
    by: Person,
    documents: Sequence[UploadedFile],
    attachments: Sequence[UploadedFile],
) -> None:
    # Every file is checked before the first one is stored.
    checked_documents = [upload_check(upload) for upload in documents]
    checked_attachments = [upload_check(upload) for upload in attachments]
    for checked in checked_documents:
        if RequestDocument.objects.filter(request=request, sha256=checked.sha256).update(
            superseded_at=None
        ):
            continue
        RequestDocument.objects.create(
            request=request, **file_record_fields(checked, prefix="documents", by=by)
        )
    for checked in checked_attachments:
        if request.attachments.filter(sha256=checked.sha256).exists():
            continue
        RequestAttachment.objects.create(
            request=request, **file_record_fields(checked, prefix="attachments", by=by)
        )


def _require_applicant(request: SealRequest, by: Person, what: str) -> None:
    if request.applicant_id != by.pk:
        raise RuleViolation(_("只有申请人本人可以%(what)s。") % {"what": what})


def _activate(step: ApprovalStep, now: Any) -> None:
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
            link=_link(request),
            event="seal_request.step_activated",
        )


# --- transitions -----------------------------------------------------------------------


def seal_request_create(
    *,
    by: Person,
    village: Village,
    matter: Matter,
    seal: Seal,
    stamp_count: int,
    place_of_use: str,
    purpose: str,
    on_behalf_of: Person | None = None,
    group: VillageGroup | None = None,
    documents: Sequence[UploadedFile] = (),
    attachments: Sequence[UploadedFile] = (),
) -> SealRequest:
    """A clerk (or a custodian on a resident's behalf) drafts a request.

    A refusal because of the negative list is recorded (`negative_list.refuse`, on the
    village) after the refused draft rolled back: inspectors count how many
    certificates residents were spared.
    """
    from zhiyin.catalog.selectors import NegativeListRefusal

    try:
        return _seal_request_create(
            by=by,
            village=village,
            matter=matter,
            seal=seal,
            stamp_count=stamp_count,
            place_of_use=place_of_use,
            purpose=purpose,
            on_behalf_of=on_behalf_of,
            group=group,
            documents=documents,
            attachments=attachments,
        )
    except NegativeListRefusal as refusal:
        audit_record_standalone(
            actor=by,
            action="negative_list.refuse",
            target=village,
            after={"item": refusal.item.name, "matter": matter.code},
            scope=village.name,
        )
        raise


@files_atomic()
def _seal_request_create(
    *,
    by: Person,
    village: Village,
    matter: Matter,
    seal: Seal,
    stamp_count: int,
    place_of_use: str,
    purpose: str,
    on_behalf_of: Person | None = None,
    group: VillageGroup | None = None,
    documents: Sequence[UploadedFile] = (),
    attachments: Sequence[UploadedFile] = (),
) -> SealRequest:
    if not _may_apply(by, village):
        raise RuleViolation(_("只有本村的经办人或印章管理员可以发起用印申请。"))
    resolved_group = _check_fields(
        village=village,
        matter=matter,
        seal=seal,
        stamp_count=stamp_count,
        place_of_use=place_of_use,
        purpose=purpose,
        on_behalf_of=on_behalf_of,
        group=group,
    )
    _catalog_checks(matter=matter, seal=seal, purpose=purpose)
    request = SealRequest.objects.create(
        number=f"tmp-{uuid4().hex}",
        village=village,
        group=resolved_group,
        matter=matter,
        chain=matter.chain,
        seal=seal,
        stamp_count=stamp_count,
        place_of_use=place_of_use.strip(),
        purpose=purpose.strip(),
        applicant=by,
        on_behalf_of=on_behalf_of,
    )
    year = timezone.localdate().year
    request.number = f"{_village_prefix(village)}-{year}-{request.pk:06d}"
    request.save(update_fields=["number"])
    _add_files(request=request, by=by, documents=documents, attachments=attachments)
    audit_record(
        actor=by,
        action="seal_request.create",
        target=request,
        after=_data(request),
        scope=village.name,
        log=district_log(request.village.district_id),
    )
    return request


@files_atomic()
def seal_request_update(
    *,
    request: SealRequest,
    by: Person,
    matter: Matter,
    seal: Seal,
    stamp_count: int,
    place_of_use: str,
    purpose: str,
    on_behalf_of: Person | None = None,
    group: VillageGroup | None = None,
    documents: Sequence[UploadedFile] = (),
    attachments: Sequence[UploadedFile] = (),
    remove_document_ids: Sequence[int] = (),
) -> SealRequest:
    """The applicant edits a draft or a returned request. Removed documents are marked
    superseded, never deleted, so what an approver once saw stays on record."""
    request = _locked(request)
    _require_applicant(request, by, _("修改申请"))
    if request.status not in EDITABLE_STATUSES:
        raise RuleViolation(_("只有草稿或被退回的申请可以修改。"))
    before = _data(request)
    resolved_group = _check_fields(
        village=request.village,
        matter=matter,
        seal=seal,
        stamp_count=stamp_count,
        place_of_use=place_of_use,
        purpose=purpose,
        on_behalf_of=on_behalf_of,
        group=group,
    )
    _catalog_checks(matter=matter, seal=seal, purpose=purpose)
    if request.status == RequestStatus.RETURNED and matter.pk != request.matter_id:
        raise RuleViolation(_("退回的申请不能更换用章事项；如需更换，请撤回后新建申请。"))
    request.matter = matter
    if request.status == RequestStatus.DRAFT:
        request.chain = matter.chain
    request.seal = seal
    request.stamp_count = stamp_count
    request.place_of_use = place_of_use.strip()
    request.purpose = purpose.strip()
    request.on_behalf_of = on_behalf_of
    request.group = resolved_group
    request.save()
    if remove_document_ids:
        request.documents.filter(pk__in=remove_document_ids, superseded_at__isnull=True).update(
            superseded_at=timezone.now()
        )
    _add_files(request=request, by=by, documents=documents, attachments=attachments)
    audit_record(
        actor=by,
        action="seal_request.update",
        target=request,
        before=before,
        after=_data(request),
        scope=request.village.name,
        log=district_log(request.village.district_id),
    )
    return request


@transaction.atomic
def seal_request_submit(*, request: SealRequest, by: Person) -> SealRequest:
    """Send a draft (or a returned request, after editing) into its approval chain."""
    request = _locked(request)
    _require_applicant(request, by, _("提交申请"))
    if request.status not in EDITABLE_STATUSES:
        raise RuleViolation(_("该申请已提交，不能重复提交。"))
    documents = list(request.documents.filter(superseded_at__isnull=True))
    if not documents:
        raise RuleViolation(_("请先上传待用印的文件。"))
    if not request.seal.is_physical and any(d.content_type != "application/pdf" for d in documents):
        raise RuleViolation(_("电子印章只能用于PDF文件；图片只能用实物印章盖印。"))
    required = list(request.matter.required_attachments or [])
    if required and not request.attachments.exists():
        raise RuleViolation(
            _("该事项需要上传佐证附件：%(names)s。") % {"names": "、".join(map(str, required))}
        )
    _check_fields(
        village=request.village,
        matter=request.matter,
        seal=request.seal,
        stamp_count=request.stamp_count,
        place_of_use=request.place_of_use,
        purpose=request.purpose,
        on_behalf_of=request.on_behalf_of,
        group=request.group,
    )
    _catalog_checks(matter=request.matter, seal=request.seal, purpose=request.purpose)
    before = _data(request)
    if request.status == RequestStatus.DRAFT:
        request.chain = request.matter.chain
    chain_steps = list(request.chain.steps.order_by("position"))
    if any(cs.scope_level == "group" for cs in chain_steps) and request.group_id is None:
        raise RuleViolation(_("该事项需村民小组长审批，请选择申请所属的村民小组。"))
    now = timezone.now()
    request.round += 1
    request.submitted_at = now
    request.outcome_comment = ""
    steps = [
        ApprovalStep(
            request=request,
            chain_step=cs,
            round=request.round,
            position=cs.position,
            name=cs.name,
            role=cs.role,
            scope_level=cs.scope_level,
            district_id=request.village.district_id,
            village=request.village,
            group=request.group if cs.scope_level == "group" else None,
            approvers_needed=max(1, cs.approvers_needed),
        )
        for cs in chain_steps
    ]
    ApprovalStep.objects.bulk_create(steps)
    if steps:
        request.status = RequestStatus.SUBMITTED
        request.save()
        first = ApprovalStep.objects.select_related("chain_step", "request__matter").get(
            request=request, round=request.round, position=chain_steps[0].position
        )
        _activate(first, now)
    else:
        request.status = RequestStatus.APPROVED
        request.decided_at = now
        request.save()
        _notify_custodians(request)
    audit_record(
        actor=by,
        action="seal_request.submit",
        target=request,
        before=before,
        after=_data(request),
        scope=request.village.name,
        log=district_log(request.village.district_id),
    )
    return request


def _notify_custodians(request: SealRequest) -> None:
    custodians = (
        RoleGrant.objects.active()
        .filter(role=Role.CUSTODIAN, village=request.village, group__isnull=True)
        .values("person_id")
    )
    for person in Person.objects.filter(pk__in=custodians).exclude(pk=request.applicant_id):
        notify(
            person=person,
            text=_("%(number)s 已批准，请核对文件后用印。") % {"number": request.number},
            link=_link(request),
            event="seal_request.approved",
        )


def _active_step(request: SealRequest) -> ApprovalStep:
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


def unviewed_documents(*, request: SealRequest, person: Person) -> QuerySet[RequestDocument]:
    """The request's current documents `person` has not opened yet."""
    seen = DocumentView.objects.filter(person=person).values("document_id")
    return request.documents.filter(superseded_at__isnull=True).exclude(pk__in=seen)


def _decide(*, request: SealRequest, by: Person, decision: str, comment: str) -> SealRequest:
    request = _locked(request)
    if request.status not in PENDING_STATUSES:
        raise RuleViolation(
            _("该申请当前为“%(status)s”，不能再审批。") % {"status": request.get_status_display()}
        )
    step = _active_step(request)
    if by.pk == request.applicant_id:
        raise RuleViolation(_("申请人不能审批自己的申请。"))
    if not person_holds_step(by, step):
        raise RuleViolation(_("您不是“%(step)s”环节的审批人。") % {"step": step.name})
    if step.decisions.filter(person=by).exists():
        raise RuleViolation(_("您已审批过本环节，本环节还需另一位审批人审批。"))
    comment = comment.strip()
    if decision in (Decision.RETURN, Decision.REJECT) and not comment:
        raise RuleViolation(
            _("退回时请写明需要修改的内容。")
            if decision == Decision.RETURN
            else _("驳回时请写明理由。")
        )
    if decision == Decision.APPROVE and unviewed_documents(request=request, person=by).exists():
        raise RuleViolation(_("请先打开并查看待用印的文件，再作出审批决定。"))
    before = _data(request)
    now = timezone.now()
    StepDecision.objects.create(step=step, person=by, decision=decision, comment=comment)
    closes = decision != Decision.APPROVE or (
        step.decisions.filter(decision=Decision.APPROVE).count() >= step.approvers_needed
    )
    # Before the next step's notices are written: they share the link. A step that still
    # needs another approver stays on the others' lists.
    notifications_close(
        link=_link(request), events=TO_DECIDE_EVENTS, person_id=None if closes else by.pk
    )
    if closes:
        step.status = StepStatus.DONE
        step.decision = decision
        step.decided_at = now
        step.decided_by = by
        step.comment = comment
        step.duration = step_duration(start=step.activated_at or now, end=now)
        step.save(
            update_fields=["status", "decision", "decided_at", "decided_by", "comment", "duration"]
        )
    if decision == Decision.APPROVE:
        if closes:
            following = (
                ApprovalStep.objects.select_related("chain_step")
                .filter(request=request, round=request.round, status=StepStatus.WAITING)
                .order_by("position")
                .first()
            )
            if following is None:
                request.status = RequestStatus.APPROVED
                request.decided_at = now
                _notify_custodians(request)
                _notify_applicant(request, _("%(number)s 已审批通过。"), "seal_request.approved")
            else:
                request.status = RequestStatus.IN_APPROVAL
                following.request = request
                _activate(following, now)
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
        _notify_applicant(request, message, f"seal_request.{decision}", comment=comment)
    request.save()
    audit_record(
        actor=by,
        action=f"seal_request.{decision}",
        target=request,
        before=before,
        after={**_data(request), "step": step.name, "comment": comment},
        role=step.role,
        scope=request.village.name,
        log=district_log(request.village.district_id),
    )
    return request


def _notify_applicant(request: SealRequest, message: str, event: str, *, comment: str = "") -> None:
    notify(
        person=request.applicant,
        text=message % {"number": request.number, "comment": comment},
        link=_link(request),
        event=event,
    )


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
    request = _locked(request)
    if request.on_behalf_of_id is None or request.on_behalf_of_id != by.pk:
        _require_applicant(request, by, _("撤回申请"))
    if request.status == RequestStatus.DRAFT:
        raise RuleViolation(_("草稿尚未提交，无需撤回。"))
    holders: list[Person] = []
    if request.status != RequestStatus.RETURNED:
        # A returned request waits for its applicant, who may also give it up.
        if request.status not in PENDING_STATUSES:
            raise RuleViolation(
                _("该申请当前为“%(status)s”，不能撤回。") % {"status": request.get_status_display()}
            )
        step = _active_step(request)
        if step.decisions.exists():
            raise RuleViolation(_("审批人已开始办理当前环节，不能撤回。"))
        holders = list(step_holders(step).exclude(pk=by.pk))
    before = _data(request)
    ApprovalStep.objects.filter(
        request=request, round=request.round, status__in=[StepStatus.ACTIVE, StepStatus.WAITING]
    ).update(status=StepStatus.CANCELLED)
    request.status = RequestStatus.WITHDRAWN
    notifications_close(link=_link(request), events=TO_DECIDE_EVENTS)
    request.outcome_comment = reason.strip()[:500]
    request.decided_at = timezone.now()
    request.save()
    for person in holders:
        notify(
            person=person,
            text=_("%(number)s 已由申请人撤回，无需再审批。") % {"number": request.number},
            link=_link(request),
            event="seal_request.withdraw",
        )
    audit_record(
        actor=by,
        action="seal_request.withdraw",
        target=request,
        before=before,
        after=_data(request),
        scope=request.village.name,
        log=district_log(request.village.district_id),
    )
    return request


def reminder_interval() -> timedelta:
    seconds = getattr(settings, "REMINDER_INTERVAL_SECONDS", None)
    return DEFAULT_REMINDER_INTERVAL if seconds is None else timedelta(seconds=int(seconds))


@transaction.atomic
def seal_request_remind(*, request: SealRequest, by: Person) -> ApprovalStep:
    """The applicant nudges the holders of the current step (催办), at most once per
    `REMINDER_INTERVAL_SECONDS` per step. The claim is a conditional update, so two
    clicks at once send one reminder."""
    request = _locked(request)
    _require_applicant(request, by, _("催办"))
    if request.status not in PENDING_STATUSES:
        raise RuleViolation(_("该申请当前不在审批中，无需催办。"))
    step = _active_step(request)
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
    for person in step_holders(step).exclude(pk=request.applicant_id):
        notify(
            person=person,
            text=_("催办：%(number)s %(matter)s 等待您审批（%(step)s）。")
            % {"number": request.number, "matter": request.matter.name, "step": step.name},
            link=_link(request),
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
    request = _locked(request)
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
    before = _data(request)
    request.status = RequestStatus.COMPLETED
    notifications_close(
        link=_link(request),
        events={"seal_request.approved"},
        exclude_person_id=request.applicant_id,
    )
    request.completed_at = timezone.now()
    request.completed_by = by
    request.save()
    _notify_applicant(request, _("%(number)s 已用印。"), "seal_request.complete")
    audit_record(
        actor=by,
        action="seal_request.complete",
        target=request,
        before=before,
        after=_data(request),
        role=Role.CUSTODIAN,
        scope=request.village.name,
        log=district_log(request.village.district_id),
    )
    return request


@transaction.atomic
def document_view_record(*, document: RequestDocument, by: Person) -> DocumentView:
    """Note that `by` opened `document` (the scoped download view calls this)."""
    return DocumentView.objects.create(person=by, document=document)


# --- the overdue sweep -----------------------------------------------------------------


def overdue_steps_due(now: Any = None) -> list[int]:
    moment = now or timezone.now()
    return list(
        ApprovalStep.objects.filter(
            Q(overdue_notified_at__isnull=True) | Q(superior_notified_at__isnull=True),
            status=StepStatus.ACTIVE,
            deadline__lt=moment,
        ).values_list("pk", flat=True)
    )


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
        for person in step_holders(step).exclude(pk=request.applicant_id):
            notify(
                person=person,
                text=_("超时提醒：%(number)s %(matter)s 的“%(step)s”环节已超过办理时限。") % args,
                link=_link(request),
                event="approval_step.overdue",
            )
    if superior_claimed:
        for person in step_superiors(step):
            notify(
                person=person,
                text=_("超时通报：%(number)s %(matter)s 的“%(step)s”环节已超过办理时限。") % args,
                link=_link(request),
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
