"""Demo sealed documents: certificates (证明) of 水南村 residents, requested, approved and
sealed through the services, so the demo has PDFs to download and verify.

Run after the organisations, catalog and approvals demos (`sealing_demo_load()`); does
nothing if 水南村 already has sealed documents.
"""

from __future__ import annotations

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Q

from zhiyin.approvals.models import SealRequest
from zhiyin.approvals.selectors import step_holders
from zhiyin.approvals.services import (
    document_view_record,
    seal_request_approve,
    seal_request_create,
    seal_request_submit,
    seal_request_update,
)
from zhiyin.catalog.models import Matter, MatterCategory
from zhiyin.orgs.models import Person, Role, RoleGrant, Village
from zhiyin.sealing.models import SealedDocument
from zhiyin.sealing.services import certificate_document_build, document_seal
from zhiyin.seals.models import Seal, SealKind, SealStatus
from zhiyin.seals.selectors import electronic_seal_active
from zhiyin.seals.services import electronic_seal_issue

DEMO_VILLAGE = "水南村"
DEMO_DOCUMENTS = 3


def _png() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), (230, 230, 230)).save(buffer, format="PNG")
    return buffer.getvalue()


def _approve_all(request: SealRequest) -> SealRequest:
    """Each active step decided by a holder who is not the applicant, as in real use."""
    for _round in range(10):
        if request.status not in ("submitted", "in_approval"):
            break
        step = request.steps.filter(status="active").first()
        if step is None:
            break
        decided = step.decisions.values_list("person_id", flat=True)
        person = step_holders(step).exclude(pk=request.applicant_id).exclude(pk__in=decided).first()
        if person is None:
            break
        for document in request.documents.filter(superseded_at__isnull=True):
            document_view_record(document=document, by=person)
        request = seal_request_approve(request=request, by=person)
    return request


def _seal_for(matter: Matter, seals: list[Seal]) -> Seal | None:
    usable = [
        s for s in seals if s.kind in matter.seal_kinds and s.owner_level in matter.owner_levels
    ]
    usable.sort(key=lambda s: s.kind != SealKind.CERTIFICATE)
    return usable[0] if usable else None


def sealing_demo_load() -> int:
    """Seal a few demo certificates in the demo village; returns how many were sealed."""
    village = Village.objects.filter(name=DEMO_VILLAGE).first()
    return sealing_demo_village_load(village, documents=DEMO_DOCUMENTS) if village else 0


def sealing_demo_village_load(village: Village, *, documents: int) -> int:
    """Seal up to `documents` certificates for residents of `village`, through the whole
    workflow, unless the village has sealed documents already; returns how many."""
    if SealedDocument.objects.filter(request__village=village).exists():
        return 0
    clerk_grant = RoleGrant.objects.active().filter(role=Role.CLERK, village=village).first()
    if clerk_grant is None:
        return 0
    clerk = clerk_grant.person
    seals = list(
        Seal.objects.filter(
            village=village, is_electronic=True, status=SealStatus.ACTIVE, group__isnull=True
        )
    )
    for seal in seals:
        if electronic_seal_active(seal=seal) is None:
            electronic_seal_issue(seal=seal, by=None)
    matters = [
        m
        for m in Matter.objects.filter(
            district=village.district,
            is_active=True,
            electronic_allowed=True,
            category=MatterCategory.CERTIFICATE,
        ).order_by("code")
        if not m.chain.steps.filter(scope_level="district").exists() and _seal_for(m, seals)
    ]
    residents = list(
        Person.objects.filter(home_village=village, is_active=True, home_group__isnull=False)
        .exclude(pk=clerk.pk)
        .order_by("pk")[:documents]
    )
    sealed = 0
    for index, resident in enumerate(residents):
        if not matters:
            break
        matter = matters[index % len(matters)]
        chosen = _seal_for(matter, seals)
        if chosen is None:
            continue
        purpose = f"{resident.real_name}申请办理“{matter.name}”，经核实"
        request = seal_request_create(
            by=clerk,
            village=village,
            matter=matter,
            seal=chosen,
            stamp_count=1,
            place_of_use="村委会办公室",
            purpose=purpose,
            on_behalf_of=resident,
            group=resident.home_group,
            attachments=[SimpleUploadedFile("佐证材料.png", _png())],
        )
        seal_request_update(
            request=request,
            by=clerk,
            matter=matter,
            seal=chosen,
            stamp_count=1,
            place_of_use="村委会办公室",
            purpose=purpose,
            on_behalf_of=resident,
            group=resident.home_group,
            documents=[
                SimpleUploadedFile(
                    f"{matter.name}.pdf", certificate_document_build(request=request)
                )
            ],
        )
        request = _approve_all(seal_request_submit(request=request, by=clerk))
        if request.status != "approved":
            continue
        deciders = request.steps.values("decisions__person")
        custodian = (
            RoleGrant.objects.active()
            .filter(role=Role.CUSTODIAN, village=village, group__isnull=True)
            .exclude(Q(person=clerk) | Q(person__in=deciders))
            .first()
        )
        if custodian is None:
            continue
        outcome = document_seal(request=request, seals=[chosen], by=custodian.person)
        sealed += len(outcome.documents)
    return sealed
