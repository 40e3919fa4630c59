"""Every transition of a seal request, and the illegal ones refused in Chinese."""

from __future__ import annotations

from datetime import timedelta

import pytest

from conftest import World
from zhiyin.approvals.models import (
    ApprovalStep,
    Decision,
    RequestStatus,
    SealRequest,
    StepDecision,
    StepStatus,
)
from zhiyin.approvals.services import (
    seal_request_approve,
    seal_request_complete,
    seal_request_reject,
    seal_request_remind,
    seal_request_return,
    seal_request_submit,
    seal_request_update,
    seal_request_withdraw,
)
from zhiyin.approvals.tests.conftest import Catalog, pdf_upload, request_make, view_documents
from zhiyin.audit.models import AuditEvent
from zhiyin.core.errors import RuleViolation
from zhiyin.delivery.models import Notification

pytestmark = pytest.mark.django_db


def _submitted(world: World, catalog: Catalog) -> SealRequest:
    request = request_make(world, catalog.matter)
    return seal_request_submit(request=request, by=world.sn_clerk)


def _approve(request: SealRequest, person: object) -> SealRequest:
    view_documents(request, person)  # type: ignore[arg-type]  # a Person
    return seal_request_approve(request=request, by=person)  # type: ignore[arg-type]  # a Person


def test_it_creates_a_draft_with_a_village_number_and_a_bound_document_hash(
    world: World, catalog: Catalog
) -> None:
    request = request_make(world, catalog.matter)
    assert request.status == RequestStatus.DRAFT
    assert request.number.startswith("水南-")
    assert request.chain == catalog.chain
    document = request.documents.get()
    assert len(document.sha256) == 64 and document.content_matches()
    assert document.file.name == f"documents/{document.sha256[:2]}/{document.sha256}.pdf"
    assert document.content_type == "application/pdf"
    assert AuditEvent.objects.filter(
        action="seal_request.create", target_id=str(request.pk)
    ).exists()


def test_it_takes_a_request_from_draft_to_completed(world: World, catalog: Catalog) -> None:
    request = _submitted(world, catalog)
    assert request.status == RequestStatus.SUBMITTED
    first = ApprovalStep.objects.get(request=request, status=StepStatus.ACTIVE)
    assert first.role == "group_leader" and first.group == world.sn_group1
    assert first.deadline is not None
    assert Notification.objects.filter(
        person=world.sn_leader1, event="seal_request.step_activated"
    ).exists()
    assert not Notification.objects.filter(person=world.sn_leader2).exists()

    request = _approve(request, world.sn_leader1)
    assert request.status == RequestStatus.IN_APPROVAL
    first.refresh_from_db()
    assert first.status == StepStatus.DONE and first.decided_by == world.sn_leader1
    assert first.duration is not None

    request = _approve(request, world.sn_secretary)
    assert request.status == RequestStatus.APPROVED
    assert Notification.objects.filter(
        person=world.sn_custodian1, event="seal_request.approved"
    ).exists()

    request = seal_request_complete(request=request, by=world.sn_custodian1)
    assert request.status == RequestStatus.COMPLETED
    actions = list(
        AuditEvent.objects.filter(target_id=str(request.pk), target_type="approvals.sealrequest")
        .order_by("seq")
        .values_list("action", flat=True)
    )
    assert actions == [
        "seal_request.create",
        "seal_request.submit",
        "seal_request.approve",
        "seal_request.approve",
        "seal_request.complete",
    ]


def test_a_chain_without_steps_goes_straight_to_approved(world: World, catalog: Catalog) -> None:
    request = request_make(world, catalog.direct_matter)
    request = seal_request_submit(request=request, by=world.sn_clerk)
    assert request.status == RequestStatus.APPROVED
    assert not request.steps.exists()


def test_return_sends_it_back_for_editing_and_resubmission_starts_a_new_round(
    world: World, catalog: Catalog
) -> None:
    request = _submitted(world, catalog)
    with pytest.raises(RuleViolation, match="写明需要修改"):
        seal_request_return(request=request, by=world.sn_leader1, comment="  ")
    request = seal_request_return(request=request, by=world.sn_leader1, comment="合同缺少附件页")
    assert request.status == RequestStatus.RETURNED
    assert request.outcome_comment == "合同缺少附件页"
    assert Notification.objects.filter(person=world.sn_clerk, event="seal_request.return").exists()

    old = request.documents.get()
    request = seal_request_update(
        request=request,
        by=world.sn_clerk,
        matter=catalog.matter,
        seal=world.sn_committee_seal,
        stamp_count=3,
        place_of_use="村委会",
        purpose="与承包户签订流转合同（补附件）",
        group=world.sn_group1,
        documents=[pdf_upload("新合同.pdf", "fixed")],
        remove_document_ids=[old.pk],
    )
    assert request.stamp_count == 3
    assert request.documents.filter(superseded_at__isnull=True).count() == 1
    request = seal_request_submit(request=request, by=world.sn_clerk)
    assert request.status == RequestStatus.SUBMITTED and request.round == 2
    assert request.steps.filter(round=1).count() == 2
    assert request.steps.get(round=2, position=1).status == StepStatus.ACTIVE


def test_reject_needs_a_reason_and_is_final(world: World, catalog: Catalog) -> None:
    request = _submitted(world, catalog)
    with pytest.raises(RuleViolation, match="驳回时请写明理由"):
        seal_request_reject(request=request, by=world.sn_leader1, comment="")
    request = seal_request_reject(request=request, by=world.sn_leader1, comment="不属于本组事务")
    assert request.status == RequestStatus.REJECTED
    assert request.steps.get(position=2).status == StepStatus.CANCELLED
    with pytest.raises(RuleViolation, match="不能再审批"):
        _approve(request, world.sn_secretary)
    with pytest.raises(RuleViolation):
        seal_request_submit(request=request, by=world.sn_clerk)
    with pytest.raises(RuleViolation, match="不能撤回"):
        seal_request_withdraw(request=request, by=world.sn_clerk)


def test_withdraw_works_until_the_current_approver_has_acted(
    world: World, catalog: Catalog
) -> None:
    request = _submitted(world, catalog)
    request = _approve(request, world.sn_leader1)
    request = seal_request_withdraw(request=request, by=world.sn_clerk, reason="合同另议")
    assert request.status == RequestStatus.WITHDRAWN
    assert not request.steps.filter(status=StepStatus.ACTIVE).exists()
    assert Notification.objects.filter(
        person=world.sn_secretary, event="seal_request.withdraw"
    ).exists()


def test_withdraw_is_refused_once_an_approver_of_the_current_step_acted(
    world: World, catalog: Catalog
) -> None:
    request = request_make(world, catalog.joint_matter)
    request = seal_request_submit(request=request, by=world.sn_clerk)
    request = _approve(request, world.sn_secretary)
    request = _approve(request, world.sn_custodian1)  # one of two joint approvers
    assert request.status == RequestStatus.IN_APPROVAL
    with pytest.raises(RuleViolation, match="审批人已开始办理当前环节，不能撤回"):
        seal_request_withdraw(request=request, by=world.sn_clerk)
    assert SealRequest.objects.get(pk=request.pk).status == RequestStatus.IN_APPROVAL


def test_only_the_applicant_edits_submits_withdraws_and_reminds(
    world: World, catalog: Catalog
) -> None:
    request = request_make(world, catalog.matter)
    with pytest.raises(RuleViolation, match="只有申请人本人可以提交申请"):
        seal_request_submit(request=request, by=world.sn_secretary)
    request = seal_request_submit(request=request, by=world.sn_clerk)
    for call in (seal_request_withdraw, seal_request_remind):
        with pytest.raises(RuleViolation, match="只有申请人本人"):
            call(request=request, by=world.sn_custodian1)


def test_submitting_twice_and_editing_in_approval_are_refused(
    world: World, catalog: Catalog
) -> None:
    request = _submitted(world, catalog)
    with pytest.raises(RuleViolation, match="不能重复提交"):
        seal_request_submit(request=request, by=world.sn_clerk)
    with pytest.raises(RuleViolation, match="只有草稿或被退回的申请可以修改"):
        seal_request_update(
            request=request,
            by=world.sn_clerk,
            matter=catalog.matter,
            seal=world.sn_committee_seal,
            stamp_count=1,
            place_of_use="x",
            purpose="y",
        )


def test_it_refuses_to_submit_without_a_document(world: World, catalog: Catalog) -> None:
    request = request_make(world, catalog.matter, documents=0)
    with pytest.raises(RuleViolation, match="请先上传待用印的文件"):
        seal_request_submit(request=request, by=world.sn_clerk)
    assert SealRequest.objects.get(pk=request.pk).status == RequestStatus.DRAFT


def test_completing_is_refused_before_approval(world: World, catalog: Catalog) -> None:
    request = _submitted(world, catalog)
    with pytest.raises(RuleViolation, match="只有已批准的申请才能用印"):
        seal_request_complete(request=request, by=world.sn_custodian1)


def test_reminders_are_limited_to_one_per_interval(world: World, catalog: Catalog) -> None:
    request = _submitted(world, catalog)
    seal_request_remind(request=request, by=world.sn_clerk)
    with pytest.raises(RuleViolation, match="已催办过"):
        seal_request_remind(request=request, by=world.sn_clerk)
    assert (
        Notification.objects.filter(event="seal_request.remind", person=world.sn_leader1).count()
        == 1
    )
    step = request.steps.get(status=StepStatus.ACTIVE)
    assert step.last_reminded_at is not None
    ApprovalStep.objects.filter(pk=step.pk).update(
        last_reminded_at=step.last_reminded_at - timedelta(hours=3)
    )
    seal_request_remind(request=request, by=world.sn_clerk)
    assert (
        Notification.objects.filter(event="seal_request.remind", person=world.sn_leader1).count()
        == 2
    )


def test_two_approver_steps_record_each_decision(world: World, catalog: Catalog) -> None:
    request = seal_request_submit(
        request=request_make(world, catalog.joint_matter), by=world.sn_clerk
    )
    request = _approve(request, world.sn_secretary)
    request = _approve(request, world.sn_custodian1)
    request = _approve(request, world.sn_custodian2)
    assert request.status == RequestStatus.APPROVED
    step = request.steps.get(position=2)
    assert set(
        StepDecision.objects.filter(step=step).values_list("person__username", flat=True)
    ) == {
        "sn_custodian1",
        "sn_custodian2",
    }
    assert step.decision == Decision.APPROVE


def test_the_resident_a_request_was_filed_for_may_withdraw_it_and_is_named(
    world: World, catalog: Catalog
) -> None:
    request = request_make(world, catalog.matter, on_behalf_of=world.sn_resident)
    request = seal_request_submit(request=request, by=world.sn_clerk)
    with pytest.raises(RuleViolation, match="只有申请人本人可以撤回申请"):
        seal_request_withdraw(request=request, by=world.bl_resident)
    seal_request_withdraw(request=request, by=world.sn_resident)
    request.refresh_from_db()
    assert request.status == RequestStatus.WITHDRAWN
    event = AuditEvent.objects.filter(action="seal_request.withdraw").latest("seq")
    assert event.actor_id == world.sn_resident.pk


def test_a_returned_request_may_be_given_up_by_its_applicant(
    world: World, catalog: Catalog
) -> None:
    request = _submitted(world, catalog)
    request = seal_request_return(request=request, by=world.sn_leader1, comment="合同缺少附件页")
    with pytest.raises(RuleViolation, match="只有申请人本人可以撤回申请"):
        seal_request_withdraw(request=request, by=world.sn_secretary)
    request = seal_request_withdraw(request=request, by=world.sn_clerk, reason="不再办理")
    assert request.status == RequestStatus.WITHDRAWN
    with pytest.raises(RuleViolation, match="不能撤回"):
        seal_request_withdraw(request=request, by=world.sn_clerk)
