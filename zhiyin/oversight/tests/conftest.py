"""Fixtures for the oversight tests: the approvals world (chains, matters, a clerk who
files requests), the starter rules, and helpers that record device facts the way the
devices app does — as audit events with the agreed action codes."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction

from zhiyin.approvals.tests.conftest import _media_in_tmp, catalog  # noqa: F401  # fixtures
from zhiyin.audit.models import AuditEvent
from zhiyin.audit.services import audit_record
from zhiyin.audit.tests.conftest import _audit_key  # noqa: F401  # autouse: checkpoints' fixed key
from zhiyin.oversight.models import Warning
from zhiyin.oversight.services import starter_rules_install


@pytest.fixture(autouse=True)
def _rules(db: None) -> None:
    """The migration installs them; transactional tests flush them, so make sure."""
    starter_rules_install()


def device_event(action: str, **after: Any) -> AuditEvent:
    """What the devices app records for a stamp, an alarm or an emergency opening."""
    with transaction.atomic():
        return audit_record(actor=None, action=action, after=after, target_label="SN-T-0001")


def warnings_of(code: str) -> list[Warning]:
    return list(Warning.objects.filter(rule__code=code).order_by("pk"))
