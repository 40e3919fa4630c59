"""A seal request's story: its clerk and the resident it is for may read it, inspectors
in scope too, other villages' people not."""

from __future__ import annotations

import pytest
from django.urls import reverse

from conftest import World, client_for
from zhiyin.approvals.tests.conftest import (  # the approvals app's own test setup
    Catalog,
    _media_in_tmp,  # noqa: F401  # autouse fixture: uploads go to a temporary folder
    catalog,  # noqa: F401  # fixture
    request_make,
)
from zhiyin.audit.services import checkpoints_create

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("sn_clerk", 200),  # the applicant
        ("sn_resident", 200),  # the resident it is for
        ("inspector", 200),
        ("sn_admin", 200),
        ("bl_resident", 404),
        ("bl_admin", 404),
        ("sn_custodian1", 404),  # wrong role
    ],
)
def test_the_trace_of_a_seal_request_follows_the_matrix(
    world: World,
    catalog: Catalog,  # noqa: F811  # the imported fixture, requested by name
    persona: str,
    status: int,
) -> None:
    request = request_make(world, catalog.matter, on_behalf_of=world.sn_resident)
    checkpoints_create()
    url = reverse("audit_trace", args=["approvals.sealrequest", request.pk])
    response = client_for(getattr(world, persona)).get(url)
    assert response.status_code == status
    if status == 200:
        assert "badge-active" in response.content.decode()
