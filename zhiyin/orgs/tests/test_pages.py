"""The netbox matrix for every staff page: anonymous, wrong role, right role in another
village, right role in scope."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from conftest import PASSWORD, World, client_for
from zhiyin.audit.models import AuditEvent
from zhiyin.orgs.models import Person

pytestmark = pytest.mark.django_db


def test_it_shows_a_chinese_login_page(client: object) -> None:
    from django.test import Client

    response = Client().get(reverse("login"))
    assert response.status_code == 200
    assert "登录智印" in response.content.decode()
    assert response["Content-Security-Policy"].startswith("default-src 'self'")
    assert response["X-Frame-Options"] == "DENY"


def test_it_sends_anonymous_visitors_to_login(world: World) -> None:
    for url in [
        reverse("home"),
        reverse("village_detail", args=[world.shuinan.pk]),
        reverse("seal_list"),
        reverse("seal_detail", args=[world.sn_committee_seal.pk]),
        reverse("password_change"),
    ]:
        response = client_for(None).get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("login", ["sn_resident", "13900000001"])
def test_it_logs_in_by_username_or_phone(world: World, login: str) -> None:
    from django.test import Client

    person = Person.objects.get(username="sn_resident")
    login = str(person.phone) if login.isdigit() else login
    client = Client()
    response = client.post(reverse("login"), {"username": login, "password": PASSWORD})
    assert response.status_code == 302
    assert client.get(reverse("home")).context["user"] == person
    assert AuditEvent.objects.filter(action="person.login", actor_id=person.pk).exists()


def test_it_refuses_a_wrong_password_in_chinese_and_logs_it(world: World) -> None:
    from django.test import Client

    response = Client().post(reverse("login"), {"username": "sn_resident", "password": "wrong-one"})
    assert response.status_code == 200
    assert "手机号/登录名或密码不正确" in response.content.decode()
    assert AuditEvent.objects.filter(
        action="person.login_failed", target_label="sn_resident"
    ).exists()


def test_resident_home_shows_own_details_masked(world: World) -> None:
    body = client_for(world.sn_resident).get(reverse("home")).content.decode()
    assert "阿梅" in body
    assert "4602**********1238" in body
    assert "460205199001011238" not in body
    assert "北岭村" not in body


def test_secretary_home_shows_own_village_and_its_seals_only(world: World) -> None:
    body = client_for(world.sn_secretary).get(reverse("home")).content.decode()
    assert "水南村" in body and "水南村村民委员会" in body
    assert "北岭村" not in body


def test_inspector_home_shows_the_districts_villages_and_seals(world: World) -> None:
    body = client_for(world.inspector).get(reverse("home")).content.decode()
    assert "水南村" in body and "北岭村" in body
    assert "北岭村村民委员会" in body


def test_bureau_officer_home_shows_the_bureau(world: World) -> None:
    body = client_for(world.officer).get(reverse("home")).content.decode()
    assert "区农业农村局" in body
    assert "水南村" not in body


class TestVillagePage:
    def url(self, world: World) -> str:
        return reverse("village_detail", args=[world.shuinan.pk])

    def test_it_hides_the_village_from_wrong_roles(self, world: World) -> None:
        for person in (world.sn_resident, world.officer):
            assert client_for(person).get(self.url(world)).status_code == 404

    def test_it_rejects_cross_village_access(self, world: World) -> None:
        for person in (world.bl_secretary, world.bl_clerk, world.bl_admin):
            assert client_for(person).get(self.url(world)).status_code == 404

    def test_it_shows_everything_to_village_staff_in_scope(self, world: World) -> None:
        for person in (world.sn_secretary, world.sn_clerk, world.sn_custodian1, world.inspector):
            body = client_for(person).get(self.url(world)).content.decode()
            assert "第一村民小组" in body and "第二村民小组" in body
            assert "阿梅" in body and "4602**********1238" in body
            assert "符姐" in body and "王哥" in body
            assert "460205199001011238" not in body

    def test_group_leader_sees_only_their_groups_residents(self, world: World) -> None:
        body = client_for(world.sn_leader2).get(self.url(world)).content.decode()
        assert "第二村民小组" in body
        assert "阿梅" not in body
        body = client_for(world.sn_leader1).get(self.url(world)).content.decode()
        assert "阿梅" in body


class TestSealPages:
    def test_list_is_scoped(self, world: World) -> None:
        body = client_for(world.sn_clerk).get(reverse("seal_list")).content.decode()
        assert "水南村村民委员会" in body and "北岭村村民委员会" not in body
        body = client_for(world.sn_leader1).get(reverse("seal_list")).content.decode()
        assert "水南村第一村民小组" in body and "水南村村民委员会" not in body
        body = client_for(world.sn_resident).get(reverse("seal_list")).content.decode()
        assert "您的范围内没有印章" in body

    def test_detail_rejects_cross_village_access(self, world: World) -> None:
        url = reverse("seal_detail", args=[world.sn_committee_seal.pk])
        assert client_for(world.bl_secretary).get(url).status_code == 404
        assert client_for(world.sn_resident).get(url).status_code == 404
        assert client_for(world.sn_secretary).get(url).status_code == 200
        assert client_for(world.inspector).get(url).status_code == 200

    def post_status(self, world: World, person: Person | None, data: dict[str, str]) -> int:
        url = reverse("seal_status_change", args=[world.sn_committee_seal.pk])
        return client_for(person).post(url, data).status_code

    def test_only_an_admin_in_scope_changes_status(self, world: World) -> None:
        data = {"action": "suspend", "reason": "印章遗失，待查"}
        assert self.post_status(world, None, data) == 302  # to login
        assert self.post_status(world, world.sn_secretary, data) == 403
        assert self.post_status(world, world.inspector, data) == 403
        assert self.post_status(world, world.bl_admin, data) == 404
        world.sn_committee_seal.refresh_from_db()
        assert world.sn_committee_seal.status == "active"
        assert self.post_status(world, world.sn_admin, data) == 302
        world.sn_committee_seal.refresh_from_db()
        assert world.sn_committee_seal.status == "suspended"

    def test_it_refuses_a_status_change_without_reason(self, world: World) -> None:
        client = client_for(world.district_admin)
        url = reverse("seal_status_change", args=[world.sn_committee_seal.pk])
        response = client.post(url, {"action": "retire", "reason": ""}, follow=True)
        assert "请选择操作并填写原因" in response.content.decode()
        world.sn_committee_seal.refresh_from_db()
        assert world.sn_committee_seal.status == "active"

    def test_history_shows_each_change(self, world: World) -> None:
        client = client_for(world.district_admin)
        url = reverse("seal_status_change", args=[world.sn_committee_seal.pk])
        client.post(url, {"action": "suspend", "reason": "更换管理员"})
        client.post(url, {"action": "reinstate", "reason": "交接完成"})
        body = client.get(
            reverse("seal_detail", args=[world.sn_committee_seal.pk])
        ).content.decode()
        assert "更换管理员" in body and "交接完成" in body and "登记" in body
        assert body.count("区管理员") >= 2


class TestPasswordChange:
    def test_it_changes_the_password(self, world: World) -> None:
        client = client_for(world.sn_clerk)
        response = client.post(
            reverse("password_change"),
            {
                "old_password": PASSWORD,
                "new_password": "Brand-new-pass-88",
                "new_password_again": "Brand-new-pass-88",
            },
        )
        assert response.status_code == 302
        world.sn_clerk.refresh_from_db()
        assert world.sn_clerk.check_password("Brand-new-pass-88")

    @pytest.mark.parametrize(
        ("old", "new", "again", "message"),
        [
            ("wrong-old-password", "Brand-new-pass-88", "Brand-new-pass-88", "原密码不正确"),
            (PASSWORD, "Brand-new-pass-88", "Brand-new-pass-99", "两次输入的新密码不一致"),
            (PASSWORD, "12345678901", "12345678901", ""),
        ],
    )
    def test_it_refuses_bad_input_and_keeps_the_old_password(
        self, world: World, old: str, new: str, again: str, message: str
    ) -> None:
        client = client_for(world.sn_clerk)
        response = client.post(
            reverse("password_change"),
            {"old_password": old, "new_password": new, "new_password_again": again},
        )
        assert response.status_code == 200
        assert 'class="errorlist"' in response.content.decode()
        if message:
            assert message in response.content.decode()
        world.sn_clerk.refresh_from_db()
        assert world.sn_clerk.check_password(PASSWORD)


def test_the_village_page_pages_through_many_residents_masked(world: World) -> None:
    from zhiyin.orgs.tests.factories import ResidentFactory

    ResidentFactory.create_batch(60, home_group=world.sn_group2, home_village=world.shuinan)
    client = client_for(world.sn_secretary)
    first = client.get(reverse("village_detail", args=[world.shuinan.pk])).content.decode()
    second = client.get(
        reverse("village_detail", args=[world.shuinan.pk]) + "?page=2"
    ).content.decode()
    assert "第 1 / 2 页" in first and "第 2 / 2 页" in second
    assert first.count("**********") + second.count("**********") == 61
    assert (
        client_for(world.bl_secretary)
        .get(reverse("village_detail", args=[world.shuinan.pk]))
        .status_code
        == 404
    )


def test_english_is_available_from_the_language_switch() -> None:
    from django.test import Client

    client = Client()
    response = client.post(
        reverse("set_language"), {"language": "en", "next": reverse("login")}, follow=True
    )
    body = response.content.decode()
    assert "Log in to Zhiyin" in body
    assert "登录智印" not in body


def test_the_village_page_and_grant_list_do_not_query_per_row(
    world: World, django_assert_max_num_queries: Any
) -> None:
    from conftest import make_person
    from zhiyin.orgs.models import Role, VillageGroup
    from zhiyin.orgs.services import place_create, role_grant_create

    for number in range(3, 13):
        group = place_create(
            place=VillageGroup(village=world.shuinan, number=number, name=f"第{number}组"), by=None
        )
        role_grant_create(
            person=make_person(f"leader{number}", f"组长{number}"),
            role=Role.GROUP_LEADER,
            group=group,
            by=None,
        )
    client = client_for(world.sn_secretary)
    with django_assert_max_num_queries(12):
        assert client.get(reverse("village_detail", args=[world.shuinan.pk])).status_code == 200
    admin = client_for(world.security_admin)
    with django_assert_max_num_queries(12):
        assert admin.get(reverse("admin:orgs_rolegrant_changelist")).status_code == 200


def test_pages_and_json_are_compressed_and_binary_files_are_not(world: World) -> None:
    """Lighthouse's "enable text compression": pages and JSON go gzipped to a browser
    that accepts it; certificates, images and PDFs (compressed already) go as they are."""
    import gzip

    from django.test import Client

    from zhiyin.seals.services import district_ca_get_or_create

    page = client_for(world.sn_resident).get("/portal/", HTTP_ACCEPT_ENCODING="gzip, br")
    assert page.status_code == 200 and page["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in page["Vary"]
    html = gzip.decompress(page.content).decode()
    assert "<!doctype html>" in html and len(page.content) < len(html.encode()) * 0.6
    plain = client_for(world.sn_resident).get("/portal/")
    assert not plain.has_header("Content-Encoding") and "<!doctype html>" in plain.content.decode()

    district_ca_get_or_create(district=world.district)
    der = Client().get(f"/pki/root/{world.district.code}.crt", HTTP_ACCEPT_ENCODING="gzip")
    assert der.status_code == 200 and not der.has_header("Content-Encoding")
