"""Background work of the audit log: periodic signed checkpoints (settings.PERIODIC_TASKS)."""

from __future__ import annotations

from django_tasks import task

from zhiyin.audit.services import checkpoints_create


@task()
def checkpoint_build() -> int:
    """Sign a checkpoint over every event so far of every log; returns the events covered."""
    return sum(checkpoint.tree_size for checkpoint in checkpoints_create())
