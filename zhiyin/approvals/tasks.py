"""Background work of the approvals app, run by `manage.py run_worker`."""

from __future__ import annotations

from django_tasks import task

from zhiyin.approvals import files
from zhiyin.approvals.selectors import overdue_steps_due
from zhiyin.approvals.services import approval_step_overdue_notify


@task()
def overdue_sweep() -> int:
    """Tell holders and superiors about late steps, once per breach; safe to run on
    several workers at once (each notice is claimed by a conditional update)."""
    return sum(approval_step_overdue_notify(step_id=pk) for pk in overdue_steps_due())


@task()
def uploads_sweep() -> int:
    """Remove uploaded files that no row names, once they are a day old (left by a
    crash between writing a file and committing its row)."""
    return len(files.uploads_sweep())
