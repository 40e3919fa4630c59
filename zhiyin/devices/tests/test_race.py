"""Fifty stamp reports racing for a grant of three: exactly three are counted, the rest
are stored and flagged over-count (real threads and connections; PostgreSQL in CI)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from zhiyin.approvals.models import RequestStatus
from zhiyin.approvals.tests.conftest import run_concurrently
from zhiyin.devices import ingest
from zhiyin.devices.models import DeviceEvent, StampAuthorization, StampEvent
from zhiyin.devices.services import stamp_authorization_create
from zhiyin.devices.tests.conftest import Terminal, approved

pytestmark = pytest.mark.django_db(transaction=True)

REPORTS = 50


def test_fifty_racing_reports_for_k_three_count_exactly_three(terminal: Terminal) -> None:
    request = approved(terminal, stamp_count=3)
    authorization = stamp_authorization_create(
        request=request,
        by=terminal.world.sn_custodian1,
        not_after=timezone.now() + dt.timedelta(hours=1),
    )
    terminal.local.sync(terminal.sim)
    terminal.sim.state["queue"] = []
    grant = str(authorization.pk)
    terminal.sim.state["grants"][grant]["count"] = REPORTS  # a forced terminal presses 50 times
    reports = [
        terminal.sim.event(
            "stamp",
            {
                "slot": "committee",
                "authorization": authorization.pk,
                "code": authorization.code,
                "operator": f"op{i}",
                "photo_sha256": f"{i:064x}",
            },
        )
        for i in range(REPORTS)
    ]
    results = run_concurrently(
        [lambda m=m: ingest.events_ingest(messages=[m]) for m in reports]  # type: ignore[misc]
    )
    errors = [r for r in results if isinstance(r, Exception)]
    assert not errors, errors
    assert {r.results[0].status for r in results} == {"stored"}
    statuses = list(StampEvent.objects.values_list("status", flat=True))
    assert len(statuses) == REPORTS
    assert statuses.count("authorized") == 3
    assert statuses.count("over_count") == REPORTS - 3
    assert StampAuthorization.objects.get(pk=authorization.pk).used == 3
    assert DeviceEvent.objects.filter(type="stamp").count() == REPORTS
    request.refresh_from_db()
    assert request.status == RequestStatus.COMPLETED
