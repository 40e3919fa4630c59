"""What makes the busiest pages cheap keeps them right: the request list in pages that
continue after the last row, the menu's badges counted in one query and capped, and the
holder check from the grants already loaded."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from conftest import World, client_for
from zhiyin.approvals import views
from zhiyin.approvals.models import ApprovalStep, SealRequest
from zhiyin.approvals.selectors import access_holds_step, inbox_for, person_holds_step
from zhiyin.approvals.services import seal_request_submit
from zhiyin.approvals.tests.conftest import Catalog, request_make
from zhiyin.delivery.selectors import notifications_for
from zhiyin.orgs.selectors import access_for
from zhiyin.workspace.selectors import counts_at_most, counts_for

pytestmark = pytest.mark.django_db


def _numbers(html: str, requests: list[SealRequest]) -> list[str]:
    return [r.number for r in requests if r.number in html]


def test_the_request_list_pages_on_from_the_last_row(
    world: World, catalog: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(views, "LIST_PAGE", 2)
    made = [request_make(world, catalog.matter, purpose=f"第{n}件") for n in range(5)]
    # Two share one creation time: the id decides their order, and neither is lost.
    SealRequest.objects.filter(pk=made[2].pk).update(created_at=made[1].created_at)
    newest_first = sorted(
        SealRequest.objects.filter(pk__in=[r.pk for r in made]),
        key=lambda r: (r.created_at, r.pk),
        reverse=True,
    )
    client = client_for(world.sn_clerk)
    seen: list[str] = []
    url = reverse("seal_request_list")
    for _page in range(3):
        response = client.get(url)
        assert response.status_code == 200
        html = response.content.decode()
        shown = _numbers(html, newest_first)
        assert len(shown) <= 2
        seen += shown
        older = response.context["older"]
        if not older:
            break
        assert "更早的申请" in html
        url = f"{reverse('seal_request_list')}?before={older}"
    assert seen == [r.number for r in newest_first]


@pytest.mark.parametrize("before", ["x", "1.2.3", "-5.1", "9" * 40 + ".1", ".", "12."])
def test_a_malformed_list_position_shows_the_newest(
    world: World, catalog: Catalog, before: str
) -> None:
    request = request_make(world, catalog.matter)
    response = client_for(world.sn_clerk).get(reverse("seal_request_list"), {"before": before})
    assert response.status_code == 200
    assert request.number in response.content.decode()


def test_a_list_position_before_everything_shows_an_empty_page(
    world: World, catalog: Catalog
) -> None:
    request = request_make(world, catalog.matter)
    response = client_for(world.sn_clerk).get(reverse("seal_request_list"), {"before": "0.1"})
    assert response.status_code == 200
    html = response.content.decode()
    assert request.number not in html and "您的范围内没有用印申请" in html
    assert "最新的申请" in html


def test_the_menu_counts_match_counting_each_list_and_take_one_query(
    world: World, catalog: Catalog
) -> None:
    for _ in range(3):
        seal_request_submit(request=request_make(world, catalog.matter), by=world.sn_clerk)
    person = world.sn_leader1
    access = access_for(person)
    with CaptureQueriesContext(connection) as queries:
        counts = counts_for(access=access, person=person)
    assert len(queries) == 1
    assert counts["to_decide"] == inbox_for(access=access).count() == 3
    assert counts["unread"] == notifications_for(person=person, unread_only=True).count()
    # The cap: counting stops there, and an empty list costs no SQL of its own.
    capped = counts_at_most(
        {"steps": inbox_for(access=access), "none": ApprovalStep.objects.none()}, 2
    )
    assert capped == {"steps": 2, "none": 0}


def test_a_capped_badge_reads_999_plus(
    world: World, catalog: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    from zhiyin.workspace import context_processors

    for _ in range(2):
        seal_request_submit(request=request_make(world, catalog.matter), by=world.sn_clerk)
    monkeypatch.setattr(context_processors, "COUNT_CAP", 2)
    monkeypatch.setattr("zhiyin.workspace.selectors.COUNT_CAP", 2)
    html = client_for(world.sn_leader1).get(reverse("inbox")).content.decode()
    assert '<span class="count">1+</span>' in html


def test_the_holder_check_from_loaded_grants_agrees_with_the_database(
    world: World, catalog: Catalog
) -> None:
    request = seal_request_submit(request=request_make(world, catalog.matter), by=world.sn_clerk)
    steps = list(ApprovalStep.objects.filter(request=request))
    people = [
        world.sn_leader1,
        world.sn_leader2,
        world.sn_secretary,
        world.sn_custodian1,
        world.sn_clerk,
        world.inspector,
        world.bl_secretary,
        world.officer,
    ]
    for step in steps:
        for person in people:
            assert access_holds_step(access_for(person), step) == person_holds_step(person, step)
    # A revoked grant holds nothing.
    grant = world.sn_leader1.grants.get(role="group_leader", group=world.sn_group1)
    grant.revoked_at = dt.datetime.now(dt.UTC)
    grant.save()
    first = steps[0]
    assert not access_holds_step(access_for(world.sn_leader1), first)
    assert not person_holds_step(world.sn_leader1, first)
