from __future__ import annotations

import pytest

from conftest import World, make_person
from zhiyin.core.errors import RuleViolation
from zhiyin.orgs.models import Role, RoleGrant, VillageGroup
from zhiyin.orgs.services import (
    custodian_replace,
    place_create,
    place_retire,
    role_grant_create,
    role_grant_revoke,
    village_custodian_count,
)

pytestmark = pytest.mark.django_db


def test_a_village_keeps_two_custodians_through_a_handover(world: World) -> None:
    newcomer = make_person("sn_newcomer", "新管理员")
    custodian_replace(
        village=world.shuinan, old=world.sn_custodian1, new=newcomer, by=world.sn_admin
    )
    assert village_custodian_count(world.shuinan) == 2
    holders = set(
        RoleGrant.objects.active()
        .filter(village=world.shuinan, role=Role.CUSTODIAN)
        .values_list("person__username", flat=True)
    )
    assert holders == {"sn_newcomer", "sn_custodian2"}


def test_a_failed_handover_changes_nothing(world: World) -> None:
    with pytest.raises(RuleViolation, match="不能兼任印章管理员"):
        custodian_replace(
            village=world.shuinan, old=world.sn_custodian1, new=world.sn_secretary, by=None
        )
    assert (
        RoleGrant.objects.active().filter(person=world.sn_custodian1, role=Role.CUSTODIAN).exists()
    )


def test_a_custodian_cannot_become_secretary_of_the_same_village(world: World) -> None:
    with pytest.raises(RuleViolation, match="不能兼任村支部书记"):
        role_grant_create(
            person=world.sn_custodian1, role=Role.SECRETARY, village=world.shuinan, by=None
        )


def test_one_person_may_hold_several_grants(world: World) -> None:
    role_grant_create(person=world.sn_clerk, role=Role.GROUP_LEADER, group=world.sn_group2, by=None)
    roles = set(
        RoleGrant.objects.active().filter(person=world.sn_clerk).values_list("role", flat=True)
    )
    assert roles == {Role.CLERK, Role.GROUP_LEADER}


def test_a_grant_cannot_be_revoked_twice(world: World) -> None:
    grant = RoleGrant.objects.get(person=world.sn_clerk)
    role_grant_revoke(grant=grant, by=None)
    with pytest.raises(RuleViolation, match="已经撤销"):
        role_grant_revoke(grant=grant, by=None)


def test_a_retired_place_takes_no_new_grants(world: World) -> None:
    group = place_create(
        place=VillageGroup(village=world.shuinan, number=9, name="第九村民小组"), by=None
    )
    place_retire(place=group, by=None)
    with pytest.raises(RuleViolation, match="已撤销"):
        role_grant_create(person=world.sn_clerk, role=Role.GROUP_LEADER, group=group, by=None)


def test_a_village_with_active_groups_cannot_be_retired(world: World) -> None:
    with pytest.raises(RuleViolation, match="请先撤销该村的所有村民小组"):
        place_retire(place=world.beiling, by=None)


def test_a_helpers_refusal_is_shown_in_the_persons_language() -> None:
    from django.utils import translation

    from zhiyin.lib.stamp import StampError, font_check

    with pytest.raises(StampError) as caught:
        font_check("水南𪚥村", "")
    assert "𪚥" in str(caught.value) and "印章字体中没有这些字" in str(caught.value)
    assert "印章字体中没有这些字" in RuleViolation.from_error(caught.value).message
    with translation.override("en"):
        message = RuleViolation.from_error(caught.value).message
    assert message.startswith("The seal font lacks these characters:") and "𪚥" in message
