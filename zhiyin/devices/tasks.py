"""Background work of the devices app, run by `manage.py run_worker`."""

from __future__ import annotations

from django_tasks import task

from zhiyin.devices.alarms import device_offline_alarm, devices_offline_due
from zhiyin.devices.authorizations import authorizations_due_to_expire, stamp_authorization_expire


@task()
def devices_sweep() -> int:
    """Expire authorizations whose window has passed and raise ``offline`` for silent
    terminals; each item is claimed by a conditional update, so several workers agree."""
    expired = sum(
        stamp_authorization_expire(authorization_id=pk) for pk in authorizations_due_to_expire()
    )
    offline = sum(device_offline_alarm(device_id=pk) for pk in devices_offline_due())
    return expired + offline
