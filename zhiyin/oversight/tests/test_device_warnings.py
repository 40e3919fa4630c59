"""The warning rules read the terminals' audit events as the devices app writes them:
an over-count stamp, a stamp without a grant, a code of another request and a sequence gap
made by the real simulator each raise their warning, with the device and the facts."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from zhiyin.approvals.tests.conftest import _media_in_tmp, catalog  # noqa: F401  # fixtures
from zhiyin.devices.authorizations import stamp_authorization_create
from zhiyin.devices.tests.conftest import Terminal, approved, terminal  # noqa: F401  # fixtures
from zhiyin.oversight.models import Warning
from zhiyin.oversight.services import starter_rules_install


def test_terminal_events_raise_their_warnings(terminal: Terminal) -> None:  # noqa: F811
    starter_rules_install()
    request = approved(terminal, stamp_count=1)
    authorization = stamp_authorization_create(
        request=request,
        by=terminal.world.sn_custodian1,
        not_after=timezone.now() + dt.timedelta(hours=1),
    )
    terminal.local.sync(terminal.sim)
    terminal.sim.stamp(authorization.code, transport=terminal.local)
    terminal.sim.stamp(authorization.code, force=True, transport=terminal.local)  # over count
    terminal.sim.stamp("NOSUCHCODE", slot="committee", force=True, transport=terminal.local)
    lost = terminal.sim.event("state", {"ink": 50})
    terminal.sim.state["queue"].remove(lost)
    terminal.sim.event("state", {"ink": 49})
    terminal.local.sync(terminal.sim)  # the lost event never arrives: a gap
    codes = set(Warning.objects.values_list("rule__code", flat=True))
    assert {"stamp_over_count", "stamp_without_grant", "device_alarm"} <= codes, codes
    over = Warning.objects.get(rule__code="stamp_over_count")
    assert over.request_id == request.pk and over.village_id == terminal.world.shuinan.pk
    assert "ZY-SN-01" in str(over.facts)
