"""What a farmer types into 种植面积 is read or refused with a message, never a 500, and
no amount is shown beside a refusal."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client

from conftest import World, client_for
from zhiyin.portal.formdef import subsidy_amount, subsidy_formula
from zhiyin.portal.tests.conftest import Services

pytestmark = pytest.mark.django_db
BASE = "/portal/services/vegetable-subsidy/"


def _at_area_step(world: World) -> Client:
    client = client_for(world.sn_resident)
    client.post(BASE)
    client.post(f"{BASE}step/1/", {"phone": "13912345678", "group": "第一村民小组"})
    client.post(f"{BASE}step/2/", {"crop": "茄子"})
    client.post(f"{BASE}step/3/", {"crops": "1"})
    return client


@pytest.mark.parametrize(
    ("typed", "amount"),
    [("3亩", "600.00"), ("３.５", "700.00"), ("三亩", "600.00"), ("2.5 亩", "500.00")],
)
def test_it_reads_units_full_width_and_chinese_numerals(
    world: World, services: Services, typed: str, amount: str
) -> None:
    client = _at_area_step(world)
    answer = client.post(f"{BASE}step/4/", {"area": typed})
    assert answer.status_code == 302, answer.content.decode()
    assert f"{amount} 元" in client.get(f"{BASE}confirm/").content.decode()


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("3,5", "请用小数点"),
        ("一些", "请填写数字"),
        ("0.5", "不能小于 1"),
        ("-3", "不能小于 1"),
        ("9" * 40, "数字太长"),
        ("3.555", "最多保留两位小数"),
    ],
)
def test_it_refuses_with_a_message_and_shows_no_amount(
    world: World, services: Services, typed: str, message: str
) -> None:
    client = _at_area_step(world)
    answer = client.post(f"{BASE}step/4/", {"area": typed})
    text = answer.content.decode()
    assert answer.status_code == 200 and message in text
    assert " 元</output>" not in text


def test_each_crop_has_its_own_area_and_the_amount_is_worked_out(
    world: World, services: Services
) -> None:
    client = client_for(world.sn_resident)
    client.post(BASE)
    client.post(f"{BASE}step/1/", {"phone": "13912345678", "group": "第一村民小组"})
    client.post(f"{BASE}step/2/", {"crop": "茄子"})
    client.post(f"{BASE}step/3/", {"crops": "2"})
    page = client.get(f"{BASE}step/4/").content.decode()
    assert "第二茬种植面积" in page and "（选填）" in page
    assert client.post(f"{BASE}step/4/", {"area": "2.5", "area2": "1.5亩"}).status_code == 302
    confirm = client.get(f"{BASE}confirm/").content.decode()
    assert "2.5 亩 × 200 元 + 1.5 亩 × 300 元 = 950.00 元" in confirm


@pytest.mark.parametrize(
    ("answers", "amount", "formula"),
    [
        ({"crops": "1", "area": "2.5"}, "500.00", "2.5 亩 × 200 元 = 500.00 元"),
        ({"crops": "1", "area": "2.5", "area2": "9"}, "500.00", "2.5 亩 × 200 元 = 500.00 元"),
        ({"crops": "2", "area": "3.5"}, "1750.00", "3.5 亩 × 200 元 + 3.5 亩 × 300 元 = 1750.00 元"),
        ({"crops": "2", "area": "2", "area2": "0.5"}, "550.00", "2 亩 × 200 元 + 0.5 亩 × 300 元 = 550.00 元"),
        ({"crops": "2", "area": "0.5", "area2": "3"}, None, ""),
    ],
)  # fmt: skip
def test_the_per_crop_amount(
    services: Services, answers: dict[str, str], amount: str | None, formula: str
) -> None:
    subsidy = services.vegetable.subsidy
    expected = Decimal(amount) if amount is not None else None
    assert subsidy_amount(subsidy, answers) == expected
    assert subsidy_formula(subsidy, answers) == formula


def test_an_empty_choice_asks_to_choose_and_an_empty_text_to_fill_in() -> None:
    from zhiyin.core.errors import RuleViolation
    from zhiyin.portal.formdef import FieldDef, value_clean

    crop = FieldDef(key="crop", label="作物", type="choice", choices=("辣椒", "豇豆"))
    with pytest.raises(RuleViolation) as refused:
        value_clean(crop, "")
    assert refused.value.message == "请选择“作物”。"
    with pytest.raises(RuleViolation) as refused:
        value_clean(FieldDef(key="plot", label="地块", type="text"), " ")
    assert refused.value.message == "请填写“地块”。"
