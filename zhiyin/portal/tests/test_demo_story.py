"""The seed story runs end to end on a freshly loaded demo and ends with the receipt."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from zhiyin.delivery.models import DeliveryReceipt, DeliveryStatus


@pytest.mark.django_db(transaction=True)
def test_it_plays_the_seed_story_and_ends_with_the_receipt() -> None:
    out = io.StringIO()
    call_command("demo_story", stdout=out)
    text = out.getvalue()
    assert "村民提交“冬季瓜菜种植补贴”申请" in text
    assert "签订电子印章" in text
    assert "签名已验证" in text
    assert text.rstrip().splitlines()[-1].count("已送达") == 1
    receipt = DeliveryReceipt.objects.get()
    assert receipt.delivery.status == DeliveryStatus.DELIVERED
