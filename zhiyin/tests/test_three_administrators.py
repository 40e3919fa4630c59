"""三员分立: the system, security and audit administrators each do their own work and are
refused the others'. The system admin configures places and the catalog; the security admin
grants roles, resets second factors and clears lockouts, and reads no document; the audit
admin reads the log and traces and changes no person or role."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from conftest import World, client_for
from zhiyin.accounts.testing import totp_known_device
from zhiyin.audit.models import AuditEvent
from zhiyin.orgs.models import Role
from zhiyin.portal.tests.conftest import (  # the portal's and sealing's own test setup
    Services,
    _media_in_tmp,  # noqa: F401  # autouse fixture
    services,  # noqa: F401  # fixture
)
from zhiyin.sealing.tests.conftest import Sealing, sealing  # noqa: F401  # fixture
from zhiyin.tests.matrix_world import matrix_ids

pytestmark = pytest.mark.django_db


@pytest.fixture
def ids(world: World, services: Services, sealing: Sealing) -> dict[str, Any]:  # noqa: F811
    return matrix_ids(world, services, sealing)


def _pages(ids: dict[str, Any]) -> dict[str, tuple[str, str]]:
    """Each administrator's own pages (method, URL)."""
    document = f"/requests/{ids['request']}/documents/{ids['document']}/"
    return {
        # the system admin's
        "places": ("GET", reverse("admin:orgs_village_add")),
        "catalog": ("GET", reverse("admin:catalog_matter_changelist")),
        "people": ("GET", reverse("admin:orgs_person_add")),
        # the security admin's
        "grants": ("GET", reverse("admin:orgs_rolegrant_add")),
        "second_factors": ("GET", reverse("accounts_staff_factors")),
        "lockouts": ("GET", reverse("accounts_lockouts")),
        # the audit admin's
        "security_log": ("GET", reverse("accounts_security_log")),
        "trace": ("GET", f"/audit/trace/approvals.sealrequest/{ids['request']}/"),
        "checkpoints": ("GET", "/api/audit/checkpoints"),
        # a document's content: the request's staff and overseers only
        "document": ("GET", document),
    }


OWN = {
    "district_admin": {
        "places",
        "catalog",
        "people",
        "trace",
        "checkpoints",
        "document",
    },
    "security_admin": {"grants", "second_factors", "lockouts"},
    "audit_admin": {"security_log", "trace", "checkpoints"},
}


@pytest.mark.parametrize("admin", sorted(OWN))
def test_each_administrator_does_their_own_work_and_no_other(
    world: World, ids: dict[str, Any], admin: str
) -> None:
    client = client_for(getattr(world, admin))
    opened: set[str] = set()
    refused: set[str] = set()
    for name, (_method, url) in _pages(ids).items():
        status = client.get(url).status_code
        (opened if status == 200 else refused).add(name)
        # Refused: 403, 404 (not in their sight), or the admin site's 302 to its login.
        assert status in (200, 302, 403, 404), (admin, name, status)
    assert opened == OWN[admin], admin


def test_the_security_admin_resets_a_lost_authenticator_with_a_reason(world: World) -> None:
    totp_known_device(world.sn_custodian1)
    url = reverse("accounts_second_factor_reset", args=[world.sn_custodian1.pk])
    security = client_for(world.security_admin)
    response = security.post(url, {"reason": ""}, follow=True)
    assert "请填写重置原因" in response.content.decode()
    security.post(url, {"reason": "手机丢失，已电话核实本人"})
    assert not world.sn_custodian1.totpdevice_set.exists()
    event = AuditEvent.objects.get(action="person.second_factor_reset")
    assert event.actor_id == world.security_admin.pk and "手机丢失" in event.after


@pytest.mark.parametrize("admin", ["district_admin", "audit_admin", "sn_admin"])
def test_only_the_security_admin_resets_second_factors(world: World, admin: str) -> None:
    totp_known_device(world.sn_custodian1)
    url = reverse("accounts_second_factor_reset", args=[world.sn_custodian1.pk])
    assert client_for(getattr(world, admin)).post(url, {"reason": "试试"}).status_code == 403
    assert world.sn_custodian1.totpdevice_set.exists()


def test_the_security_admin_cannot_reset_their_own_second_factor(world: World) -> None:
    url = reverse("accounts_second_factor_reset", args=[world.security_admin.pk])
    response = client_for(world.security_admin).post(url, {"reason": "自己重置"})
    assert response.status_code == 404
    assert world.security_admin.totpdevice_set.exists()


def test_the_audit_admin_reads_the_sign_in_log_and_changes_nobody(world: World) -> None:
    from django.test import Client

    Client().post(reverse("login"), {"username": "sn_clerk", "password": "wrong-password"})
    client = client_for(world.audit_admin)
    page = client.get(reverse("accounts_security_log")).content.decode()
    assert "登录失败" in page and "sn_clerk" in page
    assert client.get(reverse("admin:index")).status_code in (302, 403)
    grant = world.sn_clerk.grants.get(role=Role.CLERK)
    response = client.post(
        reverse("admin:orgs_rolegrant_changelist"),
        {"action": "revoke_selected", "_selected_action": [grant.pk]},
    )
    assert response.status_code in (302, 403)
    grant.refresh_from_db()
    assert grant.revoked_at is None
