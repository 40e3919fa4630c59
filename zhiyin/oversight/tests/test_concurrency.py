"""Exactly once per fact, with real concurrency: two workers sweeping at the same moment
(threads with their own connections; SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from conftest import World
from zhiyin.approvals.models import ApprovalStep, StepStatus
from zhiyin.approvals.services import seal_request_submit
from zhiyin.approvals.tests.conftest import Catalog, request_make, run_concurrently
from zhiyin.audit.models import AuditEvent
from zhiyin.delivery.models import Notification
from zhiyin.oversight.models import Warning
from zhiyin.oversight.services import warning_sweep

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_workers_sweeping_at_once_raise_each_warning_once(
    world: World, catalog: Catalog
) -> None:
    requests = [
        seal_request_submit(request=request_make(world, catalog.matter), by=world.sn_clerk)
        for _ in range(3)
    ]
    ApprovalStep.objects.filter(request__in=requests, status=StepStatus.ACTIVE).update(
        deadline=timezone.now() - dt.timedelta(hours=1)
    )
    results = run_concurrently([warning_sweep, warning_sweep, warning_sweep])
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sum(results) == 3
    assert Warning.objects.filter(rule__code="step_overdue").count() == 3
    assert AuditEvent.objects.filter(action="warning.raise").count() - _burst() == 3
    assert (
        Notification.objects.filter(event="warning.raise", person=world.sn_secretary).count()
        == 3 + _burst()
    )
    assert warning_sweep() == 0


def _burst() -> int:
    """Three submissions of one matter also raise the (event) burst warning once."""
    return Warning.objects.filter(rule__code="applicant_burst").count()
