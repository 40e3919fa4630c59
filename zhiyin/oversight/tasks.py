"""Background work of oversight, run by `manage.py run_worker`."""

from __future__ import annotations

from django_tasks import task

from zhiyin.oversight.services import warning_sweep as _sweep


@task()
def warning_sweep() -> int:
    """Run the rules that need history (late steps, idle approvals, emergencies never
    approved, unusual frequency). Safe on several workers: a warning per fact is a
    unique row, inserted or ignored."""
    return _sweep()


@task()
def ledger_export_build(export_id: int) -> bool:
    """Build one ledger file asked for on the ledger page."""
    from zhiyin.oversight.services import ledger_export_run

    return ledger_export_run(export_id=export_id)
