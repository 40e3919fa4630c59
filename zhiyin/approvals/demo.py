"""Demo seal requests in 水南村, in every state, made through the services.

Run after the organisations and the catalog demo (`approvals_demo_load()`); does nothing
if 水南村 already has requests.
"""

from __future__ import annotations

import io
from collections.abc import Callable

from django.core.files.uploadedfile import SimpleUploadedFile

from zhiyin.approvals.models import ApprovalStep, SealRequest, StepStatus
from zhiyin.approvals.selectors import step_holders
from zhiyin.approvals.services import (
    document_view_record,
    seal_request_approve,
    seal_request_complete,
    seal_request_create,
    seal_request_reject,
    seal_request_return,
    seal_request_submit,
    seal_request_withdraw,
)
from zhiyin.catalog.models import Matter
from zhiyin.orgs.models import Person, Role, RoleGrant, Village
from zhiyin.seals.models import Seal, SealStatus

DEMO_VILLAGE = "水南村"


def _pdf(title: str) -> bytes:
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    page = canvas.Canvas(buffer)
    page.setTitle(title)
    page.drawString(72, 760, "Zhiyin demo document")
    page.drawString(72, 740, f"#{abs(hash(title)) % 100000:05d}")
    page.showPage()
    page.save()
    return buffer.getvalue()


def _png() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), (230, 230, 230)).save(buffer, format="PNG")
    return buffer.getvalue()


def _usable(village: Village) -> list[tuple[Matter, Seal]]:
    seals = list(Seal.objects.filter(village=village, status=SealStatus.ACTIVE, group__isnull=True))
    pairs: list[tuple[Matter, Seal]] = []
    for matter in Matter.objects.filter(district=village.district, is_active=True).order_by("code"):
        step_levels = set(matter.chain.steps.values_list("scope_level", flat=True))
        if "district" in step_levels:
            continue
        seal = next(
            (
                s
                for s in seals
                if s.kind in matter.seal_kinds and s.owner_level in matter.owner_levels
            ),
            None,
        )
        if seal is not None:
            pairs.append((matter, seal))
    return pairs


def _decide_active(
    request: SealRequest, decide: Callable[[SealRequest, Person], SealRequest]
) -> SealRequest:
    step = ApprovalStep.objects.filter(request=request, status=StepStatus.ACTIVE).first()
    if step is None:
        return request
    decided = set(step.decisions.values_list("person_id", flat=True))
    person = step_holders(step).exclude(pk=request.applicant_id).exclude(pk__in=decided).first()
    if person is None:
        return request
    for document in request.documents.filter(superseded_at__isnull=True):
        document_view_record(document=document, by=person)
    return decide(request, person)


def _approve_all(request: SealRequest) -> SealRequest:
    for _ in range(10):
        if request.status not in ("submitted", "in_approval"):
            break
        before = request.status, request.steps.filter(status=StepStatus.DONE).count()
        request = _decide_active(request, lambda r, p: seal_request_approve(request=r, by=p))
        if (request.status, request.steps.filter(status=StepStatus.DONE).count()) == before:
            break
    return request


def approvals_demo_load() -> int:
    """Create the demo requests; returns how many were made."""
    village = Village.objects.filter(name=DEMO_VILLAGE).first()
    if village is None or SealRequest.objects.filter(village=village).exists():
        return 0
    clerk_grant = RoleGrant.objects.active().filter(role=Role.CLERK, village=village).first()
    if clerk_grant is None:
        return 0
    clerk = clerk_grant.person
    group = village.groups.order_by("number").first()
    pairs = _usable(village)
    if not pairs:
        return 0
    plans = [
        "draft",
        "submitted",
        "in_approval",
        "approved",
        "completed",
        "returned",
        "rejected",
        "withdrawn",
    ]
    made = 0
    for index, plan in enumerate(plans):
        matter, seal = pairs[(index * 7) % len(pairs)]
        request = seal_request_create(
            by=clerk,
            village=village,
            matter=matter,
            seal=seal,
            stamp_count=1 + index % 3,
            place_of_use="村委会办公室",
            purpose=f"办理“{matter.name}”（演示数据）",
            group=group,
            documents=[SimpleUploadedFile(f"{matter.name}.pdf", _pdf(f"{matter.code}-{index}"))],
            attachments=[SimpleUploadedFile("佐证材料.png", _png())],
        )
        made += 1
        if plan == "draft":
            continue
        request = seal_request_submit(request=request, by=clerk)
        if plan == "in_approval":
            request = _decide_active(request, lambda r, p: seal_request_approve(request=r, by=p))
        elif plan in ("approved", "completed"):
            request = _approve_all(request)
            if plan == "completed" and request.status == "approved":
                custodians = (
                    RoleGrant.objects.active()
                    .filter(role=Role.CUSTODIAN, village=village, group__isnull=True)
                    .exclude(person=clerk)
                    .exclude(person__in=request.steps.values("decisions__person"))
                )
                custodian = custodians.first()
                if custodian is not None:
                    seal_request_complete(request=request, by=custodian.person)
        elif plan == "returned":
            _decide_active(
                request,
                lambda r, p: seal_request_return(request=r, by=p, comment="请补充申请人签字页。"),
            )
        elif plan == "rejected":
            _decide_active(
                request,
                lambda r, p: seal_request_reject(request=r, by=p, comment="不属于本村出具范围。"),
            )
        elif plan == "withdrawn":
            seal_request_withdraw(request=request, by=clerk, reason="材料需重新准备。")
    return made
