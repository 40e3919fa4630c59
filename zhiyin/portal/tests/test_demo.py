"""The demo resident's own application: submitted and accepted through the services, so
the progress page (办理进度) has a story to show; loading again adds nothing."""

from __future__ import annotations

import pytest

from conftest import World, client_for
from zhiyin.approvals.models import RequestStatus
from zhiyin.portal.demo import DEMO_RESIDENT, resident_application_demo_load
from zhiyin.portal.models import Application, ApplicationStatus
from zhiyin.portal.tests.conftest import Services

pytestmark = pytest.mark.django_db


def test_the_demo_resident_has_an_application_in_approval(world: World, services: Services) -> None:
    resident = world.sn_resident
    resident.username = DEMO_RESIDENT
    resident.save(update_fields=["username"])

    assert resident_application_demo_load() == 1
    application = Application.objects.get(resident=resident)
    assert application.service == services.film and application.amount is not None
    assert application.status == ApplicationStatus.PROCESSING
    request = application.seal_request
    assert request is not None and request.status == RequestStatus.SUBMITTED
    assert request.applicant == world.sn_clerk

    page = client_for(resident).get(f"/portal/applications/{application.pk}/")
    text = page.content.decode()
    assert page.status_code == 200
    assert "已提交，等待村委会受理。" in text and "村委会已受理，进入审批。" in text
    assert "180.00 元" in text  # 2.5 亩 × 72 元

    assert resident_application_demo_load() == 0
    assert Application.objects.filter(resident=resident).count() == 1


def test_without_the_demo_resident_nothing_is_made(world: World, services: Services) -> None:
    assert resident_application_demo_load() == 0
    assert not Application.objects.exists()
