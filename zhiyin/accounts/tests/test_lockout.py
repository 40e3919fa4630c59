"""The probe's brute force (25 wrong passwords in 6 s, then the right one logged in) no
longer works: the account locks after LOGIN_FAILURE_LIMIT failures whichever login name
is typed, so does the address (after its own, larger limit), each lockout is audited, and
the district's security admin unlocks."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from conftest import World, client_for
from zhiyin.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

RIGHT = "Right-password-2026"


def _try(client: Client, login: str, password: str) -> Any:
    return client.post(reverse("login"), {"username": login, "password": password})


@pytest.fixture
def alice(world: World) -> Any:
    person = world.sn_custodian1
    person.phone = "13900001111"
    person.set_password(RIGHT)
    person.save()
    return person


def test_the_right_password_after_repeated_failures_is_refused(
    world: World, alice: Any, settings: Any
) -> None:
    client = Client(REMOTE_ADDR="10.0.0.1")
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        # Alternating login name and phone counts against the same account.
        login = alice.username if attempt % 2 else alice.phone
        response = _try(client, login, f"wrong-{attempt}")
        # The failure that reaches the limit is answered with the lockout already.
        last = attempt == settings.AXES_FAILURE_LIMIT - 1
        assert response.status_code == (429 if last else 200)
    response = _try(Client(REMOTE_ADDR="10.0.0.2"), alice.username, RIGHT)
    assert response.status_code == 429
    assert "登录已锁定" in response.content.decode()
    assert "_auth_user_id" not in client.session
    events = AuditEvent.objects.filter(action="person.locked_out")
    assert events.exists() and all(json.loads(e.after)["login"] == alice.username for e in events)


def test_an_address_that_tries_many_accounts_is_locked(
    world: World, alice: Any, settings: Any
) -> None:
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 8
    client = Client(REMOTE_ADDR="10.0.0.9")
    for n in range(settings.LOGIN_ADDRESS_FAILURE_LIMIT):
        _try(client, f"nobody{n}", "wrong")
    assert _try(client, alice.username, RIGHT).status_code == 429
    # The account itself is not locked: from another address it logs in.
    assert _try(Client(REMOTE_ADDR="10.0.0.10"), alice.username, RIGHT).status_code == 302
    events = AuditEvent.objects.filter(action="person.locked_out")
    assert any(json.loads(e.after)["address"] == "10.0.0.9" for e in events)


def test_an_office_behind_one_address_is_not_locked_by_a_few_typos(
    world: World, alice: Any, settings: Any
) -> None:
    """The account limit and the address limit are separate: a few people of one village
    office mistyping (fewer than the address limit in all) lock nobody else out."""
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 8
    office = Client(REMOTE_ADDR="10.0.0.20")
    for n in range(settings.AXES_FAILURE_LIMIT):
        _try(office, f"colleague{n % 2}", f"typo-{n}")
    assert _try(office, alice.username, RIGHT).status_code == 302


def test_the_security_admin_sees_and_clears_the_lockout(
    world: World, alice: Any, settings: Any
) -> None:
    for n in range(settings.AXES_FAILURE_LIMIT):
        _try(Client(REMOTE_ADDR=f"10.0.1.{n}"), alice.username, "wrong")
    assert _try(Client(REMOTE_ADDR="10.0.2.1"), alice.username, RIGHT).status_code == 429

    admin = client_for(world.security_admin)
    page = admin.get(reverse("accounts_lockouts")).content.decode()
    assert alice.username in page
    admin.post(reverse("accounts_lockout_clear"), {"key": f"login:{alice.username}"})
    assert "目前没有被锁定" in admin.get(reverse("accounts_lockouts")).content.decode()
    assert AuditEvent.objects.filter(action="person.unlocked", actor_id=world.security_admin.pk)
    assert _try(Client(REMOTE_ADDR="10.0.2.1"), alice.username, RIGHT).status_code == 302


@pytest.mark.parametrize(
    "person", ["sn_admin", "district_admin", "audit_admin", "sn_secretary", "sn_custodian2", None]
)
def test_only_security_admins_see_lockouts(world: World, person: str | None) -> None:
    client = client_for(getattr(world, person) if person else None)
    response = client.get(reverse("accounts_lockouts"))
    assert response.status_code in (302, 403)
    response = client.post(reverse("accounts_lockout_clear"), {"key": "address:10.0.0.1"})
    assert response.status_code in (302, 403)
