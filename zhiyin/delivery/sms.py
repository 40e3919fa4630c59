"""The one way a text message reaches a phone: `SmsSender`.

Notifications (the SMS channel, through the outbox) and residents' login codes (portal)
both send through a sender named by a setting (`SMS_SENDER`, `PORTAL_CODE_SENDER`):

- `HttpSmsSender` — a generic signed-HTTP SMS gateway (most Chinese SMS providers and
  government messaging platforms take this shape): `POST SMS_GATEWAY_URL` with the JSON
  body `{"phone", "text", "id"}` and the headers `X-Sms-Key` (the account), `X-Sms-Timestamp`
  (Unix seconds) and `X-Sms-Signature` = hex HMAC-SHA256(secret, "{timestamp}.{body}").
  A 2xx answer is sent; anything else raises `SmsError` with what happened.
- `ConsoleSmsSender` / `LogSmsSender` — development only: they print or log the text and
  report that nothing was sent (`SmsReceipt.sent` is false, no HTTP status). With
  `DEBUG=false` start-up refuses them (system check `zhiyin.E001`).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


class SmsError(Exception):
    """The gateway refused the message or could not be reached; `status_code` is its
    HTTP answer (None when there was none) and `attempts` how many tries were made."""

    def __init__(self, message: str, *, status_code: int | None = None, attempts: int = 1) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.attempts = attempts


@dataclass(frozen=True)
class SmsReceipt:
    """What became of one message: `sent` only when it left for a phone; `status_code`
    only when a gateway answered over HTTP; `note` says what happened, for the log."""

    sent: bool
    status_code: int | None
    note: str


class SmsSender(Protocol):
    """An SMS provider. `delivers` is false for development senders that only print or
    log (refused when DEBUG is off). `send_sms` raises `SmsError` on failure."""

    delivers: bool

    def send_sms(self, *, phone: str, text: str) -> SmsReceipt: ...


def phone_masked(phone: str) -> str:
    return f"{phone[:3]}******{phone[-2:]}" if len(phone) > 5 else "***"


class ConsoleSmsSender:
    """Development: prints the message to the server's output instead of sending it."""

    delivers = False

    def send_sms(self, *, phone: str, text: str) -> SmsReceipt:
        sys.stdout.write(f"[SMS to {phone}] {text}\n")
        sys.stdout.flush()
        return SmsReceipt(sent=False, status_code=None, note="console: printed, not sent")


class LogSmsSender:
    """Development: writes the message to the server log (phone masked)."""

    delivers = False

    def send_sms(self, *, phone: str, text: str) -> SmsReceipt:
        logger.warning("SMS for %s (not sent, development sender): %s", phone_masked(phone), text)
        return SmsReceipt(sent=False, status_code=None, note="log: written to the log, not sent")


def sms_signature(*, secret: str, timestamp: str, body: bytes) -> str:
    """Hex HMAC-SHA256 over "{timestamp}.{body}" with the gateway secret."""
    return hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


class HttpSmsSender:
    """A signed-HTTP SMS gateway configured by `SMS_GATEWAY_URL`, `SMS_GATEWAY_KEY`,
    `SMS_GATEWAY_SECRET`, `SMS_GATEWAY_TIMEOUT_SECONDS` and `SMS_GATEWAY_ATTEMPTS`.

    A connection failure or a 5xx/429 answer is tried again (up to the attempts, with a
    short pause); any other non-2xx answer is final. Either way `SmsError` says what the
    gateway answered; the outbox records it and retries on its own schedule."""

    delivers = True

    def __init__(
        self,
        *,
        url: str | None = None,
        key: str | None = None,
        secret: str | None = None,
        timeout: float | None = None,
        attempts: int | None = None,
    ) -> None:
        self.url = url if url is not None else settings.SMS_GATEWAY_URL
        self.key = key if key is not None else settings.SMS_GATEWAY_KEY
        self.secret = secret if secret is not None else settings.SMS_GATEWAY_SECRET
        self.timeout = timeout if timeout is not None else settings.SMS_GATEWAY_TIMEOUT_SECONDS
        self.attempts = max(1, attempts if attempts is not None else settings.SMS_GATEWAY_ATTEMPTS)
        if not self.url.startswith(("https://", "http://")) or not self.key or not self.secret:
            raise SmsError(
                "SMS_GATEWAY_URL (http/https), SMS_GATEWAY_KEY and SMS_GATEWAY_SECRET must be set"
            )

    def send_sms(self, *, phone: str, text: str) -> SmsReceipt:
        body = json.dumps(
            {"phone": phone, "text": text, "id": secrets.token_hex(12)}, ensure_ascii=False
        ).encode()
        error = SmsError("not tried")
        for attempt in range(1, self.attempts + 1):
            timestamp = str(int(time.time()))
            request = urllib.request.Request(  # noqa: S310  # scheme checked in __init__
                self.url,
                data=body,
                method="POST",
                headers={
                    "Content-Type": "application/json; charset=utf-8",
                    "X-Sms-Key": self.key,
                    "X-Sms-Timestamp": timestamp,
                    "X-Sms-Signature": sms_signature(
                        secret=self.secret, timestamp=timestamp, body=body
                    ),
                },
            )
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as answer:  # noqa: S310  # scheme checked in __init__
                    excerpt = answer.read(200).decode("utf-8", "replace")
                    return SmsReceipt(sent=True, status_code=answer.status, note=excerpt)
            except urllib.error.HTTPError as exc:
                excerpt = exc.read(200).decode("utf-8", "replace")
                error = SmsError(
                    f"gateway answered HTTP {exc.code}: {excerpt}",
                    status_code=exc.code,
                    attempts=attempt,
                )
                if exc.code < 500 and exc.code != 429:
                    raise error from exc
            except (OSError, ValueError) as exc:
                error = SmsError(
                    f"gateway unreachable: {type(exc).__name__}: {exc}", attempts=attempt
                )
            if attempt < self.attempts:
                time.sleep(min(0.5 * attempt, 2.0))
        raise error


def sms_sender(path: str) -> SmsSender:
    """The sender a setting names, made afresh (cheap) so it reads the current settings."""
    sender: SmsSender = import_string(path)()
    return sender
