"""The probe's case: a resident opened the staff request page and the audit trace of their
own request and read the officials' names, although their district shows residents roles
only (the progress page already did). Now both pages follow the district setting."""

from __future__ import annotations

import pytest
from django.urls import reverse

from conftest import World, client_for
from zhiyin.portal.services.district import portal_settings_update
from zhiyin.portal.services.handling import application_accept
from zhiyin.portal.tests.conftest import Services
from zhiyin.portal.tests.test_applications import approve_all, submit

pytestmark = pytest.mark.django_db


def _pages(world: World, services: Services) -> tuple[str, str]:
    application = submit(world, services)
    request = application_accept(application=application, by=world.sn_clerk)
    application.refresh_from_db()
    approve_all(world, application)
    return (
        reverse("seal_request_detail", args=[request.pk]),
        f"/audit/trace/approvals.sealrequest/{request.pk}/",
    )


def test_a_resident_sees_roles_not_names_unless_the_district_shows_them(
    world: World, services: Services
) -> None:
    detail, trace = _pages(world, services)
    officials = [world.sn_clerk, world.sn_leader1, world.sn_secretary]
    resident = client_for(world.sn_resident)
    for url in (detail, trace):
        page = resident.get(url)
        assert page.status_code == 200
        text = page.content.decode()
        assert not [p.real_name for p in officials if p.real_name in text], url
    assert "支部书记" in resident.get(detail).content.decode()
    assert "工作人员" in resident.get(trace).content.decode()
    # The signed export names everyone and cannot be masked: residents get none here.
    assert resident.get(trace + "bundle.json").status_code == 403

    # Staff in scope always see who decided.
    assert world.sn_leader1.real_name in client_for(world.sn_secretary).get(detail).content.decode()

    portal_settings_update(
        district=world.district, show_official_names=True, by=world.district_admin
    )
    for url in (detail, trace):
        text = resident.get(url).content.decode()
        assert world.sn_secretary.real_name in text, url
