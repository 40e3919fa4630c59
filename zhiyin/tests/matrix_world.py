"""The objects the permission matrix visits, all in 水南村: an application accepted into a
seal request that waits for its group leader, a request sealed electronically, a delivery to
the bureau, a signed checkpoint. `ids` fills the URL templates of the matrix."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from conftest import World
from zhiyin.audit.models import AuditEvent
from zhiyin.audit.services import checkpoint_create, district_log
from zhiyin.catalog.models import ApprovalChain
from zhiyin.delivery.models import Notification
from zhiyin.delivery.services import delivery_document_sealed, document_link_token
from zhiyin.orgs.models import Person
from zhiyin.orgs.tokens import api_token_create
from zhiyin.portal.services.applications import application_submit
from zhiyin.portal.services.handling import application_accept
from zhiyin.portal.tests.conftest import VEGETABLE_ANSWERS, Services, photo
from zhiyin.sealing.services import document_seal
from zhiyin.sealing.tests.conftest import Sealing, approved_request


def matrix_ids(world: World, services: Services, sealing: Sealing) -> dict[str, Any]:
    application = application_submit(
        service=services.vegetable,
        resident=world.sn_resident,
        by=world.sn_resident,
        answers=VEGETABLE_ANSWERS,
        files={"photo": [photo()]},
    )
    request = application_accept(application=application, by=world.sn_clerk)
    sealed_request = approved_request(sealing)
    [sealed] = document_seal(
        request=sealed_request, seals=[world.sn_committee_seal], by=world.sn_custodian1
    ).documents
    with transaction.atomic():
        delivery = delivery_document_sealed(
            bureau=world.bureau,
            event_payload={"request": {"number": sealed_request.number}},
            document_path=sealed.file.name,
            document_sha256=sealed.sha256,
            source_type="approvals.sealrequest",
            source_id=sealed_request.pk,
            title=sealed_request.number,
            filename="sealed.pdf",
        )
    checkpoint = checkpoint_create()
    assert checkpoint is not None
    # By type as well as id: on PostgreSQL ids are not reset between tests, so another
    # table's row (in another log) may share the request's id.
    log = district_log(world.district.pk)
    assert checkpoint_create(log=log) is not None
    event = (
        AuditEvent.objects.filter(
            log=log, target_type="approvals.sealrequest", target_id=str(request.pk)
        )
        .order_by("seq")
        .first()
    )
    assert event is not None
    return {
        "village": world.shuinan.pk,
        "resident": world.sn_resident.pk,
        "seal": world.sn_committee_seal.pk,
        "matter": services.vegetable.matter_id,
        "request": request.pk,
        "document": request.documents.get().pk,
        "attachment": request.attachments.get().pk,
        "sealed_request": sealed_request.pk,
        "sealed_source": sealed.source_document_id,
        "sealed": sealed.pk,
        "number": sealed.number,
        "code": world.district.code,
        "delivery": delivery.pk,
        "token": document_link_token(delivery),
        "application": application.pk,
        "application_file": application.files.get().pk,
        "service": services.vegetable.code,
        "notification": Notification.objects.filter(person=world.sn_resident).order_by("pk")[0].pk,
        "seq": event.seq,
        "log": log,
        "tree_size": checkpoint.tree_size,
        "village_code": world.shuinan.code,
        "missing": 999999,
        "chain": ApprovalChain.objects.filter(district=world.district).order_by("pk")[0].pk,
        "sha256": "0" * 64,
    }


def bearer_for(person: Person) -> dict[str, str]:
    """An API token of `person` (the API tries tokens before the session)."""
    return {"Authorization": f"Bearer {api_token_create(person=person, name='矩阵', by=None)[1]}"}
