"""Bureau endpoints: the receiving URLs a district admin registers for a bureau (public
addresses only unless allowed), their Standard Webhooks secrets and event filters; every
change is audited."""

from __future__ import annotations

import base64
import binascii
import secrets
from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from standardwebhooks.webhooks import (
    EmptyWebhookSecretError,
    Webhook,
)

from zhiyin.audit.services import audit_record
from zhiyin.core.actors import Actor, BureauRef
from zhiyin.core.errors import RuleViolation
from zhiyin.delivery.directory import is_district_admin
from zhiyin.delivery.models import (
    BureauEndpoint,
)
from zhiyin.delivery.transport import target_resolve


def endpoint_secret_generate() -> str:
    """A Standard Webhooks secret: `whsec_` + base64 of 24 random bytes."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def event_types_clean(event_types: Sequence[str]) -> list[str]:
    """The event names, stripped, deduplicated and sorted; refuses a malformed one."""
    cleaned = sorted({e.strip() for e in event_types if e.strip()})
    for e in cleaned:
        if len(e) > 60 or not all(c.isalnum() or c in "._-" for c in e):
            raise RuleViolation(_("事件名称只能包含字母、数字和 . _ -：%(event)s") % {"event": e})
    return cleaned


def _endpoint_data(endpoint: BureauEndpoint) -> dict[str, Any]:
    return {
        "bureau": endpoint.bureau_id,
        "url": endpoint.url,
        "event_types": endpoint.event_types,
        "active": endpoint.active,
        "inline_pdf": endpoint.inline_pdf,
        "allow_private": endpoint.allow_private,
    }


@transaction.atomic
def endpoint_register(
    *,
    bureau: BureauRef,
    url: str,
    by: Actor | None,
    event_types: Sequence[str] = (),
    inline_pdf: bool = False,
    allow_private: bool = False,
    description: str = "",
    secret: str = "",
) -> BureauEndpoint:
    """A district admin registers a bureau's receiving URL. The URL must resolve to public
    addresses unless `allow_private` (district admins only). Returns the endpoint, whose
    `secret` is shown once to hand to the bureau."""
    if not is_district_admin(by, bureau.district_id):
        raise RuleViolation(_("只有区系统管理员可以登记职能部门接收地址。"))
    url = url.strip()
    if len(url) > 500:
        raise RuleViolation(_("接收地址太长（最多 500 个字符）。"))
    target_resolve(url, allow_private=allow_private)
    if secret:
        try:
            Webhook(secret)
        except (ValueError, binascii.Error, EmptyWebhookSecretError) as exc:
            raise RuleViolation(_("签名密钥必须是 whsec_ 开头的 base64 字符串。")) from exc
    endpoint = BureauEndpoint.objects.create(
        bureau_id=bureau.id,
        url=url,
        secret=secret or endpoint_secret_generate(),
        event_types=event_types_clean(event_types),
        inline_pdf=inline_pdf,
        allow_private=allow_private,
        description=description.strip()[:200],
    )
    audit_record(
        actor=by,
        action="bureau_endpoint.register",
        target=endpoint,
        after=_endpoint_data(endpoint),
        scope=bureau.name,
    )
    return endpoint


@transaction.atomic
def endpoint_update(
    *,
    endpoint: BureauEndpoint,
    by: Actor | None,
    url: str | None = None,
    event_types: Sequence[str] | None = None,
    active: bool | None = None,
    inline_pdf: bool | None = None,
    allow_private: bool | None = None,
) -> BureauEndpoint:
    """Change an endpoint; re-enabling it clears its failure record."""
    endpoint = BureauEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    if not is_district_admin(by, endpoint.bureau.district_id):
        raise RuleViolation(_("只有区系统管理员可以修改职能部门接收地址。"))
    before = _endpoint_data(endpoint)
    if url is not None:
        endpoint.url = url.strip()
    if allow_private is not None:
        endpoint.allow_private = allow_private
    if url is not None or allow_private is not None:
        target_resolve(endpoint.url, allow_private=endpoint.allow_private)
    if event_types is not None:
        endpoint.event_types = event_types_clean(event_types)
    if inline_pdf is not None:
        endpoint.inline_pdf = inline_pdf
    if active is not None:
        if active and not endpoint.active:
            endpoint.failing_since = None
            endpoint.disabled_at = None
            endpoint.disabled_reason = ""
        endpoint.active = active
    endpoint.save()
    audit_record(
        actor=by,
        action="bureau_endpoint.update",
        target=endpoint,
        before=before,
        after=_endpoint_data(endpoint),
        scope=endpoint.bureau.name,
    )
    return endpoint
