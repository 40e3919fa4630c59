"""The notification channel interface and the one channel every install has: in-app.

Later channels (SMS, e-mail, the staff messaging platform, webhooks) implement the same
`NotificationChannel` protocol and are listed in `settings.NOTIFICATION_CHANNELS`.
A channel that talks to the outside world must not do so inside the caller's
transaction: it writes an outbox row here and lets a worker send it.
"""

from __future__ import annotations

from typing import Any, Protocol

from zhiyin.delivery.models import Notification


class NotificationChannel(Protocol):
    """Something that can tell a person about an event."""

    def send(self, *, person: Any, text: str, link: str, event: str) -> None: ...


class InAppChannel:
    """Stores the notification for the person's list in the app."""

    def send(self, *, person: Any, text: str, link: str, event: str) -> None:
        Notification.objects.create(person=person, text=text[:300], link=link[:300], event=event)
