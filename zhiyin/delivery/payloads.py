"""A delivery's payload as labelled fields for the bureau officer's page.

The payload is what the sending app wrote (docs/integration.md: ``request`` and
``sealed_document`` for a sealed document); the officer reads who, where, what, how much,
which organization sealed it and when — in local time — and the raw payload and hashes
stay folded away for whoever needs them.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _


@dataclass(frozen=True)
class PayloadField:
    label: str
    value: str
    url: str = ""


def _section(payload: dict[str, Any], key: str) -> dict[str, Any]:
    value = payload.get(key)
    return value if isinstance(value, dict) else {}


def _text(value: Any) -> str:
    if value is None or isinstance(value, dict | list):
        return ""
    return str(value).strip()


def local_time_text(value: Any) -> str:
    """An ISO timestamp as Asia/Shanghai (the site's zone) ``YYYY-MM-DD HH:MM``; text that
    is no timestamp is shown as it is."""
    text = _text(value)
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return text
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, dt.UTC)
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def payload_fields(payload: dict[str, Any]) -> list[PayloadField]:
    request = _section(payload, "request")
    sealed = _section(payload, "sealed_document")
    amount = _text(payload.get("amount") or request.get("amount"))
    verify = _text(sealed.get("verify_url"))
    rows = [
        PayloadField(_("申请人"), _text(request.get("on_behalf_of") or request.get("applicant"))),
        PayloadField(_("村（社区）"), _text(request.get("village"))),
        PayloadField(_("事项"), _text(request.get("matter"))),
        PayloadField(_("金额"), _("%(amount)s 元") % {"amount": amount} if amount else ""),
        PayloadField(_("用印事由"), _text(request.get("purpose"))),
        PayloadField(_("盖章单位"), _text(sealed.get("organization"))),
        PayloadField(_("盖章时间"), local_time_text(sealed.get("sealed_at"))),
        PayloadField(_("文件编号"), _text(sealed.get("number"))),
        PayloadField(_("申请编号"), _text(request.get("number"))),
        PayloadField(
            _("验真"),
            _("打开验真页") if verify.startswith(("http://", "https://")) else "",
            verify,
        ),
    ]
    return [row for row in rows if row.value]


def payload_raw(payload: dict[str, Any]) -> str:
    """The payload as the bureau's system receives it, readable (for the folded details)."""
    shown = {k: v for k, v in payload.items() if not str(k).startswith("_")}
    return json.dumps(shown, ensure_ascii=False, indent=2, sort_keys=True)
