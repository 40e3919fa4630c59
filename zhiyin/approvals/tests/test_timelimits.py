"""Step time limits on the official calendar, durations, and the overdue sweep that
tells each breach exactly once."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from conftest import World
from zhiyin.approvals.models import ApprovalStep, SealRequest, StepStatus
from zhiyin.approvals.services import seal_request_approve, seal_request_submit
from zhiyin.approvals.tasks import overdue_sweep
from zhiyin.approvals.tests.conftest import Catalog, request_make, run_concurrently, view_documents
from zhiyin.approvals.timelimits import step_deadline, step_duration
from zhiyin.audit.models import AuditEvent
from zhiyin.delivery.models import Notification

BEIJING = ZoneInfo("Asia/Shanghai")


def at(year: int, month: int, day: int, hour: int, minute: int) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=BEIJING)


def test_a_day_limit_skips_the_national_day_holiday() -> None:
    # 2025: 1–8 October are holidays; 9 October is the next working day.
    assert step_deadline(start=at(2025, 9, 30, 16, 0), amount=1, unit="days") == at(
        2025, 10, 9, 16, 0
    )


def test_an_hour_limit_carries_over_the_holiday_into_the_next_working_morning() -> None:
    assert step_deadline(start=at(2025, 9, 30, 16, 0), amount=4, unit="hours") == at(
        2025, 10, 9, 10, 30
    )


def test_a_make_up_workday_counts() -> None:
    # Sunday 28 September 2025 is a make-up workday (调休) for National Day.
    assert step_deadline(start=at(2025, 9, 26, 16, 0), amount=4, unit="hours") == at(
        2025, 9, 28, 10, 30
    )


def test_duration_counts_working_time_only() -> None:
    assert step_duration(start=at(2025, 9, 30, 16, 0), end=at(2025, 10, 9, 9, 0)) == dt.timedelta(
        hours=2, minutes=30
    )


def test_working_hours_come_from_settings(settings: object) -> None:
    settings.WORKING_HOURS = [("09:00", "17:00")]  # type: ignore[attr-defined]  # pytest-django
    assert step_deadline(start=at(2025, 9, 30, 16, 0), amount=2, unit="hours") == at(
        2025, 10, 9, 10, 0
    )


@pytest.mark.django_db
def test_a_step_activated_before_the_holiday_stores_its_deadline_and_duration(
    world: World, catalog: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    request = request_make(world, catalog.matter)
    monkeypatch.setattr(timezone, "now", lambda: at(2025, 9, 30, 16, 0))
    request = seal_request_submit(request=request, by=world.sn_clerk)
    step = request.steps.get(status=StepStatus.ACTIVE)
    assert step.deadline == at(2025, 10, 9, 10, 30)
    monkeypatch.setattr(timezone, "now", lambda: at(2025, 10, 9, 9, 0))
    view_documents(request, world.sn_leader1)
    seal_request_approve(request=request, by=world.sn_leader1)
    step.refresh_from_db()
    assert step.duration == dt.timedelta(hours=2, minutes=30)
    following = request.steps.get(status=StepStatus.ACTIVE)
    assert following.deadline == at(2025, 10, 10, 9, 0)  # one working day later


def _overdue_request(world: World, catalog: Catalog) -> SealRequest:
    request = seal_request_submit(request=request_make(world, catalog.matter), by=world.sn_clerk)
    ApprovalStep.objects.filter(request=request, status=StepStatus.ACTIVE).update(
        deadline=timezone.now() - dt.timedelta(minutes=5)
    )
    return request


def _overdue_notes() -> list[tuple[str, str]]:
    return sorted(
        Notification.objects.filter(event__startswith="approval_step.overdue").values_list(
            "person__username", "event"
        )
    )


EXPECTED = [
    ("sn_leader1", "approval_step.overdue"),
    ("sn_secretary", "approval_step.overdue_superior"),
]


@pytest.mark.django_db
def test_the_sweep_tells_the_holder_and_the_superior_once(world: World, catalog: Catalog) -> None:
    request = _overdue_request(world, catalog)
    assert overdue_sweep.call() == 2
    assert overdue_sweep.call() == 0
    assert _overdue_notes() == EXPECTED
    assert (
        AuditEvent.objects.filter(action="approval_step.overdue", target_id=str(request.pk)).count()
        == 1
    )


@pytest.mark.django_db
def test_the_sweep_ignores_steps_not_yet_due_and_decided_ones(
    world: World, catalog: Catalog
) -> None:
    seal_request_submit(request=request_make(world, catalog.matter), by=world.sn_clerk)
    assert overdue_sweep.call() == 0
    assert _overdue_notes() == []


@pytest.mark.django_db
def test_a_late_village_step_is_reported_to_the_inspector(world: World, catalog: Catalog) -> None:
    request = seal_request_submit(
        request=request_make(world, catalog.joint_matter), by=world.sn_clerk
    )
    ApprovalStep.objects.filter(request=request, status=StepStatus.ACTIVE).update(
        deadline=timezone.now() - dt.timedelta(minutes=1)
    )
    overdue_sweep.call()
    assert _overdue_notes() == [
        ("inspector", "approval_step.overdue_superior"),
        ("sn_secretary", "approval_step.overdue"),
    ]


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_still_tell_each_breach_once(world: World, catalog: Catalog) -> None:
    _overdue_request(world, catalog)
    _overdue_request(world, catalog)
    results = run_concurrently([overdue_sweep.call, overdue_sweep.call, overdue_sweep.call])
    assert all(isinstance(r, int) for r in results), results
    assert sum(results) == 4
    assert _overdue_notes() == sorted(EXPECTED * 2)
