"""The wire format of docs/device-protocol.md §2: canonical JSON (RFC 8785) without
``sig``, base64url signatures, UTC times with a ``Z``."""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any

import rfc8785

PROTOCOL_VERSION = 1
ZERO_HASH = "0" * 64
QR_PREFIX = "ZYSTAMP:"


class DeviceError(Exception):
    """The terminal refuses (no grant, wrong code, server said no)."""


def canonical(message: dict[str, Any]) -> bytes:
    return rfc8785.dumps({k: v for k, v in message.items() if k != "sig"})


def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64u_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def now_utc(offset_seconds: float = 0.0) -> dt.datetime:
    return dt.datetime.now(dt.UTC) + dt.timedelta(seconds=offset_seconds)


def iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_time(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text[:-1] + "+00:00")
