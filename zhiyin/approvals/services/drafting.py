"""A request before its chain: a clerk or custodian drafts it, the applicant edits it,
and submitting builds the round's approval steps and activates the first. Every field
check (village, matter, seal, count, the catalog's negative list) runs on create, update
and submit alike."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Unpack
from uuid import uuid4

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zhiyin.approvals.fields import RequestFields, request_fields_of
from zhiyin.approvals.files import file_record_fields, files_atomic, upload_check
from zhiyin.approvals.models import (
    EDITABLE_STATUSES,
    ApprovalStep,
    RequestAttachment,
    RequestDocument,
    RequestStatus,
    SealRequest,
)
from zhiyin.approvals.services._shared import (
    applicant_require,
    custodians_notify,
    request_audit,
    request_data,
    request_hours,
    request_locked,
    step_holders_tell,
    step_open,
)
from zhiyin.audit.services import audit_record, audit_record_standalone, district_log
from zhiyin.catalog.models import ChainStep, Matter
from zhiyin.core.errors import RuleViolation
from zhiyin.orgs.models import Person, Role, Village, VillageGroup
from zhiyin.orgs.selectors import access_for
from zhiyin.seals.models import Seal, SealStatus

MAX_STAMP_COUNT = 99


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


def _check_fields(*, village: Village, **fields: Unpack[RequestFields]) -> VillageGroup | None:
    """Refuse what no request may ask; return the group the request belongs to."""
    matter, seal, stamp_count = fields["matter"], fields["seal"], fields["stamp_count"]
    on_behalf_of, group = fields.get("on_behalf_of"), fields.get("group")
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
    if not fields["place_of_use"].strip():
        raise RuleViolation(_("请填写用印地点。"))
    if not fields["purpose"].strip():
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


def seal_request_create(
    *,
    by: Person,
    village: Village,
    documents: Sequence[UploadedFile] = (),
    attachments: Sequence[UploadedFile] = (),
    **fields: Unpack[RequestFields],
) -> SealRequest:
    """A clerk (or a custodian on a resident's behalf) drafts a request.

    A refusal because of the negative list is recorded (`negative_list.refuse`, on the
    village) after the refused draft rolled back: inspectors count how many
    certificates residents were spared.
    """
    from zhiyin.catalog.selectors import NegativeListRefusal

    try:
        return _seal_request_create(
            by=by, village=village, documents=documents, attachments=attachments, **fields
        )
    except NegativeListRefusal as refusal:
        audit_record_standalone(
            actor=by,
            action="negative_list.refuse",
            target=village,
            after={"item": refusal.item.name, "matter": fields["matter"].code},
            scope=village.name,
        )
        raise


@files_atomic()
def _seal_request_create(
    *,
    by: Person,
    village: Village,
    documents: Sequence[UploadedFile] = (),
    attachments: Sequence[UploadedFile] = (),
    **fields: Unpack[RequestFields],
) -> SealRequest:
    if not _may_apply(by, village):
        raise RuleViolation(_("只有本村的经办人或印章管理员可以发起用印申请。"))
    resolved_group = _check_fields(village=village, **fields)
    matter, seal = fields["matter"], fields["seal"]
    _catalog_checks(matter=matter, seal=seal, purpose=fields["purpose"])
    request = SealRequest.objects.create(
        number=f"tmp-{uuid4().hex}",
        village=village,
        group=resolved_group,
        matter=matter,
        chain=matter.chain,
        seal=seal,
        stamp_count=fields["stamp_count"],
        place_of_use=fields["place_of_use"].strip(),
        purpose=fields["purpose"].strip(),
        applicant=by,
        on_behalf_of=fields.get("on_behalf_of"),
    )
    year = timezone.localdate().year
    request.number = f"{_village_prefix(village)}-{year}-{request.pk:06d}"
    request.save(update_fields=["number"])
    _add_files(request=request, by=by, documents=documents, attachments=attachments)
    audit_record(
        actor=by,
        action="seal_request.create",
        target=request,
        after=request_data(request),
        scope=village.name,
        log=district_log(request.village.district_id),
    )
    return request


@files_atomic()
def seal_request_update(
    *,
    request: SealRequest,
    by: Person,
    documents: Sequence[UploadedFile] = (),
    attachments: Sequence[UploadedFile] = (),
    remove_document_ids: Sequence[int] = (),
    **fields: Unpack[RequestFields],
) -> SealRequest:
    """The applicant edits a draft or a returned request. Removed documents are marked
    superseded, never deleted, so what an approver once saw stays on record."""
    request = request_locked(request)
    applicant_require(request, by, _("修改申请"))
    if request.status not in EDITABLE_STATUSES:
        raise RuleViolation(_("只有草稿或被退回的申请可以修改。"))
    before = request_data(request)
    resolved_group = _check_fields(village=request.village, **fields)
    matter, seal = fields["matter"], fields["seal"]
    _catalog_checks(matter=matter, seal=seal, purpose=fields["purpose"])
    if request.status == RequestStatus.RETURNED and matter.pk != request.matter_id:
        raise RuleViolation(_("退回的申请不能更换用章事项；如需更换，请撤回后新建申请。"))
    request.matter = matter
    if request.status == RequestStatus.DRAFT:
        request.chain = matter.chain
    request.seal = seal
    request.stamp_count = fields["stamp_count"]
    request.place_of_use = fields["place_of_use"].strip()
    request.purpose = fields["purpose"].strip()
    request.on_behalf_of = fields.get("on_behalf_of")
    request.group = resolved_group
    request.save()
    if remove_document_ids:
        request.documents.filter(pk__in=remove_document_ids, superseded_at__isnull=True).update(
            superseded_at=timezone.now()
        )
    _add_files(request=request, by=by, documents=documents, attachments=attachments)
    request_audit(request, by=by, action="seal_request.update", before=before)
    return request


#: What submitting changes on the request row (the chain only for a draft; saved anyway).
_SUBMIT_FIELDS = ["status", "chain", "round", "submitted_at", "outcome_comment", "updated_at"]


@transaction.atomic
def seal_request_submit(*, request: SealRequest, by: Person) -> SealRequest:
    """Send a draft (or a returned request, after editing) into its approval chain."""
    request = request_locked(request, "village__district", "group")
    applicant_require(request, by, _("提交申请"))
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
    # The seal's village and the matter's district are the request's own (the field checks
    # refuse anything else): share the rows already read instead of reading them again.
    if request.seal.village_id == request.village_id:
        request.seal.village = request.village
    if request.matter.district_id == request.village.district_id:
        request.matter.district = request.village.district
    _check_fields(village=request.village, **request_fields_of(request))
    _catalog_checks(matter=request.matter, seal=request.seal, purpose=request.purpose)
    before = request_data(request)
    if request.status == RequestStatus.DRAFT:
        request.chain_id = request.matter.chain_id
    chain_steps = list(ChainStep.objects.filter(chain_id=request.chain_id).order_by("position"))
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
    if steps:
        # The first step is stored already open; its holders are told once it is.
        step_open(steps[0], now, request_hours(request))
        ApprovalStep.objects.bulk_create(steps)
        request.status = RequestStatus.SUBMITTED
        request.save(update_fields=_SUBMIT_FIELDS)
        step_holders_tell(steps[0])
    else:
        request.status = RequestStatus.APPROVED
        request.decided_at = now
        request.save()
        custodians_notify(request)
    request_audit(request, by=by, action="seal_request.submit", before=before)
    return request
