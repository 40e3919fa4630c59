"""A resident sees everything Zhiyin holds about them and who viewed it (PIPL art. 45);
a clerk opening their evidence file is on record with who, whose and why."""

from __future__ import annotations

import json

import pytest

from conftest import World, client_for
from zhiyin.audit.models import AuditEvent
from zhiyin.portal.models import Application
from zhiyin.portal.services.applications import application_submit
from zhiyin.portal.services.district import portal_settings_update
from zhiyin.portal.tests.conftest import VEGETABLE_ANSWERS, Services, photo

pytestmark = pytest.mark.django_db


@pytest.fixture
def application(world: World, services: Services) -> Application:
    return application_submit(
        service=services.vegetable,
        resident=world.sn_resident,
        by=world.sn_resident,
        answers=VEGETABLE_ANSWERS,
        files={"photo": [photo()]},
    )


def test_a_staff_view_of_evidence_is_audited_and_shown_to_the_resident(
    world: World, application: Application
) -> None:
    evidence = application.files.get()
    file_url = f"/portal/applications/{application.pk}/files/{evidence.pk}/"
    assert client_for(world.sn_resident).get(file_url).status_code == 200
    assert not AuditEvent.objects.filter(action="application_file.view").exists()  # own file
    assert client_for(world.sn_clerk).get(file_url).status_code == 200
    event = AuditEvent.objects.get(action="application_file.view")
    assert event.actor_id == world.sn_clerk.pk  # who
    detail = json.loads(event.after)
    assert detail["resident"] == world.sn_resident.pk  # whose
    assert application.number in detail["reason"]  # why

    page = client_for(world.sn_resident).get("/portal/my-data/")
    body = page.content.decode()
    assert page.status_code == 200
    person = world.sn_resident
    id_number = str(person.id_number)
    assert len(id_number) == 18
    for held in (person.real_name, id_number, application.number, evidence.label):
        assert held in body
    assert "谁查看过我的信息" in body and "办理申请" in body
    # The district does not show officials' names to residents: the role-less "工作人员".
    assert world.sn_clerk.real_name not in body and "工作人员" in body
    portal_settings_update(
        district=world.district, show_official_names=True, by=world.district_admin
    )
    assert world.sn_clerk.real_name in client_for(person).get("/portal/my-data/").content.decode()

    # Another resident's page holds nothing of this resident.
    other = client_for(world.bl_resident).get("/portal/my-data/").content.decode()
    assert application.number not in other and id_number not in other
    assert "还没有工作人员查看过您的信息" in other
