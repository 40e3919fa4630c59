"""Background work of the portal: mirror seal-request progress onto applications."""

from __future__ import annotations

from django_tasks import task

from zhiyin.portal.selectors import applications_to_sync
from zhiyin.portal.services.handling import application_sync


@task()
def applications_sync() -> int:
    """Periodic: tell residents about each change in their seal requests."""
    return sum(application_sync(application_id=pk) for pk in applications_to_sync())
