"""Start-up checks of the security-key (WebAuthn) settings: a key is bound to one host
name, so a relying-party id that no allowed origin belongs to makes every registration
and every key sign-in fail, and `localhost` in production binds keys to no real host."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning

LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


def webauthn_settings_check(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """zhiyin.E003: an allowed origin outside the relying-party id's host;
    zhiyin.W001: a local relying-party id with DEBUG off."""
    rp_id = str(getattr(settings, "OTP_WEBAUTHN_RP_ID", "")).lower()
    origins = [str(o) for o in getattr(settings, "OTP_WEBAUTHN_ALLOWED_ORIGINS", [])]
    problems: list[CheckMessage] = []
    for origin in origins:
        host = (urlsplit(origin).hostname or "").lower()
        if host != rp_id and not host.endswith(f".{rp_id}"):
            problems.append(
                Error(
                    f"WEBAUTHN_ORIGINS has {origin!r}, whose host is not WEBAUTHN_RP_ID "
                    f"{rp_id!r} or under it: security keys would fail there (安全密钥无法使用).",
                    hint="Set WEBAUTHN_RP_ID to the host name staff open (e.g. zhiyin.example.gov.cn) "
                    "and WEBAUTHN_ORIGINS to its https origin.",
                    id="zhiyin.E003",
                )
            )
    if not settings.DEBUG and rp_id in LOCAL_HOSTS:
        problems.append(
            Warning(
                f"WEBAUTHN_RP_ID is {rp_id!r} with DEBUG=false: security keys registered now "
                "work only on this machine's own browser.",
                hint="Set WEBAUTHN_RP_ID and WEBAUTHN_ORIGINS to the served host name before "
                "anyone registers a key (keys cannot be moved to another host name).",
                id="zhiyin.W001",
            )
        )
    return problems
