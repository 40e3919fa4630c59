"""Background work of `delivery`, run by `manage.py run_worker`: the outbox pass."""

from __future__ import annotations

from django_tasks import task

from zhiyin.delivery.outbox import outbox_run


@task()
def outbox_dispatch() -> int:
    """Send every due outbox message (bureau deliveries and outside notifications).
    Enqueued after each commit that adds messages and every few seconds from
    settings.PERIODIC_TASKS; several workers may run it at once."""
    return outbox_run()
