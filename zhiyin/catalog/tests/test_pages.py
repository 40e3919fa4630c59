"""The netbox matrix for the catalog pages and API: anonymous, resident (wrong role),
staff of another district, staff in scope; and the public negative list."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from conftest import World, client_for, make_person
from zhiyin.catalog.demo import catalog_demo_load
from zhiyin.catalog.models import Matter
from zhiyin.orgs.models import District, Person, Role, Village
from zhiyin.orgs.services import place_create, role_grant_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalog(world: World) -> World:
    catalog_demo_load(world.district)
    return world


@pytest.fixture
def outsider(catalog: World) -> Person:
    """A clerk of a village in another district: the same role, the wrong place."""
    other = place_create(place=District(name="天涯区", code="460204"), by=None)
    village = place_create(place=Village(name="南岛村", district=other, code="460204101"), by=None)
    person = make_person("ty_clerk", "天涯经办")
    role_grant_create(person=person, role=Role.CLERK, village=village, by=None)
    return person


def _matter(world: World, name: str) -> Matter:
    return Matter.objects.get(district=world.district, name=name)


def test_anonymous_visitors_are_sent_to_login_for_the_catalog(catalog: World) -> None:
    for url in [
        reverse("matter_list"),
        reverse("matter_detail", args=[_matter(catalog, "建房审批").pk]),
    ]:
        response = client_for(None).get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_residents_may_not_read_the_staff_catalog(catalog: World) -> None:
    client = client_for(catalog.sn_resident)
    assert client.get(reverse("matter_list")).status_code == 403
    pk = _matter(catalog, "建房审批").pk
    assert client.get(reverse("matter_detail", args=[pk])).status_code == 403


def test_staff_of_another_district_see_nothing_of_this_catalog(
    catalog: World, outsider: Person
) -> None:
    client = client_for(outsider)
    body = client.get(reverse("matter_list")).content.decode()
    assert "建房审批" not in body and "没有找到" in body
    pk = _matter(catalog, "建房审批").pk
    assert client.get(reverse("matter_detail", args=[pk])).status_code == 404


def test_staff_in_the_district_see_the_catalog_grouped_by_category(catalog: World) -> None:
    w = catalog
    for person in [
        w.sn_clerk,
        w.sn_leader1,
        w.sn_custodian1,
        w.bl_secretary,
        w.inspector,
        w.officer,
    ]:
        body = client_for(person).get(reverse("matter_list")).content.decode()
        assert "共 128 项" in body
        headings = [
            body.index(f"<h2>{h}</h2>")
            for h in ["证明", "合同协议", "财务", "上报材料", "党务", "其他"]
        ]
        assert headings == sorted(headings)
        assert "冬季瓜菜种植补贴申请" in body and "区农业农村局" in body


def test_it_searches_matters_by_name(catalog: World) -> None:
    client = client_for(catalog.sn_clerk)
    body = client.get(reverse("matter_list"), {"q": "补贴"}).content.decode()
    assert "冬季瓜菜种植补贴申请" in body and "建房审批" not in body
    body = client.get(reverse("matter_list"), {"q": "没有这种事项"}).content.decode()
    assert "没有找到符合条件的事项" in body


def test_a_matter_page_shows_its_chain_steps(catalog: World) -> None:
    pk = _matter(catalog, "集体收入支出审批").pk
    body = client_for(catalog.sn_clerk).get(reverse("matter_detail", args=[pk])).content.decode()
    assert "联章联签" in body and "两名印章管理员联签用印" in body and "需 2 人分别确认" in body


def test_the_negative_list_is_public_and_says_where_to_go(catalog: World) -> None:
    response = client_for(None).get(reverse("negative_list"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "无犯罪记录证明" in body and "公安派出所" in body
    body = (
        client_for(None)
        .get(reverse("negative_list"), {"text": "我要开无犯罪证明"})
        .content.decode()
    )
    assert "“无犯罪记录证明”属于不再出具的证明" in body
    body = (
        client_for(None).get(reverse("negative_list"), {"text": "开一个居住证明"}).content.decode()
    )
    assert "不在负面清单中" in body


def test_the_api_lists_matters_for_staff_only(catalog: World, outsider: Person) -> None:
    url = "/api/catalog/matters"
    assert client_for(None).get(url).status_code == 401
    assert client_for(catalog.sn_resident).get(url).status_code == 403
    assert client_for(outsider).get(url).json() == []
    data = client_for(catalog.sn_clerk).get(url).json()
    assert len(data) == 128
    assert client_for(catalog.sn_clerk).get(url, {"q": "建房"}).json()[0]["name"] == "建房审批"


def test_the_api_gives_a_matter_with_its_chain_steps(catalog: World, outsider: Person) -> None:
    matter = _matter(catalog, "建房审批")
    url = f"/api/catalog/matters/{matter.pk}"
    data = client_for(catalog.sn_leader1).get(url).json()
    assert data["tier"] == "meeting_decides" and data["chain_version"] == 1
    assert [s["role"] for s in data["steps"]] == ["group_leader", "secretary", "custodian"]
    assert "村民（代表）会议决议" in data["required_attachments"]
    assert client_for(outsider).get(url).status_code == 404
    assert client_for(None).get(url).status_code == 401


def test_the_api_negative_list_and_check_are_public(catalog: World) -> None:
    items = client_for(None).get("/api/catalog/negative-list").json()
    assert len(items) == 20
    check = (
        client_for(None)
        .post(
            "/api/catalog/negative-list/check",
            data=json.dumps({"text": "麻烦开个证明证明我和我爸是父子关系"}),
            content_type="application/json",
        )
        .json()
    )
    assert check["matched"] is True and check["item"]["name"] == "亲属关系证明"
    check = (
        client_for(None)
        .post(
            "/api/catalog/negative-list/check",
            data=json.dumps({"text": "开一个居住证明", "district_id": catalog.district.pk}),
            content_type="application/json",
        )
        .json()
    )
    assert check == {"matched": False, "item": None}
    missing = client_for(None).post(
        "/api/catalog/negative-list/check",
        data=json.dumps({"text": "x", "district_id": 999999}),
        content_type="application/json",
    )
    assert missing.status_code == 404
