"""The catalog in the admin: district admins edit through the services, village admins
only look, chains are revised into new versions, the national list stays read-only."""

from __future__ import annotations

import pytest
from django.urls import reverse

from conftest import World, client_for
from zhiyin.catalog.demo import CHAIN_DIRECT, CHAIN_JOINT, catalog_demo_load
from zhiyin.catalog.models import ApprovalChain, Matter, NegativeListItem

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalog(world: World) -> World:
    catalog_demo_load(world.district)
    return world


def _formset(steps: list[dict[str, object]]) -> dict[str, object]:
    data: dict[str, object] = {
        "form-TOTAL_FORMS": str(len(steps)),
        "form-INITIAL_FORMS": "0",
        "form-MIN_NUM_FORMS": "0",
        "form-MAX_NUM_FORMS": "10",
    }
    for i, step in enumerate(steps):
        for key, value in step.items():
            data[f"form-{i}-{key}"] = value
    return data


SECRETARY = {
    "name": "书记审批",
    "role": "secretary",
    "scope_level": "village",
    "time_limit": 4,
    "time_unit": "hours",
    "approvers_needed": 1,
}
CUSTODIAN = {
    "name": "管理员用印",
    "role": "custodian",
    "scope_level": "village",
    "time_limit": 2,
    "time_unit": "hours",
    "approvers_needed": 1,
}


def test_people_without_an_admin_grant_do_not_reach_the_catalog_admin(catalog: World) -> None:
    for person in [None, catalog.sn_clerk, catalog.inspector]:
        response = client_for(person).get(reverse("admin:catalog_matter_changelist"))
        assert response.status_code == 302


def test_a_village_admin_views_the_catalog_but_changes_nothing(catalog: World) -> None:
    client = client_for(catalog.sn_admin)
    body = client.get(reverse("admin:catalog_matter_changelist")).content.decode()
    assert "建房审批" in body
    matter = Matter.objects.get(name="建房审批")
    response = client.post(
        reverse("admin:catalog_matter_change", args=[matter.pk]), {"name": "改名"}
    )
    assert response.status_code == 403
    assert client.get(reverse("admin:catalog_matter_add")).status_code == 403
    chain = ApprovalChain.objects.get(name=CHAIN_JOINT)
    revise = reverse("admin:catalog_approvalchain_revise", args=[chain.pk])
    assert client.post(revise, _formset([SECRETARY, CUSTODIAN])).status_code == 403
    assert ApprovalChain.objects.filter(name=CHAIN_JOINT).count() == 1


def test_a_district_admin_edits_a_matter_through_the_service(catalog: World) -> None:
    matter = Matter.objects.get(name="建房审批")
    client = client_for(catalog.district_admin)
    page = client.get(reverse("admin:catalog_matter_change", args=[matter.pk])).content.decode()
    assert "村民小组长审核" in page  # the chain's steps are shown
    data = {
        "code": matter.code,
        "name": "农村村民建房审批",
        "category": matter.category,
        "tier": matter.tier,
        "legal_basis": matter.legal_basis,
        "seal_kinds": matter.seal_kinds,
        "owner_levels": matter.owner_levels,
        "required_attachments": "\n".join(matter.required_attachments),
        "electronic_allowed": "",
        "target_bureau": "",
        "chain": matter.chain_id,
        "is_active": "on",
    }
    response = client.post(reverse("admin:catalog_matter_change", args=[matter.pk]), data)
    assert response.status_code == 302
    matter.refresh_from_db()
    assert matter.name == "农村村民建房审批"
    refused = client.post(
        reverse("admin:catalog_matter_change", args=[matter.pk]), {**data, "name": "开具死亡证明"}
    )
    assert refused.status_code == 200 and "负面清单" in refused.content.decode()
    matter.refresh_from_db()
    assert matter.name == "农村村民建房审批"


def test_chains_are_read_only_and_revised_into_a_new_version(catalog: World) -> None:
    chain = ApprovalChain.objects.get(name=CHAIN_DIRECT)
    client = client_for(catalog.district_admin)
    change = reverse("admin:catalog_approvalchain_change", args=[chain.pk])
    assert client.post(change, {"name": "改"}).status_code == 403
    revise = reverse("admin:catalog_approvalchain_revise", args=[chain.pk])
    page = client.get(revise).content.decode()
    assert "印章管理员核实用印" in page
    refused = client.post(revise, _formset([SECRETARY]))
    assert refused.status_code == 200 and "最后一个环节" in refused.content.decode()
    response = client.post(revise, _formset([SECRETARY, CUSTODIAN]))
    assert response.status_code == 302
    new = ApprovalChain.objects.get(name=CHAIN_DIRECT, version=2)
    assert not Matter.objects.filter(chain=chain).exists()
    assert Matter.objects.filter(chain=new).exists()


def test_the_national_list_is_read_only_and_a_district_adds_its_own(catalog: World) -> None:
    client = client_for(catalog.district_admin)
    item = NegativeListItem.objects.get(name="出生证明")
    change = reverse("admin:catalog_negativelistitem_change", args=[item.pk])
    assert client.post(change, {"name": "x"}).status_code == 403
    response = client.post(
        reverse("admin:catalog_negativelistitem_add"),
        {
            "district": catalog.district.pk,
            "name": "转学证明",
            "aliases": "转校证明\n转学籍证明",
            "reason": "转学由学校之间办理。",
            "where_instead": "到转入学校申请。",
            "source": "区清单",
        },
    )
    assert response.status_code == 302
    added = NegativeListItem.objects.get(name="转学证明")
    assert added.aliases == ["转校证明", "转学籍证明"]
    village_admin = client_for(catalog.sn_admin)
    own = reverse("admin:catalog_negativelistitem_change", args=[added.pk])
    assert village_admin.get(own).status_code == 200
    assert village_admin.post(own, {"name": "y"}).status_code == 403


def test_a_district_admin_adds_residents_words_for_a_national_item(catalog: World) -> None:
    from zhiyin.catalog.demo import negative_list_demo_load
    from zhiyin.catalog.models import NegativeListAlias
    from zhiyin.catalog.selectors import negative_list_match

    if not NegativeListItem.objects.exists():
        negative_list_demo_load()
    item = NegativeListItem.objects.get(name="健在证明", district=None)
    url = reverse("admin:catalog_negativelistalias_add")
    client = client_for(catalog.district_admin)
    answer = client.post(url, {"district": catalog.district.pk, "item": item.pk, "phrase": "证明"})
    assert answer.status_code == 200 and "太笼统" in answer.content.decode()
    answer = client.post(
        url, {"district": catalog.district.pk, "item": item.pk, "phrase": "阿公+还硬朗"}
    )
    assert answer.status_code == 302
    assert NegativeListAlias.objects.get().phrase == "阿公+还硬朗"
    found = negative_list_match("证明阿公还硬朗", district=catalog.district)
    assert found == item
    assert client_for(catalog.sn_admin).get(url).status_code == 403
    listing = client_for(catalog.sn_admin).get(
        reverse("admin:catalog_negativelistalias_changelist")
    )
    assert listing.status_code == 200 and "阿公+还硬朗" in listing.content.decode()
