"""API tokens: bearer authentication for integrations, stored as hashes, revocable,
made by their person or an admin in scope."""

from __future__ import annotations

import pytest
from django.test import Client

from conftest import World
from zhiyin.core.errors import RuleViolation
from zhiyin.orgs.models import ApiToken
from zhiyin.orgs.tokens import api_token_create, api_token_revoke

pytestmark = pytest.mark.django_db

BASE = "/api/requests/"  # any endpoint behind ApiTokenAuth


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_a_revoked_token_stops_working(world: World) -> None:
    record, token = api_token_create(person=world.sn_clerk, name="旧系统", by=world.sn_clerk)
    assert Client().get(BASE, headers=_bearer(token)).status_code == 200
    assert ApiToken.objects.get(pk=record.pk).last_used_at is not None
    api_token_revoke(token=record, by=world.sn_clerk)
    assert Client().get(BASE, headers=_bearer(token)).status_code == 401


def test_only_the_hash_of_a_token_is_stored(world: World) -> None:
    record, token = api_token_create(person=world.sn_clerk, name="x", by=None)
    assert token not in record.token_hash and len(record.token_hash) == 64


def test_the_command_prints_a_working_token(world: World) -> None:
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("api_token_create", "bl_clerk", "北岭对接", stdout=out)
    token = out.getvalue().strip()
    assert Client().get(BASE, headers=_bearer(token)).status_code == 200


def test_it_refuses_a_token_for_someone_outside_the_admins_scope(world: World) -> None:
    with pytest.raises(RuleViolation):
        api_token_create(person=world.bl_clerk, name="越权", by=world.sn_admin)
    with pytest.raises(RuleViolation):
        api_token_create(person=world.sn_clerk, name="  ", by=world.sn_clerk)
    assert not ApiToken.objects.exists()
