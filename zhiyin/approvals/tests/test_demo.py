"""The demo requests load on top of the organisations and catalog demo, in many states."""

from __future__ import annotations

import pytest

from zhiyin.approvals.demo import approvals_demo_load
from zhiyin.approvals.models import SealRequest

pytestmark = pytest.mark.django_db


def test_the_demo_makes_requests_in_many_states_once() -> None:
    from zhiyin.catalog.demo import catalog_demo_load
    from zhiyin.orgs.demo import demo_load
    from zhiyin.orgs.models import District
    from zhiyin.seals.demo import seals_demo_load

    demo_load(residents_per_village=2)
    seals_demo_load(District.objects.get())
    catalog_demo_load(District.objects.get())
    assert approvals_demo_load() == 8
    statuses = set(SealRequest.objects.values_list("status", flat=True))
    assert {"draft", "submitted", "approved", "returned", "rejected", "withdrawn"} <= statuses
    assert approvals_demo_load() == 0
