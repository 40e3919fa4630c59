"""Fixtures for the portal tests: the three demo services on a small chain (group leader
→ secretary), the register filled for the world's residents, the national negative
list, and real photo/PDF bytes."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from functools import cache
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from conftest import World
from zhiyin.catalog.demo import negative_list_demo_load
from zhiyin.catalog.models import Matter, MatterCategory, MatterTier
from zhiyin.portal.demo import (
    FILM,
    RESIDENCE,
    VEGETABLE,
    portal_services_load,
    register_entries_load,
)
from zhiyin.portal.models import Service
from zhiyin.tests.factories import PORTAL_LEADER_THEN_SECRETARY, chain_make


@pytest.fixture(autouse=True)
def _media_in_tmp(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    # Inside the winter-vegetable season, whatever month the suite runs in; the season's
    # own edges are tested with explicit days.
    settings.PORTAL_SERVICE_DATE = dt.date(2026, 11, 26)


@dataclass
class Services:
    vegetable: Service
    film: Service
    residence: Service


@pytest.fixture
def services(world: World) -> Services:
    district = world.district
    chain, _ = chain_make(district, "小组长-书记", PORTAL_LEADER_THEN_SECRETARY)
    for code, name, category in [
        ("SB-001", "冬季瓜菜种植补贴申请", MatterCategory.REPORT),
        ("SB-002", "加厚地膜补助申请", MatterCategory.REPORT),
        ("ZM-001", "居（租）住证明", MatterCategory.CERTIFICATE),
    ]:
        Matter.objects.create(
            district=district,
            code=code,
            name=name,
            category=category,
            tier=MatterTier.DIRECTOR_SIGNS,
            legal_basis="区实施方案",
            seal_kinds=["committee", "group"],
            owner_levels=["village", "group"],
            required_attachments=["佐证材料"]
            if category == MatterCategory.REPORT
            else ["申请人身份证", "房屋租赁合同或房屋权属材料"],
            target_bureau=world.bureau,
            chain=chain,
        )
    negative_list_demo_load()
    assert portal_services_load(district) == 3
    register_entries_load(district)
    all_year = {"season_start": "01-01", "season_end": "12-31"}
    Service.objects.filter(code=VEGETABLE).update(eligibility=all_year)
    return Services(
        vegetable=Service.objects.get(code=VEGETABLE),
        film=Service.objects.get(code=FILM),
        residence=Service.objects.get(code=RESIDENCE),
    )


@cache
def jpeg_bytes(width: int = 40, height: int = 30) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (30, 120, 40)).save(buffer, format="JPEG", quality=95)
    return buffer.getvalue()


def photo(name: str = "地里.jpg", **size: int) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, jpeg_bytes(**size), content_type="image/jpeg")


VEGETABLE_ANSWERS = {"crop": "豇豆", "crops": "2", "area": "3.5", "plot": "南坡"}
