"""The notification channel interface and its channels: in-app, e-mail, SMS and the staff
platform (政务工作平台, a government build of DingTalk).

`notify()` calls `send()` on every channel in `settings.NOTIFICATION_CHANNELS`, inside the
caller's transaction. In-app writes the notification itself; every other channel only
writes an `OutboxMessage` (if the person wants that channel and can be reached on it), and
a worker later calls the channel's `deliver()`. A provider that is down therefore delays a
notice but never loses it: the outbox retries on the same schedule as bureau deliveries.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Collection, Iterable
from typing import Protocol
from urllib.parse import quote_plus

from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone

from zhiyin.core.actors import Recipient
from zhiyin.delivery.models import (
    Channel,
    Notification,
    NotificationPreference,
    OutboxMessage,
)
from zhiyin.delivery.sms import SmsError, sms_sender
from zhiyin.delivery.transport import Response, post_json

logger = logging.getLogger(__name__)


class NotificationChannel(Protocol):
    """Something that can tell a person about an event. `preference` is the person's
    channel choice, read once by `notify` for all channels (and for all the people told
    at once); a channel with a `needs_preference(person)` method that answers False is
    given the defaults instead of a read."""

    def send(
        self,
        *,
        person: Recipient,
        text: str,
        link: str,
        event: str,
        preference: NotificationPreference,
    ) -> None: ...


class InAppChannel:
    """Stores the notification for the person's list in the app."""

    def send(
        self,
        *,
        person: Recipient,
        text: str,
        link: str,
        event: str,
        preference: NotificationPreference,
    ) -> None:
        Notification.objects.create(
            person_id=person.id, text=text[:300], link=link[:300], event=event
        )

    def needs_preference(self, person: Recipient) -> bool:
        """In-app is always on: the preference does not matter."""
        return False


def _nobody_is_a_resident(person_ids: Collection[int]) -> set[int]:
    return set()


_residents_among: Callable[[Collection[int]], set[int]] = _nobody_is_a_resident


def resident_check_register(check: Callable[[Collection[int]], set[int]]) -> None:
    """Tell delivery how to recognise residents (people with no staff role): `check` takes
    person ids and returns those that are residents only. The people app registers it at
    start-up, since delivery knows no people."""
    global _residents_among  # one registration at start-up
    _residents_among = check


def preference_for(person: Recipient) -> NotificationPreference:
    """The person's stored preference, or the defaults (not saved): a resident gets SMS
    and no staff platform (it is for staff); everyone else the model's defaults."""
    return preferences_for([person])[person.id]


def preferences_for(people: Iterable[Recipient]) -> dict[int, NotificationPreference]:
    """`preference_for` of several people by id: their stored preferences in one query,
    and one more for who among the rest is a resident (their defaults differ)."""
    ids = {person.id for person in people}
    if not ids:
        return {}
    found = {p.person_id: p for p in NotificationPreference.objects.filter(person_id__in=ids)}
    missing = ids - found.keys()
    residents = _residents_among(missing) if missing else set()
    for person_id in missing:
        found[person_id] = (
            NotificationPreference(person_id=person_id, sms=True, staff_platform=False)
            if person_id in residents
            else NotificationPreference(person_id=person_id)
        )
    return found


def is_resident(person: Recipient) -> bool:
    """Whether the person is a resident only (no staff role), as registered."""
    return person.id in _residents_among({person.id})


def absolute_link(link: str) -> str:
    if not link or link.startswith(("http://", "https://")):
        return link
    return f"{settings.PUBLIC_BASE_URL}{link}"


class OutboxChannel(ABC):
    """Base of the channels that leave the building: they enqueue, a worker delivers."""

    channel: str = ""
    preference_field: str = ""

    @abstractmethod
    def reachable(self, person: Recipient) -> bool:
        """Whether the person has an address on this channel (phone, e-mail)."""

    def needs_preference(self, person: Recipient) -> bool:
        """Only a person this channel can reach has a choice to read."""
        return self.reachable(person)

    def send(
        self,
        *,
        person: Recipient,
        text: str,
        link: str,
        event: str,
        preference: NotificationPreference,
    ) -> None:
        if not self.reachable(person) or not getattr(preference, self.preference_field):
            return
        OutboxMessage.objects.create(
            channel=self.channel,
            person_id=person.id,
            text=text[:300],
            link=link[:300],
            event=event[:60],
            next_attempt_at=timezone.now(),
        )

    @abstractmethod
    def deliver(self, message: OutboxMessage) -> Response:
        """Send one claimed message; the outbox records the response and retries."""


def _outcome(started: float, error: str = "", status_code: int | None = None) -> Response:
    return Response(
        status_code=status_code,
        latency_ms=int((time.monotonic() - started) * 1000),
        excerpt="",
        error=error[:500],
    )


class EmailChannel(OutboxChannel):
    """Plain-text mail through Django's configured mail backend."""

    channel = Channel.EMAIL
    preference_field = "email"

    def reachable(self, person: Recipient) -> bool:
        return bool(getattr(person, "email", ""))

    def deliver(self, message: OutboxMessage) -> Response:
        started = time.monotonic()
        person = message.person
        body = message.text
        if message.link:
            body = f"{body}\n\n{absolute_link(message.link)}"
        try:
            send_mail(
                subject=f"[智印] {message.text[:60]}",
                message=body,
                from_email=None,
                recipient_list=[str(getattr(person, "email", ""))],
                fail_silently=False,
            )
        except (OSError, ValueError) as exc:
            return _outcome(started, f"{type(exc).__name__}: {exc}")
        return _outcome(started, status_code=250)


class SmsChannel(OutboxChannel):
    """Short text with the link, through `settings.SMS_SENDER` (zhiyin.delivery.sms)."""

    channel = Channel.SMS
    preference_field = "sms"

    def reachable(self, person: Recipient) -> bool:
        return bool(getattr(person, "phone", ""))

    def deliver(self, message: OutboxMessage) -> Response:
        started = time.monotonic()
        text = f"【智印】{message.text}"
        if message.link:
            text = f"{text} {absolute_link(message.link)}"
        try:
            receipt = sms_sender(settings.SMS_SENDER).send_sms(
                phone=str(getattr(message.person, "phone", "")), text=text
            )
        except SmsError as exc:
            return _outcome(
                started, f"SmsError after {exc.attempts} attempt(s): {exc}", exc.status_code
            )
        return Response(
            status_code=receipt.status_code,
            latency_ms=int((time.monotonic() - started) * 1000),
            excerpt=receipt.note[:500],
            error="",
            local=not receipt.sent,
        )


def staff_platform_signed_url(url: str, secret: str, timestamp_ms: int) -> str:
    """DingTalk robot signing: base64(HMAC-SHA256(secret, "{timestamp}\\n{secret}")),
    URL-encoded, appended with the timestamp in milliseconds."""
    to_sign = f"{timestamp_ms}\n{secret}".encode()
    digest = hmac.new(secret.encode(), to_sign, hashlib.sha256).digest()
    sign = quote_plus(base64.b64encode(digest).decode())
    joiner = "&" if "?" in url else "?"
    return f"{url}{joiner}timestamp={timestamp_ms}&sign={sign}"


class StaffPlatformChannel(OutboxChannel):
    """A work notice (工作通知) pushed to the staff platform as a signed JSON call, the
    way government DingTalk builds take robot messages: the person is @-mentioned by the
    mobile number the platform knows them by, and the notice links back to the to-do."""

    channel = Channel.STAFF_PLATFORM
    preference_field = "staff_platform"

    def reachable(self, person: Recipient) -> bool:
        return bool(settings.STAFF_PLATFORM_WEBHOOK_URL and getattr(person, "phone", ""))

    def deliver(self, message: OutboxMessage) -> Response:
        phone = str(getattr(message.person, "phone", ""))
        link = absolute_link(message.link)
        text = f"### 智印 待办提醒\n\n{message.text}"
        if link:
            text = f"{text}\n\n[点击处理]({link})"
        body = {
            "msgtype": "markdown",
            "markdown": {"title": message.text[:60], "text": f"{text}\n\n@{phone}"},
            "at": {"atMobiles": [phone], "isAtAll": False},
            "zhiyin": {"event": message.event, "message_id": message.pk},
        }
        url = staff_platform_signed_url(
            settings.STAFF_PLATFORM_WEBHOOK_URL,
            settings.STAFF_PLATFORM_WEBHOOK_SECRET,
            int(time.time() * 1000),
        )
        response = post_json(
            url=url,
            body=json.dumps(body, ensure_ascii=False).encode(),
            headers={},
            timeout=float(settings.DELIVERY_TIMEOUT_SECONDS),
            allow_private=True,  # an operator setting, not a bureau's input
        )
        if response.ok:
            try:
                answer = json.loads(response.excerpt or "{}")
            except ValueError:
                answer = {}
            if isinstance(answer, dict) and answer.get("errcode", 0) != 0:
                return Response(
                    status_code=response.status_code,
                    latency_ms=response.latency_ms,
                    excerpt=response.excerpt,
                    error=f"errcode {answer.get('errcode')}: {answer.get('errmsg', '')}"[:500],
                )
        return response


#: Deliverers by outbox channel (webhooks are delivered by the outbox itself).
DELIVERERS: dict[str, OutboxChannel] = {
    Channel.EMAIL: EmailChannel(),
    Channel.SMS: SmsChannel(),
    Channel.STAFF_PLATFORM: StaffPlatformChannel(),
}
