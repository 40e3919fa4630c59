"""`notify`: the one way a domain service tells a person something.

Called inside the transaction of the change it reports, so nobody is told about a
decision that was rolled back.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from zhiyin.delivery.channels import NotificationChannel
from zhiyin.delivery.models import Notification

_DEFAULT_CHANNELS = ("zhiyin.delivery.channels.InAppChannel",)


@cache
def _channels(paths: tuple[str, ...]) -> tuple[NotificationChannel, ...]:
    return tuple(import_string(path)() for path in paths)


def notification_channels() -> tuple[NotificationChannel, ...]:
    paths = tuple(getattr(settings, "NOTIFICATION_CHANNELS", _DEFAULT_CHANNELS))
    return _channels(paths)


def notify(*, person: Any, text: str, link: str = "", event: str = "") -> None:
    """Send `text` to `person` on every configured channel."""
    if not connection.in_atomic_block:
        raise RuntimeError("notify must run inside the transaction of the change it reports")
    for channel in notification_channels():
        channel.send(person=person, text=text, link=link, event=event)


@transaction.atomic
def notification_mark_read(*, person: Any, pk: int | None = None) -> int:
    """Mark one (or, with no pk, every) unread notification of `person` read."""
    unread = Notification.objects.filter(person=person, read_at__isnull=True)
    if pk is not None:
        unread = unread.filter(pk=pk)
    return unread.update(read_at=timezone.now())
