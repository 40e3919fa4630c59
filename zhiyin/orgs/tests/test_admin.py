"""District setup in the admin: scoped to the admin's villages, every save through services."""

from __future__ import annotations

import pytest
from django.urls import reverse

from conftest import World, client_for
from zhiyin.audit.models import AuditEvent
from zhiyin.orgs.models import Person, Role, RoleGrant, Village, VillageGroup

pytestmark = pytest.mark.django_db


def test_it_sends_anonymous_visitors_to_the_sites_login(world: World) -> None:
    response = client_for(None).get(reverse("admin:index"), follow=True)
    assert response.redirect_chain[-1][0].startswith(reverse("login"))
    assert "登录智印" in response.content.decode()


@pytest.mark.parametrize("who", ["sn_clerk", "sn_secretary", "inspector", "officer", "sn_resident"])
def test_it_refuses_people_without_an_admin_grant(world: World, who: str) -> None:
    response = client_for(getattr(world, who)).get(reverse("admin:index"), follow=True)
    assert response.status_code == 403


def test_village_admin_sees_only_their_village(world: World) -> None:
    client = client_for(world.sn_admin)
    body = client.get(reverse("admin:orgs_village_changelist")).content.decode()
    assert "水南村" in body and "北岭村" not in body
    people = client.get(reverse("admin:orgs_person_changelist")).content.decode()
    assert "阿梅" in people and "阿强" not in people
    other = client.get(reverse("admin:orgs_village_change", args=[world.beiling.pk]))
    assert other.status_code == 302  # Django admin redirects unknown ids to the index


def test_district_admin_sees_every_village(world: World) -> None:
    body = (
        client_for(world.district_admin)
        .get(reverse("admin:orgs_village_changelist"))
        .content.decode()
    )
    assert "水南村" in body and "北岭村" in body


def test_only_a_district_admin_adds_villages(world: World) -> None:
    data = {"name": "新村", "district": world.district.pk, "kind": "village", "code": "460205199"}
    assert (
        client_for(world.sn_admin).post(reverse("admin:orgs_village_add"), data).status_code == 403
    )
    response = client_for(world.district_admin).post(reverse("admin:orgs_village_add"), data)
    assert response.status_code == 302
    village = Village.objects.get(name="新村")
    assert AuditEvent.objects.filter(action="village.create", target_id=str(village.pk)).exists()


def test_renaming_a_group_is_recorded(world: World) -> None:
    client = client_for(world.sn_admin)
    url = reverse("admin:orgs_villagegroup_change", args=[world.sn_group2.pk])
    response = client.post(url, {"name": "第二组（新）"})
    assert response.status_code == 302
    event = AuditEvent.objects.get(action="villagegroup.rename")
    assert "第二村民小组" in event.before and "第二组（新）" in event.after


def test_retiring_a_group_keeps_it_with_its_history(world: World) -> None:
    client = client_for(world.sn_admin)
    client.post(
        reverse("admin:orgs_villagegroup_changelist"),
        {"action": "retire_selected", "_selected_action": [world.sn_group2.pk]},
    )
    group = VillageGroup.objects.get(pk=world.sn_group2.pk)
    assert group.retired_at is not None
    assert AuditEvent.objects.filter(action="villagegroup.retire", target_id=str(group.pk)).exists()


def test_it_refuses_a_bad_id_number_in_chinese_and_saves_nothing(world: World) -> None:
    before = Person.objects.count()
    response = client_for(world.sn_admin).post(
        reverse("admin:orgs_person_add"),
        {
            "username": "new_resident",
            "real_name": "新村民",
            "phone": "13712345678",
            "id_number": "460205199001011230",
            "home_village": world.shuinan.pk,
            "home_group": world.sn_group1.pk,
        },
    )
    assert response.status_code == 200
    assert "身份证号格式或校验位不正确" in response.content.decode()
    assert Person.objects.count() == before


def test_it_refuses_a_group_of_another_village(world: World) -> None:
    response = client_for(world.district_admin).post(
        reverse("admin:orgs_person_add"),
        {
            "username": "new_resident",
            "real_name": "新村民",
            "home_village": world.shuinan.pk,
            "home_group": world.bl_group1.pk,
        },
    )
    assert "村民小组不属于所选的村" in response.content.decode()
    assert not Person.objects.filter(username="new_resident").exists()


def test_it_creates_a_person_through_the_service(world: World) -> None:
    response = client_for(world.sn_admin).post(
        reverse("admin:orgs_person_add"),
        {
            "username": "new_resident",
            "real_name": "新村民",
            "phone": "13712345678",
            "id_number": "460205199001011238"[:17] + "X" if False else "46020520000101002X",
            "home_village": world.shuinan.pk,
            "home_group": world.sn_group1.pk,
            "password": "Long-enough-pass-1",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    person = Person.objects.get(username="new_resident")
    assert person.check_password("Long-enough-pass-1")
    assert AuditEvent.objects.filter(action="person.create", target_id=str(person.pk)).exists()


class TestGrants:
    def add(self, world: World, by: Person, **data: object) -> str:
        response = client_for(by).post(reverse("admin:orgs_rolegrant_add"), data)
        return response.content.decode() if response.status_code == 200 else ""

    def test_a_third_custodian_is_refused(self, world: World) -> None:
        body = self.add(
            world,
            world.security_admin,
            person=world.sn_clerk.pk,
            role=Role.CUSTODIAN,
            village=world.shuinan.pk,
        )
        assert "每个村只能有两名印章管理员" in body
        assert not RoleGrant.objects.filter(person=world.sn_clerk, role=Role.CUSTODIAN).exists()

    def test_the_secretary_cannot_hold_the_seal(self, world: World) -> None:
        grant = RoleGrant.objects.get(person=world.sn_custodian2, role=Role.CUSTODIAN)
        client_for(world.security_admin).post(
            reverse("admin:orgs_rolegrant_changelist"),
            {"action": "revoke_selected", "_selected_action": [grant.pk]},
        )
        body = self.add(
            world,
            world.security_admin,
            person=world.sn_secretary.pk,
            role=Role.CUSTODIAN,
            village=world.shuinan.pk,
        )
        assert "不能兼任印章管理员" in body

    def test_only_the_security_admin_grants_roles(self, world: World) -> None:
        """三员分立: system admins (district or village) do not grant roles."""
        for admin in (world.sn_admin, world.district_admin, world.audit_admin):
            response = client_for(admin).post(
                reverse("admin:orgs_rolegrant_add"),
                {
                    "person": world.sn_clerk.pk,
                    "role": Role.INSPECTOR,
                    "district": world.district.pk,
                },
            )
            assert response.status_code in (302, 403)  # the admin site sends non-admins away
        assert not RoleGrant.objects.filter(person=world.sn_clerk, role=Role.INSPECTOR).exists()

    def test_the_security_admin_never_grants_themself(self, world: World) -> None:
        body = self.add(
            world,
            world.security_admin,
            person=world.security_admin.pk,
            role=Role.ADMIN,
            district=world.district.pk,
        )
        assert "不能给自己授权" in body
        assert not RoleGrant.objects.filter(person=world.security_admin, role=Role.ADMIN).exists()

    def test_a_role_at_the_wrong_level_is_refused(self, world: World) -> None:
        body = self.add(
            world,
            world.security_admin,
            person=world.sn_clerk.pk,
            role=Role.GROUP_LEADER,
            village=world.shuinan.pk,
        )
        assert "不能在这一级授予" in body

    def test_revoking_keeps_the_grant_as_history(self, world: World) -> None:
        grant = RoleGrant.objects.get(person=world.sn_clerk, role=Role.CLERK)
        client_for(world.security_admin).post(
            reverse("admin:orgs_rolegrant_changelist"),
            {"action": "revoke_selected", "_selected_action": [grant.pk]},
        )
        grant.refresh_from_db()
        assert grant.revoked_at is not None
        assert (
            client_for(world.sn_clerk)
            .get(reverse("village_detail", args=[world.shuinan.pk]))
            .status_code
            == 404
        )


class TestSealAdmin:
    def test_it_registers_a_seal_in_scope(self, world: World) -> None:
        response = client_for(world.sn_admin).post(
            reverse("admin:seals_seal_add"),
            {
                "village": world.shuinan.pk,
                "kind": "finance",
                "code": "SN-CW-2",
                "is_physical": "on",
            },
        )
        assert response.status_code == 302
        seal = world.shuinan.seals.get(code="SN-CW-2")
        assert seal.purpose == "财务专用章" and seal.diameter_mm == 40

    def test_it_refuses_a_group_seal_without_group_and_a_duplicate_code(self, world: World) -> None:
        client = client_for(world.sn_admin)
        body = client.post(
            reverse("admin:seals_seal_add"),
            {"village": world.shuinan.pk, "kind": "group", "code": "X1", "is_physical": "on"},
        ).content.decode()
        assert "村民小组章必须且只能属于一个村民小组" in body
        body = client.post(
            reverse("admin:seals_seal_add"),
            {
                "village": world.shuinan.pk,
                "kind": "committee",
                "code": "SN-CW",
                "is_physical": "on",
            },
        ).content.decode()
        assert "已被使用" in body

    def test_a_village_admin_cannot_register_for_another_village(self, world: World) -> None:
        response = client_for(world.sn_admin).post(
            reverse("admin:seals_seal_add"),
            {"village": world.beiling.pk, "kind": "finance", "code": "BL-X", "is_physical": "on"},
        )
        assert response.status_code == 200  # the choice is not offered: form error
        assert not world.beiling.seals.filter(code="BL-X").exists()


def test_the_person_list_shows_phone_numbers_masked(world: World) -> None:
    """个人信息保护法: lists show 138****5678; the full number only on the person's page."""
    resident = world.sn_resident
    assert resident.phone and len(resident.phone) == 11
    body = client_for(world.sn_admin).get(reverse("admin:orgs_person_changelist")).content
    text = body.decode()
    assert resident.real_name in text
    assert resident.phone not in text
    assert f"{resident.phone[:3]}****{resident.phone[-4:]}" in text
