"""Rotating a bureau endpoint's webhook secret without losing a delivery.

Standard Webhooks lets a message carry several signatures (`webhook-signature:
v1,<a> v1,<b>`) and a receiver accepts it when any one verifies. So a rotation keeps the
old secret as `previous_secret` until `previous_secret_until`: meanwhile every delivery is
signed with both (a bureau still holding the old secret, and one already holding the new,
both accept it), and acknowledgements signed with either are taken. After the end time only
the new secret signs and counts; the bureau has until then to install it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zhiyin.audit.services import audit_record
from zhiyin.core.actors import Actor
from zhiyin.core.errors import RuleViolation
from zhiyin.delivery.directory import is_district_admin
from zhiyin.delivery.models import BureauEndpoint
from zhiyin.delivery.services.endpoints import endpoint_secret_generate

DEFAULT_OVERLAP = timedelta(days=7)
MAX_OVERLAP = timedelta(days=90)


def endpoint_secrets(endpoint: BureauEndpoint, *, at: datetime | None = None) -> list[str]:
    """The secrets that sign and verify now: the current one, and the previous one until
    its end time."""
    now = at or timezone.now()
    secrets = [endpoint.secret]
    until = endpoint.previous_secret_until
    if endpoint.previous_secret and until is not None and now < until:
        secrets.append(endpoint.previous_secret)
    return secrets


@transaction.atomic
def endpoint_secret_rotate(
    *, endpoint: BureauEndpoint, by: Actor | None, overlap: timedelta = DEFAULT_OVERLAP
) -> BureauEndpoint:
    """Give the endpoint a new secret; the old one stays valid for `overlap` (signing and
    acknowledgements), then lapses. Returns the endpoint, whose new `secret` is shown once
    to hand to the bureau. Audited without either secret."""
    endpoint = (
        BureauEndpoint.objects.select_for_update().select_related("bureau").get(pk=endpoint.pk)
    )
    if not is_district_admin(by, endpoint.bureau.district_id):
        raise RuleViolation(_("只有区系统管理员可以轮换接收地址的签名密钥。"))
    if not timedelta(0) <= overlap <= MAX_OVERLAP:
        raise RuleViolation(_("新旧密钥并用的时间须在 0 到 90 天之间。"))
    now = timezone.now()
    endpoint.previous_secret = endpoint.secret
    endpoint.previous_secret_until = now + overlap
    endpoint.secret = endpoint_secret_generate()
    endpoint.save(update_fields=["secret", "previous_secret", "previous_secret_until"])
    audit_record(
        actor=by,
        action="bureau_endpoint.secret_rotated",
        target=endpoint,
        after={"previous_valid_until": endpoint.previous_secret_until.isoformat()},
        scope=endpoint.bureau.name,
    )
    return endpoint
