"""The negative list catches what residents actually write, and nothing the village keeps."""

from __future__ import annotations

import pytest

from conftest import World
from zhiyin.catalog.demo import negative_list_demo_load
from zhiyin.catalog.demo_data import MATTERS
from zhiyin.catalog.matching import normalize
from zhiyin.catalog.models import NegativeListItem
from zhiyin.catalog.selectors import negative_list_check, negative_list_match
from zhiyin.catalog.services import negative_list_item_create
from zhiyin.core.errors import RuleViolation

pytestmark = pytest.mark.django_db


@pytest.fixture
def national(db: None) -> None:
    negative_list_demo_load()


@pytest.fixture
def loaded(world: World, national: None) -> World:
    return world


def test_it_normalizes_width_spaces_and_punctuation() -> None:
    assert normalize("ＷＯ 要开　“亲属关系”证明！") == "wo要开亲属关系证明"


@pytest.mark.parametrize(
    ("text", "item"),
    [
        ("麻烦开个证明证明我和我爸是父子关系", "亲属关系证明"),
        ("我要开无犯罪证明", "无犯罪记录证明"),
        ("亲属关系证明", "亲属关系证明"),
        ("请开具 亲属关系 的证明。", "亲属关系证明"),
        ("证明一下婚姻状况", "婚姻状况证明"),
        ("帮我开个单身证明", "婚姻状况证明"),
        ("开具无犯罪的证明", "无犯罪记录证明"),
        ("开一份养犬的证明", "居民养犬证明"),
        ("我要开残疾状况的证明", "残疾状况证明"),
        ("老人去世了，开个死亡证明", "死亡证明"),
        ("身份证丢了，要开遗失证明", "证件遗失证明"),
        ("公司注册需要住所证明", "市场主体住所证明"),
        ("ＮＯ．１：开　出生证明", "出生证明"),
        ("社区戒毒社区康复人员情况证明（表现证明）", "社区戒毒社区康复人员情况证明（表现证明）"),
    ],
)
def test_it_catches_negative_list_demands_within_a_sentence(
    national: None, text: str, item: str
) -> None:
    found = negative_list_match(text)
    assert found is not None and found.name == item


@pytest.mark.parametrize(
    "text",
    [
        "开一个居住证明",
        "开居（租）住证明",
        "经营场所证明",
        "贫困学生证明",
        "养老金手续",
        "我1980年出生，想开居住证明",
        "我家老人还健在，要办养老金手续",
        "出生地是水南村，开居（租）住证明",
        "医保卡丢了，开医保卡补办证明",
        "外出务工证明",
        "",
        "！！！",
    ],
)
def test_it_leaves_kept_matters_alone(national: None, text: str) -> None:
    assert negative_list_match(text) is None


def test_no_demo_matter_matches_the_negative_list(national: None) -> None:
    assert len(MATTERS) == 128
    hits = [row[0] for row in MATTERS if negative_list_match(row[0])]
    assert hits == []


def test_it_refuses_with_the_reason_and_where_to_go_instead(loaded: World) -> None:
    with pytest.raises(RuleViolation) as refused:
        negative_list_check("我要开无犯罪证明", loaded.district)
    assert "无犯罪记录证明" in refused.value.message
    assert "公安派出所" in refused.value.message
    negative_list_check("开一个居住证明", loaded.district)


def test_a_district_item_applies_only_in_its_district(loaded: World) -> None:
    negative_list_item_create(
        item=NegativeListItem(
            district=loaded.district,
            name="转学证明",
            aliases=["转校证明"],
            reason="转学由学校之间办理。",
            where_instead="到转入学校申请。",
        ),
        by=loaded.district_admin,
    )
    found = negative_list_match("孩子要转校证明", district=loaded.district)
    assert found is not None and found.name == "转学证明"
    assert negative_list_match("孩子要转校证明") is None


def test_only_district_admins_add_items_and_nobody_edits_the_national_list(
    loaded: World,
) -> None:
    item = NegativeListItem(
        district=loaded.district, name="缴费票据遗失证明", reason="理由", where_instead="去处"
    )
    with pytest.raises(RuleViolation, match="系统管理员"):
        negative_list_item_create(item=item, by=loaded.sn_admin)
    with pytest.raises(RuleViolation, match="全国统一清单"):
        negative_list_item_create(
            item=NegativeListItem(name="健康证明", reason="理由", where_instead="去处"),
            by=loaded.district_admin,
        )
    assert not NegativeListItem.objects.filter(name__in=["缴费票据遗失证明", "健康证明"]).exists()


def test_it_refuses_an_item_without_reason_or_where_to_go(loaded: World) -> None:
    with pytest.raises(RuleViolation, match="理由"):
        negative_list_item_create(
            item=NegativeListItem(district=loaded.district, name="X证明", where_instead="去处"),
            by=loaded.district_admin,
        )
    with pytest.raises(RuleViolation, match="已有"):
        negative_list_item_create(
            item=NegativeListItem(name="出生证明", reason="理由", where_instead="去处"), by=None
        )
