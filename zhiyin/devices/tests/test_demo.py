"""The demo district gets one enrolled terminal per pilot village and a few physical
stampings made through the simulator, with photos; loading twice adds nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from zhiyin.devices import demo
from zhiyin.devices.models import DevicePhoto, SealDevice, StampEvent

pytestmark = pytest.mark.django_db


def test_the_demo_has_a_terminal_per_pilot_village_with_stampings(
    settings: Any, tmp_path: Path
) -> None:
    from zhiyin.catalog.demo import catalog_demo_load
    from zhiyin.orgs.demo import demo_load
    from zhiyin.orgs.models import District
    from zhiyin.seals.demo import seals_demo_load

    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.BASE_DIR = tmp_path
    demo_load(residents_per_village=2)
    seals_demo_load(District.objects.get())
    catalog_demo_load(District.objects.get())
    assert demo.devices_demo_load() == 2 * demo.STAMPINGS_PER_VILLAGE
    devices = list(SealDevice.objects.order_by("village__name"))
    assert {d.village.name for d in devices} == set(demo.PILOT_VILLAGES)
    assert all(d.is_enrolled and d.slots.count() == 3 for d in devices)
    stamps = list(StampEvent.objects.all())
    assert stamps and {s.status for s in stamps} == {"authorized"}
    assert DevicePhoto.objects.count() == len(stamps)
    assert {s.request.status for s in stamps if s.request} == {"completed"}
    assert sorted(p.name for p in (tmp_path / "var" / "demo-devices").glob("*.json")) == sorted(
        f"{d.serial}.json" for d in devices
    )
    assert demo.devices_demo_load() == 0
