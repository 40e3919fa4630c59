from __future__ import annotations

import pytest
from django.core.management import call_command

from zhiyin.lib.idcard import id_number_is_valid
from zhiyin.orgs.models import Person, Role, RoleGrant, Village, VillageGroup
from zhiyin.seals.models import Seal

pytestmark = pytest.mark.django_db


def test_the_demo_district_has_32_villages_and_276_group_leaders(
    capsys: pytest.CaptureFixture[str],
) -> None:
    call_command("load_demo", residents_per_village=3)
    assert Village.objects.count() == 32
    assert VillageGroup.objects.count() == 276
    assert RoleGrant.objects.active().filter(role=Role.GROUP_LEADER).count() == 276
    for village in Village.objects.all():
        grants = RoleGrant.objects.active().filter(village=village, group__isnull=True)
        assert grants.filter(role=Role.CUSTODIAN).count() == 2
        assert grants.filter(role=Role.SECRETARY).count() == 1
        assert grants.filter(role=Role.CLERK).count() == 1
    assert {"水南村", "北岭村", "城西村"} <= set(Village.objects.values_list("name", flat=True))
    assert Seal.objects.filter(village__name="水南村", is_electronic=True).exists()
    residents = Person.objects.filter(id_number__isnull=False)
    assert residents.count() == 32 * 3
    assert all(id_number_is_valid(p.id_number or "") for p in residents)
    from zhiyin.catalog.models import Matter

    assert Matter.objects.count() == 128
    out = capsys.readouterr().out
    for username in (
        "sn_resident01",
        "sn_clerk",
        "sn_leader1",
        "sn_secretary",
        "sn_custodian1",
        "inspector",
        "admin",
        "nyj_officer",
    ):
        assert username in out


def test_loading_twice_changes_nothing() -> None:
    call_command("load_demo", residents_per_village=1, places_only=True)
    people = Person.objects.count()
    call_command("load_demo", residents_per_village=1, places_only=True)
    assert Person.objects.count() == people
