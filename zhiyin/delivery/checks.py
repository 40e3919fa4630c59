"""Start-up checks of the SMS senders: each setting naming one must name a usable sender,
and with DEBUG off it must really send (the console and log senders only pretend)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error

from zhiyin.delivery.sms import SmsError, sms_sender

#: The settings that name an SmsSender.
SENDER_SETTINGS = ("SMS_SENDER", "PORTAL_CODE_SENDER")


def sms_senders_check(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """zhiyin.E001: a development sender with DEBUG off; zhiyin.E002: a sender that
    cannot be made (bad path, gateway not configured)."""
    problems: list[CheckMessage] = []
    for name in SENDER_SETTINGS:
        path = str(getattr(settings, name, ""))
        try:
            sender = sms_sender(path)
        except (ImportError, SmsError, TypeError, ValueError) as exc:
            problems.append(
                Error(
                    f"{name}={path!r} cannot be used: {exc}",
                    hint="Name an SmsSender, e.g. zhiyin.delivery.sms.HttpSmsSender, and set "
                    "SMS_GATEWAY_URL, SMS_GATEWAY_KEY and SMS_GATEWAY_SECRET.",
                    id="zhiyin.E002",
                )
            )
            continue
        if not settings.DEBUG and not getattr(sender, "delivers", False):
            problems.append(
                Error(
                    f"{name}={path!r} only prints or logs text messages; with DEBUG=false "
                    "nothing would reach residents' phones (短信不会真正发出).",
                    hint="Set it to zhiyin.delivery.sms.HttpSmsSender with SMS_GATEWAY_URL, "
                    "SMS_GATEWAY_KEY and SMS_GATEWAY_SECRET (see docs/integration.md).",
                    id="zhiyin.E001",
                )
            )
    return problems
