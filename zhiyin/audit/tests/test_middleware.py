"""Refusals raised by any view are recorded as `access.denied` by the audit middleware."""

from __future__ import annotations

import pytest
from django.urls import reverse

from conftest import World, client_for
from zhiyin.audit.models import AuditEvent
from zhiyin.orgs.models import Person

pytestmark = pytest.mark.django_db


def test_a_permission_refusal_in_any_view_is_recorded(world: World) -> None:
    response = client_for(world.sn_clerk).post(
        reverse("seal_status_change", args=[world.sn_committee_seal.pk]), {"action": "suspend"}
    )
    assert response.status_code in {403, 404}
    assert AuditEvent.objects.filter(action="access.denied", actor_id=world.sn_clerk.pk).exists()


def test_anonymous_not_found_is_not_recorded(world: World) -> None:
    before = AuditEvent.objects.count()
    client_for(None).get("/no-such-page/")
    assert AuditEvent.objects.count() == before
    assert isinstance(world.inspector, Person)
