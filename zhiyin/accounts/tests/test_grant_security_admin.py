"""`manage.py grant_security_admin`: an installation made before 三员分立 gets its
security (or audit) administrator from the command line, checked and audited."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from conftest import World
from zhiyin.audit.models import AuditEvent
from zhiyin.orgs.models import District, Role, RoleGrant
from zhiyin.orgs.selectors import access_for

pytestmark = pytest.mark.django_db


def test_it_grants_the_role_once_and_audits_it(world: World) -> None:
    person = world.sn_clerk
    out = io.StringIO()
    call_command("grant_security_admin", person.username, stdout=out)
    assert person.username in out.getvalue()
    grant = RoleGrant.objects.active().get(person=person, role=Role.SECURITY_ADMIN)
    assert grant.district_id == world.district.pk
    assert access_for(person).is_security_admin
    event = AuditEvent.objects.get(action="role_grant.create", target_id=str(grant.pk))
    assert event.actor_id is None
    with pytest.raises(CommandError, match="此人已拥有该授权"):
        call_command("grant_security_admin", person.username)
    assert RoleGrant.objects.active().filter(person=person, role=Role.SECURITY_ADMIN).count() == 1


def test_it_grants_the_audit_role_by_phone(world: World) -> None:
    person = world.sn_clerk
    call_command("grant_security_admin", person.phone, "--role", "audit", stdout=io.StringIO())
    assert access_for(person).is_audit_admin
    assert not access_for(person).is_security_admin


def test_unknown_people_and_ambiguous_districts_are_refused(world: World) -> None:
    with pytest.raises(CommandError, match="No person"):
        call_command("grant_security_admin", "nobody-here")
    District.objects.create(name="天涯区", code="460204")
    with pytest.raises(CommandError, match="--district"):
        call_command("grant_security_admin", world.sn_clerk.username)
    with pytest.raises(CommandError, match="No active district"):
        call_command("grant_security_admin", world.sn_clerk.username, "--district", "999999")
    call_command(
        "grant_security_admin",
        world.sn_clerk.username,
        "--district",
        world.district.code,
        stdout=io.StringIO(),
    )
    assert (
        RoleGrant.objects.active()
        .filter(person=world.sn_clerk, role=Role.SECURITY_ADMIN, district=world.district)
        .exists()
    )
    assert not RoleGrant.objects.filter(role=Role.SECURITY_ADMIN, district__code="460204").exists()
