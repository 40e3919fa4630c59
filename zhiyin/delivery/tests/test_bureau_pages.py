"""The bureau officer reads a delivery as labelled fields in local time, signs for it
once and sees it signed; the inbox says what really happened to each delivery."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction
from django.urls import reverse

from conftest import World, client_for
from zhiyin.delivery.models import BureauEndpoint, Delivery, DeliveryStatus
from zhiyin.delivery.payloads import local_time_text, payload_fields
from zhiyin.delivery.receiver import Receiver
from zhiyin.delivery.services import delivery_document_sealed

pytestmark = pytest.mark.django_db

PAYLOAD: dict[str, Any] = {
    "request": {
        "number": "水南-2026-000007",
        "matter": "冬季瓜菜种植补贴申请",
        "village": "水南村",
        "purpose": "冬季瓜菜种植补贴（阿梅，补贴 1150.00 元）",
        "on_behalf_of": "阿梅",
        "amount": "1150.00",
        "completed_at": "2026-11-26T02:30:00+00:00",
    },
    "sealed_document": {
        "number": "水南-2026-000007-1",
        "organization": "水南村村民委员会",
        "sealed_at": "2026-11-26T02:30:00+00:00",
        "verify_url": "https://zhiyin.example.cn/verify/c/abc/",
    },
}


def delivered(world: World, document: tuple[str, str], source_id: int = 7) -> Delivery:
    with transaction.atomic():
        return delivery_document_sealed(
            bureau=world.bureau,
            event_payload=PAYLOAD,
            document_path=document[0],
            document_sha256=document[1],
            source_type="approvals.sealrequest",
            source_id=source_id,
            title=f"水南-2026-{source_id:06d} 冬季瓜菜种植补贴申请",
            filename="sealed.pdf",
        )


def test_it_shows_labelled_fields_in_local_time_and_folds_the_rest(
    world: World, document: tuple[str, str]
) -> None:
    delivery = delivered(world, document)
    html = (
        client_for(world.officer)
        .get(reverse("bureau_delivery_detail", args=[delivery.pk]))
        .content.decode()
    )
    for label, value in [
        ("申请人", "阿梅"),
        ("村（社区）", "水南村"),
        ("事项", "冬季瓜菜种植补贴申请"),
        ("金额", "1150.00 元"),
        ("盖章单位", "水南村村民委员会"),
        ("盖章时间", "2026-11-26 10:30"),  # 02:30 UTC is 10:30 in Asia/Shanghai
    ]:
        assert f"<th>{label}</th><td>{value}</td>" in html
    assert "T02:30:00" not in html.split('<details class="technical">')[0], (
        "no raw timestamp above the fold"
    )
    assert delivery.document_sha256 not in html.split('<details class="technical">')[0]
    assert "{'request'" not in html  # never a Python dict
    assert delivery.document_sha256 in html.split('<details class="technical">')[1]


def test_after_signing_it_says_signed_and_offers_no_button(
    world: World, document: tuple[str, str]
) -> None:
    delivery = delivered(world, document)
    officer = client_for(world.officer)
    url = reverse("bureau_delivery_detail", args=[delivery.pk])
    assert ">签收</button>" in officer.get(url).content.decode()
    page = officer.post(
        reverse("bureau_delivery_acknowledge", args=[delivery.pk]), follow=True
    ).content.decode()
    assert "已签收（" in page and ">签收</button>" not in page
    inbox = officer.get(reverse("bureau_inbox")).content.decode()
    assert "已签收" in inbox and "推送中" not in inbox


def test_a_bureau_without_a_system_waits_in_the_platform_not_pushing(
    world: World, document: tuple[str, str]
) -> None:
    delivered(world, document)
    inbox = client_for(world.officer).get(reverse("bureau_inbox")).content.decode()
    assert "待签收（仅在平台签收）" in inbox
    assert "推送中" not in inbox and 'class="badge warn"' not in inbox


def test_a_delivered_document_reads_delivered_and_a_pending_one_pushing(
    world: World, document: tuple[str, str], endpoint: BureauEndpoint, receiver: Receiver
) -> None:
    first = delivered(world, document, source_id=7)
    delivered(world, document, source_id=8)
    Delivery.objects.filter(pk=first.pk).update(status=DeliveryStatus.DELIVERED)
    inbox = client_for(world.officer).get(reverse("bureau_inbox")).content.decode()
    assert "已送达，待签收" in inbox and "正在推送到部门系统" in inbox
    assert 'class="badge warn"' not in inbox
    Delivery.objects.filter(pk=first.pk).update(status=DeliveryStatus.FAILED)
    inbox = client_for(world.officer).get(reverse("bureau_inbox")).content.decode()
    assert "推送失败，请在平台签收" in inbox


def test_payload_fields_skip_what_is_missing_and_keep_odd_text() -> None:
    fields = payload_fields({"request": {"village": "水南村", "matter": ["not", "text"]}})
    assert [(f.label, f.value) for f in fields] == [("村（社区）", "水南村")]
    assert local_time_text("昨天") == "昨天"
    assert local_time_text("2026-11-26T16:30:00") == "2026-11-27 00:30"
