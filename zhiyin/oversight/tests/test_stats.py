"""The statistics are right: counts, on-time rates and medians from SQL, on SQLite and
PostgreSQL alike, for the villages the person oversees only."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from conftest import World
from zhiyin.approvals.models import ApprovalStep, RequestStatus, SealRequest
from zhiyin.approvals.services import seal_request_create
from zhiyin.approvals.tests.conftest import Catalog, pdf_upload, request_make
from zhiyin.orgs.models import Village
from zhiyin.oversight.stats import dashboard_build

pytestmark = pytest.mark.django_db


def _steps(request: SealRequest, name: str, hours: list[int], late: list[bool]) -> None:
    now = timezone.now() - dt.timedelta(days=1)
    chain_step = request.chain.steps.first()
    assert chain_step is not None
    for n, (h, is_late) in enumerate(zip(hours, late, strict=True), start=1):
        decided = now + dt.timedelta(minutes=n)
        ApprovalStep.objects.create(
            request=request, chain_step=chain_step, round=n, position=1, name=name,
            role="secretary", scope_level="village", district=request.village.district,
            village=request.village, status="done", activated_at=now, decision="approve",
            decided_at=decided, duration=dt.timedelta(hours=h),
            deadline=decided - dt.timedelta(hours=1) if is_late else decided + dt.timedelta(hours=1),
        )  # fmt: skip


def test_on_time_rates_and_medians_per_step_and_village(world: World, catalog: Catalog) -> None:
    sn = request_make(world, catalog.matter)
    _steps(sn, "书记审批", [1, 5, 2], [False, True, False])
    bl = seal_request_create(
        by=world.bl_clerk, village=world.beiling, matter=catalog.matter,
        seal=world.bl_committee_seal, stamp_count=1, place_of_use="村委会", purpose="合同",
        group=world.bl_group1, documents=[pdf_upload()],
    )  # fmt: skip
    _steps(bl, "书记审批", [4, 3], [True, True])
    SealRequest.objects.filter(pk=sn.pk).update(
        status=RequestStatus.COMPLETED, completed_at=timezone.now()
    )
    today = timezone.localdate()
    board = dashboard_build(
        villages=Village.objects.all(), start=today - dt.timedelta(days=30), end=today
    )
    (step,) = board.steps
    assert (step.label, step.decided, step.on_time) == ("书记审批", 5, 2)
    assert step.on_time_rate == 40.0
    assert step.median == dt.timedelta(hours=3)  # 1 2 3 4 5
    by_village = {f.label: f for f in board.step_villages}
    assert by_village["水南村"].median == dt.timedelta(hours=2)  # 1 2 5
    assert by_village["北岭村"].median == dt.timedelta(hours=3)  # lower middle of 3 4
    assert by_village["北岭村"].on_time_rate == 0.0
    assert board.uses == [
        {"village": "水南村", "month": today.strftime("%Y-%m"), "uses": 1, "stamps": 2}
    ]
    only_sn = dashboard_build(
        villages=Village.objects.filter(pk=world.shuinan.pk),
        start=today - dt.timedelta(days=30),
        end=today,
    )
    assert [f.label for f in only_sn.step_villages] == ["水南村"]
    assert only_sn.steps[0].decided == 3
