"""Warnings from the real devices app: its simulator stamps and reports through the
ingest services, which record the audit events the warning rules read."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from zhiyin.devices import ingest
from zhiyin.devices.authorizations import stamp_authorization_create
from zhiyin.devices.emergency import emergency_approve, emergency_open
from zhiyin.devices.tests.conftest import Terminal, approved, terminal  # noqa: F401  # fixture
from zhiyin.oversight.models import Warning
from zhiyin.oversight.services import warning_sweep
from zhiyin.oversight.tests.conftest import warnings_of

pytestmark = pytest.mark.django_db


def _authorize(terminal: Terminal, request: object) -> object:  # noqa: F811
    authorization = stamp_authorization_create(
        request=request,  # type: ignore[arg-type]  # a SealRequest
        by=terminal.world.sn_custodian1,
        not_after=timezone.now() + dt.timedelta(hours=2),
    )
    terminal.local.sync(terminal.sim)
    return authorization


def test_a_stamp_beyond_the_grant_raises_over_count(terminal: Terminal) -> None:  # noqa: F811
    request = approved(terminal, stamp_count=1)
    grant = _authorize(terminal, request)
    terminal.sim.stamp(grant.code, transport=terminal.local)  # type: ignore[attr-defined]
    assert Warning.objects.filter(rule__code__startswith="stamp_").count() == 0
    terminal.sim.stamp(grant.code, force=True, transport=terminal.local)  # type: ignore[attr-defined]
    (warning,) = warnings_of("stamp_over_count")
    assert warning.request_id == request.pk and warning.village_id == terminal.world.shuinan.pk
    counts = next(f for f in warning.facts if f["label"] == "盖章次数")
    assert counts["expected"] == "不超过 1" and counts["actual"] == "第 2 次"
    assert "ZY-SN-01" in warning.summary


def test_a_stamp_without_a_grant_raises_stamp_first(terminal: Terminal) -> None:  # noqa: F811
    terminal.sim.stamp("NOSUCHCODE", slot="committee", force=True, transport=terminal.local)
    (warning,) = warnings_of("stamp_without_grant")
    assert warning.village_id == terminal.world.shuinan.pk
    assert warning.seal_id == terminal.world.sn_committee_seal.pk


def test_a_lost_record_raises_a_device_alarm(terminal: Terminal) -> None:  # noqa: F811
    first = terminal.sim.event("state", {"ink": 99})
    terminal.sim.event("state", {"ink": 98})  # never arrives
    third = terminal.sim.event("state", {"ink": 97})
    ingest.events_ingest(messages=[first, third])
    (warning,) = warnings_of("device_alarm")
    assert warning.village_id == terminal.world.shuinan.pk  # placed by the terminal's village
    gap = next(f for f in warning.facts if f["label"] == "缺失的记录序号")
    assert gap["actual"] == "2–2"


def test_an_emergency_use_is_warned_only_when_not_approved_in_time(
    terminal: Terminal,  # noqa: F811
) -> None:
    world = terminal.world
    late = emergency_open(
        device=terminal.device,
        slot_code="committee",
        by=world.sn_custodian1,
        reason="台风抢险物资调拨证明",
    )
    assert warning_sweep() == 0  # still within its working days
    assert warning_sweep(now=timezone.now() + dt.timedelta(days=10)) == 1
    (warning,) = warnings_of("emergency_unapproved")
    assert warning.facts[1]["actual"] == "台风抢险物资调拨证明"
    emergency_approve(authorization=late, by=world.sn_secretary, comment="同意")
    assert warning_sweep(now=timezone.now() + dt.timedelta(days=10)) == 0
    assert len(warnings_of("emergency_unapproved")) == 1  # raised once, kept for the record
