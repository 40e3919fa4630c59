"""Each role's home lists what waits for them, with counts; every menu entry opens."""

from __future__ import annotations

import pytest

from conftest import World, client_for
from zhiyin.approvals.services import document_view_record, seal_request_approve
from zhiyin.delivery.models import Notification
from zhiyin.orgs.models import Role, RoleGrant
from zhiyin.orgs.selectors import access_for
from zhiyin.orgs.services import role_grant_create, role_grant_revoke
from zhiyin.portal.services.handling import application_accept
from zhiyin.portal.tests.conftest import Services
from zhiyin.portal.tests.scenario import Day, day_in_the_village, personas
from zhiyin.workspace.menu import MENU, MenuEntry, menu_add, menu_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def day(world: World, services: Services) -> Day:
    return day_in_the_village(world, services)


@pytest.mark.parametrize(
    "role",
    ["resident", "clerk", "leader", "secretary", "custodian", "officer", "inspector", "admin"],
)
def test_every_menu_entry_of_a_role_opens(world: World, day: Day, role: str) -> None:
    person = personas(world)[role]
    client = client_for(person)
    entries = menu_for(access_for(person))
    assert len(entries) >= 3
    for entry in entries:
        answer = client.get(entry.url, follow=True)
        assert answer.status_code == 200, (role, entry.url)
        assert not any("login" in url for url, _status in answer.redirect_chain), entry.url


def test_the_menu_shows_each_role_its_own_pages(world: World, day: Day) -> None:
    def keys(role: str) -> set[str]:
        return {e.key for e in menu_for(access_for(personas(world)[role]))}

    assert {"clerk", "request_new", "requests", "seals"} <= keys("clerk")
    assert "sealing" in keys("custodian") and "sealing" not in keys("leader")
    assert "bureau" in keys("officer") and "inbox" not in keys("officer")
    assert {"portal", "ask"} <= keys("resident") and "requests" not in keys("resident")
    assert {"register_import", "admin"} <= keys("admin")


def test_an_app_adds_its_page_to_the_menu_for_its_roles(world: World) -> None:
    entry = MenuEntry("extra", "额外", "verify", frozenset({"inspector"}))
    menu_add(entry)
    try:
        assert entry in menu_for(access_for(world.inspector))
        assert entry not in menu_for(access_for(world.sn_clerk))
        assert [e.key for e in MENU][-2:] == ["notifications", "password"]
    finally:
        MENU.remove(entry)


def test_the_leader_sees_what_to_decide_with_the_time_left(world: World, day: Day) -> None:
    text = client_for(world.sn_leader1).get("/").content.decode()
    assert 'id="work-to_decide"' in text
    assert day.waiting_for_leader.seal_request is not None
    assert day.waiting_for_leader.seal_request.number in text
    assert "还剩" in text


def test_the_clerk_sees_applications_to_accept(world: World, day: Day) -> None:
    text = client_for(world.sn_clerk).get("/").content.decode()
    assert 'id="work-to_accept"' in text and day.waiting_for_clerk.number in text


def test_a_custodian_is_told_why_they_may_not_seal(world: World, day: Day) -> None:
    text = client_for(world.sn_custodian1).get("/").content.decode()
    assert 'id="work-to_seal"' in text and "审用分离" not in text
    # the group leader becomes a custodian too: they approved it, so they may not seal it
    second = RoleGrant.objects.active().get(person=world.sn_custodian2, role=Role.CUSTODIAN)
    role_grant_revoke(grant=second, by=None)
    role_grant_create(person=world.sn_leader1, role=Role.CUSTODIAN, village=world.shuinan, by=None)
    text = client_for(world.sn_leader1).get("/").content.decode()
    assert 'id="work-to_seal"' in text and "您审批过这件申请" in text


def test_the_resident_sees_their_applications(world: World, day: Day) -> None:
    text = client_for(world.sn_resident).get("/").content.decode()
    assert 'id="work-mine"' in text and day.approved.number in text


def test_the_menu_counts_unread_notices_and_opening_one_reads_it(world: World, day: Day) -> None:
    client = client_for(world.sn_leader1)
    notice = Notification.objects.filter(person=world.sn_leader1, read_at__isnull=True).first()
    assert notice is not None
    unread = Notification.objects.filter(person=world.sn_leader1, read_at__isnull=True).count()
    assert f'<span class="count">{unread}</span>' in client.get("/notifications/").content.decode()
    answer = client.get(f"/notifications/{notice.pk}/")
    assert answer.status_code == 302 and answer["Location"] == notice.link
    notice.refresh_from_db()
    assert notice.read_at is not None


def test_a_notice_of_someone_else_does_not_open(world: World, day: Day) -> None:
    notice = Notification.objects.filter(person=world.sn_leader1).first()
    assert notice is not None
    assert client_for(world.sn_clerk).get(f"/notifications/{notice.pk}/").status_code == 404


def test_a_to_do_notice_closes_when_the_step_is_decided(world: World, day: Day) -> None:
    request = day.waiting_for_leader.seal_request
    assert request is not None
    to_do = Notification.objects.filter(
        person=world.sn_leader1,
        event="seal_request.step_activated",
        link__endswith=f"/{request.pk}/",
    )
    assert to_do.filter(read_at__isnull=True).exists()
    for document in request.documents.all():
        document_view_record(document=document, by=world.sn_leader1)
    seal_request_approve(request=request, by=world.sn_leader1)
    assert not to_do.filter(read_at__isnull=True).exists()
    # the next step's notice to the secretary stays open
    assert Notification.objects.filter(
        person=world.sn_secretary,
        event="seal_request.step_activated",
        link__endswith=f"/{request.pk}/",
        read_at__isnull=True,
    ).exists()


def test_accepting_an_application_closes_the_other_clerks_notices(world: World, day: Day) -> None:
    notices = Notification.objects.filter(
        event="application.to_handle", link__endswith=f"/{day.waiting_for_clerk.pk}/"
    )
    assert notices.filter(read_at__isnull=True).exists()
    application_accept(application=day.waiting_for_clerk, by=world.sn_clerk)
    assert not notices.filter(read_at__isnull=True).exists()
