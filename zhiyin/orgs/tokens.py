"""API tokens: an integration calls the JSON API as one person, with that person's grants.

Only a token's SHA-256 is stored; the token is shown once, at creation. Creating and
revoking are audited; `api_token_person` is the lookup the API's bearer auth uses.
"""

from __future__ import annotations

import hashlib
import secrets

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zhiyin.audit.services import audit_record
from zhiyin.core.errors import RuleViolation
from zhiyin.orgs.models import ApiToken, Person
from zhiyin.orgs.selectors import access_for

API_TOKEN_PREFIX = "zy_"  # noqa: S105  # a public prefix, not a secret


def api_token_hash(token: str) -> str:
    """What is stored of a token: its SHA-256, so a leaked table grants nothing."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@transaction.atomic
def api_token_create(*, person: Person, name: str, by: Person | None) -> tuple[ApiToken, str]:
    """Make a token for `person`; returns the record and the token, shown only this once.

    A person makes their own tokens; an admin whose grants cover the person's village
    (or district) may make one for them."""
    if not name.strip():
        raise RuleViolation(_("请填写令牌名称，例如对接的系统名。"))
    if by is not None and by.pk != person.pk:
        access = access_for(by)
        village = person.home_village
        if not (access.is_district_admin or (village is not None and access.administers(village))):
            raise RuleViolation(_("只能为本人或所管理范围内的人员创建接口令牌。"))
    token = API_TOKEN_PREFIX + secrets.token_urlsafe(32)
    record = ApiToken.objects.create(
        person=person, name=name.strip()[:100], token_hash=api_token_hash(token)
    )
    audit_record(
        actor=by,
        action="api_token.create",
        target=record,
        after={"person": person.pk, "name": record.name},
    )
    return record, token


@transaction.atomic
def api_token_revoke(*, token: ApiToken, by: Person | None) -> ApiToken:
    """Revoke `token` (once; revoking again changes and records nothing)."""
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_record(
            actor=by, action="api_token.revoke", target=token, after={"person": token.person_id}
        )
    return token


def api_token_person(token: str) -> Person | None:
    """The active person a presented token belongs to, or None. Notes the last use."""
    if not token.startswith(API_TOKEN_PREFIX):
        return None
    record = (
        ApiToken.objects.select_related("person")
        .filter(token_hash=api_token_hash(token), revoked_at__isnull=True)
        .first()
    )
    if record is None or not record.person.is_active:
        return None
    ApiToken.objects.filter(pk=record.pk).update(last_used_at=timezone.now())
    person: Person = record.person
    return person
