"""Demo data for the audit log: a first signed checkpoint, so trace pages show 已核验."""

from __future__ import annotations

from zhiyin.audit.models import Checkpoint
from zhiyin.audit.services import checkpoint_create


def audit_demo_load() -> Checkpoint | None:
    """Run after the demo district is loaded; signs every event so far (idempotent)."""
    return checkpoint_create()
