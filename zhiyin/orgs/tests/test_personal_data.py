"""Staff see a resident's ID number and phone masked; "显示完整" needs a reason and is an
audited event (who, whose, why) the resident finds on their own page."""

from __future__ import annotations

import json

import pytest

from conftest import World, client_for
from zhiyin.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def _url(world: World) -> str:
    return f"/villages/{world.shuinan.pk}/residents/{world.sn_resident.pk}/personal-data/"


def test_full_values_only_with_a_reason_and_on_record(world: World) -> None:
    resident = world.sn_resident
    id_number, phone = str(resident.id_number), str(resident.phone)
    client = client_for(world.sn_clerk)
    page = client.get(_url(world)).content.decode()
    assert resident.id_number_masked in page and id_number not in page
    assert phone not in page and "显示完整" in page

    refused = client.post(_url(world), {"reason": ""})
    assert refused.status_code == 400 and "请写明查看事由" in refused.content.decode()
    assert id_number not in refused.content.decode()
    assert not AuditEvent.objects.filter(action="person.personal_data_view").exists()

    shown = client.post(_url(world), {"reason": "核对补贴申请人身份"}).content.decode()
    assert id_number in shown and phone in shown
    event = AuditEvent.objects.get(action="person.personal_data_view")
    assert event.actor_id == world.sn_clerk.pk
    assert event.target_type == "orgs.person" and event.target_id == str(resident.pk)
    assert json.loads(event.after)["reason"] == "核对补贴申请人身份"

    mine = client_for(resident).get("/portal/my-data/").content.decode()
    assert "核对补贴申请人身份" in mine


def test_staff_of_another_village_and_residents_get_nothing(world: World) -> None:
    for person in (world.bl_clerk, world.bl_resident, world.sn_resident):
        assert client_for(person).get(_url(world)).status_code == 404
        assert client_for(person).post(_url(world), {"reason": "随便看看吧"}).status_code == 404
    assert not AuditEvent.objects.filter(action="person.personal_data_view").exists()
