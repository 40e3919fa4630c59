"""Background work of the audit log: periodic signed checkpoints (settings.PERIODIC_TASKS)."""

from __future__ import annotations

from django_tasks import task

from zhiyin.audit.services import checkpoint_create


@task()
def checkpoint_build() -> int:
    """Sign a checkpoint over every event so far; returns its tree size (0: empty log)."""
    checkpoint = checkpoint_create()
    return checkpoint.tree_size if checkpoint is not None else 0
