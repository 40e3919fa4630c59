"""Background work of `delivery`, run by `manage.py run_worker`: the outbox pass."""

from __future__ import annotations

from django_tasks import TaskContext, task

from zhiyin.delivery.outbox import outbox_run


@task(takes_context=True)
def outbox_dispatch(context: TaskContext) -> int:
    """Send every due outbox message (bureau deliveries and outside notifications).
    Enqueued after each commit that adds messages and every few seconds from
    settings.PERIODIC_TASKS; several workers may run it at once. Claims carry the id of
    the worker running the task, so a worker that dies is found by its heartbeat and its
    claims are released early (zhiyin.worker)."""
    worker_ids = context.task_result.worker_ids
    return outbox_run(worker=worker_ids[-1] if worker_ids else None)
