"""Demo data for the audit log: a first signed checkpoint, so trace pages show 已核验."""

from __future__ import annotations

from zhiyin.audit.models import Checkpoint
from zhiyin.audit.services import checkpoints_create


def audit_demo_load() -> list[Checkpoint]:
    """Run after the demo district is loaded; signs every log so far (idempotent)."""
    return checkpoints_create()
