"""Telling a person: `notify` (the one way a domain service tells someone something, on
every configured channel, inside the transaction of the change it reports), reading and
closing notices, and a person's channel preferences."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from functools import cache
from typing import NamedTuple

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from zhiyin.audit.services import audit_record
from zhiyin.core.actors import Recipient
from zhiyin.delivery.channels import NotificationChannel, preferences_for
from zhiyin.delivery.models import (
    Notification,
    NotificationPreference,
)

_DEFAULT_CHANNELS = ("zhiyin.delivery.channels.InAppChannel",)


@cache
def _channels(paths: tuple[str, ...]) -> tuple[NotificationChannel, ...]:
    return tuple(import_string(path)() for path in paths)


def notification_channels() -> tuple[NotificationChannel, ...]:
    """The configured channels (`NOTIFICATION_CHANNELS`, in-app by default), built once per
    configuration."""
    paths = tuple(getattr(settings, "NOTIFICATION_CHANNELS", _DEFAULT_CHANNELS))
    return _channels(paths)


def notify(*, person: Recipient, text: str, link: str = "", event: str = "") -> None:
    """Send `text` to `person` on every configured channel."""
    notify_all(people=[person], text=text, link=link, event=event)


def _asks_preference(channel: NotificationChannel, person: Recipient) -> bool:
    # In-app ignores the preference, an outside channel reads it only for a person it can
    # reach; a channel that does not say is given it.
    asks = getattr(channel, "needs_preference", None)
    return True if asks is None else bool(asks(person))


def notify_all(*, people: Sequence[Recipient], text: str, link: str = "", event: str = "") -> None:
    """Send the same `text` to each of `people` on every configured channel (`notices_send`)."""
    notices_send([Notice(person, text, link, event) for person in people])


class Notice(NamedTuple):
    """One notice for `notices_send`: to whom, what, the page it links to, the event."""

    person: Recipient
    text: str
    link: str = ""
    event: str = ""


def notices_send(notices: Sequence[Notice]) -> None:
    """Send each notice on every configured channel, inside the caller's transaction. The
    channel preferences of everyone told are read together, and only for those an outside
    channel can reach (in-app needs none)."""
    if not connection.in_atomic_block:
        raise RuntimeError("notify must run inside the transaction of the change it reports")
    channels = notification_channels()
    preferences = preferences_for(
        [n.person for n in notices if any(_asks_preference(c, n.person) for c in channels)]
    )
    for person, text, link, event in notices:
        preference = preferences.get(person.id) or NotificationPreference(person_id=person.id)
        for channel in channels:
            channel.send(person=person, text=text, link=link, event=event, preference=preference)


@transaction.atomic
def notification_mark_read(*, person: Recipient, pk: int | None = None) -> int:
    """Mark one (or, with no pk, every) unread notification of `person` read."""
    unread = Notification.objects.filter(person_id=person.id, read_at__isnull=True)
    if pk is not None:
        unread = unread.filter(pk=pk)
    return unread.update(read_at=timezone.now())


def notifications_close(
    *,
    link: str,
    events: Collection[str],
    person_id: int | None = None,
    exclude_person_id: int | None = None,
) -> int:
    """Mark read the unread 待办 notices (`events`) that point at `link`: the work they
    announced was done (a step decided, a request withdrawn or sealed), by whoever did it.
    The caller's transaction makes the close happen exactly when the change commits."""
    notices = Notification.objects.filter(link=link, event__in=list(events), read_at__isnull=True)
    if person_id is not None:
        notices = notices.filter(person_id=person_id)
    if exclude_person_id is not None:
        notices = notices.exclude(person_id=exclude_person_id)
    return notices.update(read_at=timezone.now())


@transaction.atomic
def notification_preference_set(
    *, person: Recipient, email: bool, sms: bool, staff_platform: bool
) -> NotificationPreference:
    """Switch a person's outside channels on or off (in-app always stays on)."""
    pref, _created = NotificationPreference.objects.select_for_update().get_or_create(
        person_id=person.id
    )
    before = {"email": pref.email, "sms": pref.sms, "staff_platform": pref.staff_platform}
    pref.email, pref.sms, pref.staff_platform = email, sms, staff_platform
    pref.save()
    audit_record(
        actor=person,
        action="notification_preference.set",
        target=pref,
        before=before,
        after={"email": email, "sms": sms, "staff_platform": staff_platform},
    )
    return pref
