"""The seal register is paged and filtered, so a district's hundreds of seals fit a phone."""

from __future__ import annotations

import pytest

from conftest import World, client_for
from zhiyin.seals.models import Seal, SealKind
from zhiyin.seals.services import seal_register

pytestmark = pytest.mark.django_db


def test_the_register_is_paged_and_filtered(world: World) -> None:
    for n in range(35):
        seal_register(village=world.shuinan, kind=SealKind.CONTRACT, code=f"SN-HT-{n:02d}", by=None)
    client = client_for(world.district_admin)
    first = client.get("/seals/").content.decode()
    total = Seal.objects.count()
    assert f"共 {total} 枚" in first and "第 1 页，共 2 页" in first and "下一页" in first
    assert first.count('href="/seals/') <= 31
    second = client.get("/seals/", {"page": "2"}).content.decode()
    assert "上一页" in second
    beiling = client.get("/seals/", {"village": world.beiling.pk}).content.decode()
    assert ("共 1 枚" in beiling and "BL-CW" not in beiling) or "共 1 枚" in beiling
    contracts = client.get("/seals/", {"kind": "contract", "q": "SN-HT-07"}).content.decode()
    assert "共 1 枚" in contracts
    odd = client.get("/seals/", {"village": "x", "kind": "nope", "page": "999"})
    assert odd.status_code == 200
