"""Audit test helpers: a fixed checkpoint key, quick events, and a way around the
append-only triggers for tests that play the attacker."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.db import connection

from zhiyin.audit.models import AuditEvent
from zhiyin.audit.services import audit_record_standalone

TEST_SEED = base64.b64encode(bytes(range(32))).decode()


@pytest.fixture(autouse=True)
def _audit_key(settings: Any) -> None:
    settings.AUDIT_SIGNING_KEY = TEST_SEED
    settings.AUDIT_LOG_ORIGIN = "zhiyin.test/audit"


def record_events(count: int, *, action: str = "test.happened") -> list[AuditEvent]:
    return [
        audit_record_standalone(actor=None, action=action, target_label=f"事件 {i}")
        for i in range(count)
    ]


@contextmanager
def triggers_bypassed() -> Iterator[None]:
    """Drop the append-only triggers inside the test's transaction (rolled back after the
    test): what an attacker with the database's owner rights could do."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            for table in ("audit_auditevent", "audit_checkpoint"):
                cursor.execute(f"DROP TRIGGER {table}_no_update")
                cursor.execute(f"DROP TRIGGER {table}_no_delete")
        else:
            for table in ("audit_auditevent", "audit_checkpoint"):
                cursor.execute(f"DROP TRIGGER {table}_append_only ON {table}")
    yield
