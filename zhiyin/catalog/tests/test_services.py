"""Catalog writes: chains are versioned, matters obey their rules, seals fit the matter."""

from __future__ import annotations

import json

import pytest

from conftest import World
from zhiyin.audit.models import AuditEvent
from zhiyin.catalog.demo import (
    CHAIN_DIRECTOR,
    CHAIN_JOINT,
    CHAINS,
    catalog_demo_load,
    matter_codes,
)
from zhiyin.catalog.models import ApprovalChain, Matter, MatterTier, NegativeListItem
from zhiyin.catalog.selectors import matter_get_for, matters_for, matters_for_seal
from zhiyin.catalog.services import (
    StepSpec,
    approval_chain_create,
    matter_allows_seal,
    matter_chain_revise,
    matter_create,
    matter_update,
)
from zhiyin.core.errors import RuleViolation
from zhiyin.orgs.models import Bureau, District, Role
from zhiyin.orgs.selectors import access_for
from zhiyin.orgs.services import place_create
from zhiyin.seals.models import SealKind
from zhiyin.seals.services import seal_register, seal_suspend

pytestmark = pytest.mark.django_db

STEPS = [
    StepSpec("书记审批", Role.SECRETARY, "village", 4),
    StepSpec("管理员用印", Role.CUSTODIAN, "village", 2),
]


@pytest.fixture
def catalog(world: World) -> World:
    for name in ["区民政局", "区自然资源和规划局"]:
        place_create(place=Bureau(district=world.district, name=name), by=None)
    catalog_demo_load(world.district)
    return world


@pytest.fixture
def joint_chain(world: World) -> ApprovalChain:
    """One chain, without the 128 matters: enough for the chain rules."""
    return approval_chain_create(
        district=world.district, name=CHAIN_JOINT, steps=CHAINS[CHAIN_JOINT], by=None
    )


def _matter(world: World, name: str) -> Matter:
    return Matter.objects.get(district=world.district, name=name)


def test_the_demo_catalog_has_128_matters_20_items_and_four_chains(catalog: World) -> None:
    assert Matter.objects.filter(district=catalog.district).count() == 128
    assert NegativeListItem.objects.filter(district__isnull=True).count() == 20
    assert ApprovalChain.objects.filter(district=catalog.district).count() == 4
    assert len(set(matter_codes())) == 128
    assert set(Matter.objects.values_list("tier", flat=True)) == set(MatterTier.values)
    assert all(m.legal_basis for m in Matter.objects.all())


def test_loading_the_demo_twice_changes_nothing(catalog: World) -> None:
    events = AuditEvent.objects.count()
    assert catalog_demo_load(catalog.district) == {"negative_list": 0, "chains": 0, "matters": 0}
    assert AuditEvent.objects.count() == events


def test_demo_matters_name_bureaus_that_exist_and_leave_missing_ones_empty(
    catalog: World,
) -> None:
    assert _matter(catalog, "冬季瓜菜种植补贴申请").target_bureau == catalog.bureau
    assert _matter(catalog, "加厚地膜补助申请").target_bureau == catalog.bureau
    assert _matter(catalog, "权属来源证明").target_bureau is not None
    assert _matter(catalog, "养老金手续").target_bureau is None  # 人社局 not in this district


def test_meeting_matters_require_the_resolution_and_joint_chains_two_custodians(
    catalog: World,
) -> None:
    contract = _matter(catalog, "集体土地承包合同")
    assert contract.tier == MatterTier.MEETING_DECIDES
    assert "村民（代表）会议决议" in contract.required_attachments
    joint = ApprovalChain.objects.get(name=CHAIN_JOINT)
    last = joint.steps.order_by("position").last()
    assert last is not None and last.role == Role.CUSTODIAN and last.approvers_needed == 2
    first = ApprovalChain.objects.get(name=CHAIN_DIRECTOR).steps.get(position=1)
    assert (first.role, first.scope_level, first.time_limit) == (Role.GROUP_LEADER, "group", 8)


def test_revising_a_chain_makes_a_new_version_and_moves_its_matters(catalog: World) -> None:
    old = ApprovalChain.objects.get(name=CHAIN_JOINT)
    on_old = set(Matter.objects.filter(chain=old).values_list("pk", flat=True))
    new = matter_chain_revise(chain=old, steps=STEPS, by=catalog.district_admin)
    assert (new.name, new.version) == (old.name, 2)
    assert set(Matter.objects.filter(chain=new).values_list("pk", flat=True)) == on_old
    assert old.steps.count() == 2 and old.steps.get(position=2).approvers_needed == 2
    assert [s.time_limit for s in new.steps.order_by("position")] == [4, 2]
    event = AuditEvent.objects.get(action="approval_chain.revise")
    assert json.loads(event.before)["version"] == 1


def test_revising_one_matters_shared_chain_forks_it_for_that_matter(catalog: World) -> None:
    matter = _matter(catalog, "收支明细公开")
    shared = matter.chain
    new = matter_chain_revise(matter=matter, steps=STEPS, by=catalog.district_admin)
    matter.refresh_from_db()
    assert matter.chain == new and new.name == f"{matter.code} 专用审批链"
    assert Matter.objects.filter(chain=shared).exists()
    again = matter_chain_revise(matter=matter, steps=STEPS[1:], by=catalog.district_admin)
    assert (again.name, again.version) == (new.name, 2)


@pytest.mark.parametrize(
    ("steps", "message"),
    [
        ([], "至少"),
        ([StepSpec("书记", Role.SECRETARY, "village", 8)], "最后一个环节"),
        ([StepSpec("组长", Role.GROUP_LEADER, "village", 8), *STEPS], "层级"),
        ([StepSpec("村民", Role.RESIDENT, "group", 8), *STEPS], "角色"),
        ([StepSpec("书记", Role.SECRETARY, "village", 0), *STEPS], "时限"),
        ([StepSpec("", Role.SECRETARY, "village", 8), *STEPS], "名称"),
        ([StepSpec("管理员", Role.CUSTODIAN, "village", 8, "weeks")], "单位"),
        ([StepSpec("管理员", Role.CUSTODIAN, "village", 8, approvers_needed=0)], "人数"),
    ],
)
def test_it_refuses_a_broken_chain_and_saves_nothing(
    world: World, joint_chain: ApprovalChain, steps: list[StepSpec], message: str
) -> None:
    with pytest.raises(RuleViolation, match=message):
        matter_chain_revise(chain=joint_chain, steps=steps, by=world.district_admin)
    assert ApprovalChain.objects.filter(district=world.district).count() == 1


def test_only_the_district_admin_revises_chains(world: World, joint_chain: ApprovalChain) -> None:
    for person in [world.sn_admin, world.sn_secretary, world.inspector]:
        with pytest.raises(RuleViolation, match="本区的系统管理员"):
            matter_chain_revise(chain=joint_chain, steps=STEPS, by=person)
    with pytest.raises(RuleViolation, match="二选一"):
        matter_chain_revise(steps=STEPS, by=world.district_admin)
    assert ApprovalChain.objects.filter(district=world.district).count() == 1


def test_it_refuses_a_matter_on_the_negative_list_or_with_bad_fields(catalog: World) -> None:
    chain = ApprovalChain.objects.get(name=CHAIN_JOINT)

    def build(**changes: object) -> Matter:
        fields: dict[str, object] = {
            "district": catalog.district,
            "code": "ZM-999",
            "name": "测试事项",
            "category": "certificate",
            "tier": MatterTier.DIRECTOR_SIGNS,
            "legal_basis": "依据",
            "seal_kinds": ["committee"],
            "owner_levels": ["village"],
            "chain": chain,
        }
        fields.update(changes)
        return Matter(**fields)

    cases: list[tuple[dict[str, object], str]] = [
        ({"name": "无犯罪记录证明"}, "负面清单"),
        ({"code": "ZM-001"}, "已有编码"),
        ({"seal_kinds": ["crown"]}, "印章种类"),
        ({"seal_kinds": []}, "印章种类"),
        ({"owner_levels": ["county"]}, "印章所属"),
        ({"legal_basis": " "}, "依据"),
        ({"category": "x"}, "类别"),
        ({"required_attachments": "身份证"}, "文字列表"),
    ]
    for changes, message in cases:
        with pytest.raises(RuleViolation, match=message):
            matter_create(matter=build(**changes), by=catalog.district_admin)
    other = place_create(place=District(name="天涯区", code="460204"), by=None)
    with pytest.raises(RuleViolation, match="本区"):
        matter_create(matter=build(district=other), by=None)
    assert not Matter.objects.filter(code="ZM-999").exists()
    made = matter_create(matter=build(), by=catalog.district_admin)
    made.name = "测试事项（改）"
    matter_update(matter=made, by=catalog.district_admin)
    assert AuditEvent.objects.filter(action="matter.update", target_id=str(made.pk)).exists()


def test_it_checks_the_seal_kind_owner_and_status_for_a_matter(catalog: World) -> None:
    w = catalog
    contract = _matter(w, "集体土地承包合同")  # contract or collective seal only
    with pytest.raises(RuleViolation, match="只能使用"):
        matter_allows_seal(contract, w.sn_committee_seal)
    residence = _matter(w, "居（租）住证明")
    matter_allows_seal(residence, w.sn_committee_seal)
    with pytest.raises(RuleViolation, match="只能使用"):
        matter_allows_seal(residence, w.sn_group1_seal)
    group_land = _matter(w, "小组集体土地发包合同")
    matter_allows_seal(group_land, w.sn_group1_seal)
    village_finance = seal_register(
        village=w.shuinan, kind=SealKind.FINANCE, code="SN-CW1", by=None
    )
    with pytest.raises(RuleViolation, match="集体经济组织的印章"):
        matter_allows_seal(_matter(w, "集体资产清查报告"), village_finance)
    seal_suspend(seal=w.sn_committee_seal, reason="送修", by=None)
    w.sn_committee_seal.refresh_from_db()
    with pytest.raises(RuleViolation, match="不在用"):
        matter_allows_seal(residence, w.sn_committee_seal)


def test_matters_are_read_by_staff_of_the_district_only(catalog: World) -> None:
    w = catalog
    for person in [w.sn_clerk, w.sn_leader1, w.bl_secretary, w.inspector, w.officer]:
        assert matters_for(access=access_for(person)).count() == 128
    for nobody in [w.sn_resident, None]:
        assert not matters_for(access=access_for(nobody)).exists()
    other = place_create(place=District(name="天涯区", code="460204"), by=None)
    assert not matters_for(access=access_for(w.sn_clerk), district=other).exists()
    pk = _matter(w, "建房审批").pk
    assert matter_get_for(access=access_for(w.sn_clerk), pk=pk).name == "建房审批"
    from django.http import Http404

    with pytest.raises(Http404):
        matter_get_for(access=access_for(w.sn_resident), pk=pk)


def test_matters_for_a_seal_fit_its_kind_and_owner(catalog: World) -> None:
    names = {
        m.name
        for m in matters_for_seal(access=access_for(catalog.sn_clerk), seal=catalog.sn_group1_seal)
    }
    assert "小组集体土地发包合同" in names and "集体土地承包合同" not in names
