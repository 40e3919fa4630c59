"""Separation of duties, the negative list, and the seal and scope rules, enforced by the
services themselves."""

from __future__ import annotations

import pytest

from conftest import World
from zhiyin.approvals.models import RequestStatus, SealRequest
from zhiyin.approvals.services import (
    seal_request_approve,
    seal_request_complete,
    seal_request_submit,
)
from zhiyin.approvals.tests.conftest import Catalog, request_make, view_documents
from zhiyin.core.errors import RuleViolation
from zhiyin.orgs.models import Role
from zhiyin.orgs.services import role_grant_create
from zhiyin.seals.services import seal_suspend

pytestmark = pytest.mark.django_db


def _approved(world: World, catalog: Catalog) -> SealRequest:
    request = seal_request_submit(request=request_make(world, catalog.matter), by=world.sn_clerk)
    for person in (world.sn_leader1, world.sn_secretary):
        view_documents(request, person)
        request = seal_request_approve(request=request, by=person)
    return request


def test_the_applicant_never_approves_their_own_request(world: World, catalog: Catalog) -> None:
    role_grant_create(person=world.sn_clerk, role=Role.SECRETARY, village=world.shuinan, by=None)
    request = seal_request_submit(
        request=request_make(world, catalog.joint_matter), by=world.sn_clerk
    )
    view_documents(request, world.sn_clerk)
    with pytest.raises(RuleViolation, match="申请人不能审批自己的申请"):
        seal_request_approve(request=request, by=world.sn_clerk)


def test_a_two_approver_step_needs_two_different_people(world: World, catalog: Catalog) -> None:
    request = seal_request_submit(
        request=request_make(world, catalog.joint_matter), by=world.sn_clerk
    )
    view_documents(request, world.sn_secretary)
    request = seal_request_approve(request=request, by=world.sn_secretary)
    view_documents(request, world.sn_custodian1)
    request = seal_request_approve(request=request, by=world.sn_custodian1)
    with pytest.raises(RuleViolation, match="还需另一位审批人"):
        seal_request_approve(request=request, by=world.sn_custodian1)
    assert SealRequest.objects.get(pk=request.pk).status == RequestStatus.IN_APPROVAL


def test_an_approver_never_completes_as_custodian(world: World, catalog: Catalog) -> None:
    # 王哥 is a custodian and also leads group 2; he approves the group step of a request.
    role_grant_create(
        person=world.sn_custodian2, role=Role.GROUP_LEADER, group=world.sn_group2, by=None
    )
    request = seal_request_submit(
        request=request_make(world, catalog.matter, group=world.sn_group2), by=world.sn_clerk
    )
    for person in (world.sn_custodian2, world.sn_secretary):
        view_documents(request, person)
        request = seal_request_approve(request=request, by=person)
    assert request.status == RequestStatus.APPROVED
    with pytest.raises(RuleViolation, match="审用分离"):
        seal_request_complete(request=request, by=world.sn_custodian2)
    assert seal_request_complete(request=request, by=world.sn_custodian1).status == "completed"


def test_the_custodians_joint_confirmation_is_not_an_approval(
    world: World, catalog: Catalog
) -> None:
    """Both custodians confirm a joint-seal matter at its custodian step; one of them then
    seals it. Counting that confirmation as an approval would leave nobody to seal."""
    request = seal_request_submit(
        request=request_make(world, catalog.joint_matter), by=world.sn_clerk
    )
    for person in (world.sn_secretary, world.sn_custodian1, world.sn_custodian2):
        view_documents(request, person)
        request = seal_request_approve(request=request, by=person)
    assert request.status == RequestStatus.APPROVED
    assert seal_request_complete(request=request, by=world.sn_custodian1).status == "completed"


def test_the_applicant_custodian_does_not_seal_their_own_request(
    world: World, catalog: Catalog
) -> None:
    request = request_make(world, catalog.direct_matter, by=world.sn_custodian1)
    request = seal_request_submit(request=request, by=world.sn_custodian1)
    with pytest.raises(RuleViolation, match="申请人不能为自己的申请用印"):
        seal_request_complete(request=request, by=world.sn_custodian1)
    assert seal_request_complete(request=request, by=world.sn_custodian2).status == "completed"


def test_only_a_custodian_of_the_village_completes(world: World, catalog: Catalog) -> None:
    request = _approved(world, catalog)
    for person in (world.sn_clerk, world.bl_secretary, world.inspector):
        with pytest.raises(RuleViolation):
            seal_request_complete(request=request, by=person)


def test_no_deciding_unseen(world: World, catalog: Catalog) -> None:
    request = seal_request_submit(request=request_make(world, catalog.matter), by=world.sn_clerk)
    with pytest.raises(RuleViolation, match="请先打开并查看待用印的文件"):
        seal_request_approve(request=request, by=world.sn_leader1)
    view_documents(request, world.sn_leader1)
    assert seal_request_approve(request=request, by=world.sn_leader1).status == "in_approval"


@pytest.mark.parametrize(
    "person", ["sn_leader2", "bl_secretary", "sn_secretary", "inspector", "sn_custodian1"]
)
def test_people_who_do_not_hold_the_step_cannot_decide_it(
    world: World, catalog: Catalog, person: str
) -> None:
    request = seal_request_submit(request=request_make(world, catalog.matter), by=world.sn_clerk)
    decider = getattr(world, person)
    view_documents(request, decider)
    with pytest.raises(RuleViolation, match="环节的审批人"):
        seal_request_approve(request=request, by=decider)


def test_it_refuses_a_purpose_on_the_negative_list_with_where_to_go(
    world: World, catalog: Catalog
) -> None:
    with pytest.raises(RuleViolation, match="负面清单") as refusal:
        request_make(world, catalog.matter, purpose="给村民阿梅开具亲属关系证明")
    assert "派出所" in refusal.value.message
    assert not SealRequest.objects.exists()


def test_it_refuses_at_submission_when_the_list_grew_meanwhile(
    world: World, catalog: Catalog
) -> None:
    request = request_make(world, catalog.matter, purpose="出具无犯罪记录证明")
    catalog.negative_item.aliases = ["无犯罪记录证明"]
    catalog.negative_item.save()
    with pytest.raises(RuleViolation, match="负面清单"):
        seal_request_submit(request=request, by=world.sn_clerk)
    assert SealRequest.objects.get(pk=request.pk).status == RequestStatus.DRAFT


def test_it_refuses_a_suspended_seal_and_a_seal_of_another_village(
    world: World, catalog: Catalog
) -> None:
    with pytest.raises(RuleViolation, match="不属于本村"):
        request_make(world, catalog.matter, seal=world.bl_committee_seal)
    request = request_make(world, catalog.matter)
    seal_suspend(seal=world.sn_committee_seal, reason="印章送检", by=None)
    with pytest.raises(RuleViolation, match=r"不能申请用印|不在用"):
        seal_request_submit(request=request, by=world.sn_clerk)


def test_only_clerks_and_custodians_of_the_village_apply(world: World, catalog: Catalog) -> None:
    for person in (world.sn_leader1, world.sn_secretary, world.bl_clerk, world.sn_resident):
        with pytest.raises(RuleViolation, match="只有本村的经办人或印章管理员"):
            request_make(world, catalog.matter, by=person)


def test_the_matter_must_allow_the_seal(world: World, catalog: Catalog) -> None:
    catalog.matter.seal_kinds = ["finance"]
    catalog.matter.save()
    with pytest.raises(RuleViolation, match="只能使用"):
        request_make(world, catalog.matter)


def test_a_group_step_needs_a_group(world: World, catalog: Catalog) -> None:
    request = request_make(world, catalog.matter, group=None)
    with pytest.raises(RuleViolation, match="选择申请所属的村民小组"):
        seal_request_submit(request=request, by=world.sn_clerk)


def test_a_group_seal_puts_the_request_in_its_group(world: World, catalog: Catalog) -> None:
    request = request_make(world, catalog.matter, seal=world.sn_group1_seal, group=world.sn_group2)
    assert request.group == world.sn_group1
