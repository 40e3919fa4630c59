"""The JSON API: token and session authentication, the same scoping and rules as the
pages, and the whole flow from draft to approved."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from conftest import World, client_for
from zhiyin.approvals.models import RequestStatus, SealRequest
from zhiyin.approvals.services import seal_request_submit
from zhiyin.approvals.tests.conftest import Catalog, pdf_upload, request_make
from zhiyin.orgs.models import Person
from zhiyin.orgs.tokens import api_token_create

pytestmark = pytest.mark.django_db

BASE = "/api/requests/"


def _token(person: Person) -> str:
    return api_token_create(person=person, name="对接系统", by=person)[1]


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _post(
    client: Client, url: str, data: dict[str, Any], headers: dict[str, str] | None = None
) -> Any:
    return client.post(url, json.dumps(data), content_type="application/json", headers=headers)


def test_anonymous_and_bad_tokens_get_401(world: World, catalog: Catalog) -> None:
    request = request_make(world, catalog.matter)
    for headers in ({}, _bearer("zy_not-a-token"), _bearer("something")):
        assert Client().get(BASE, headers=headers).status_code == 401
        assert Client().get(f"{BASE}{request.pk}", headers=headers).status_code == 401
        assert _post(Client(), f"{BASE}{request.pk}/submit", {}, headers=headers).status_code == 401


@pytest.mark.parametrize(
    "person", ["bl_secretary", "bl_clerk", "bl_admin", "sn_leader2", "officer"]
)
def test_other_villages_and_groups_see_nothing(world: World, catalog: Catalog, person: str) -> None:
    request = seal_request_submit(request=request_make(world, catalog.matter), by=world.sn_clerk)
    headers = _bearer(_token(getattr(world, person)))
    client = Client()
    assert client.get(BASE, headers=headers).json() == []
    assert client.get(f"{BASE}inbox", headers=headers).json() == []
    assert client.get(f"{BASE}{request.pk}", headers=headers).status_code == 404
    document = request.documents.get()
    assert (
        client.get(f"{BASE}{request.pk}/documents/{document.pk}", headers=headers).status_code
        == 404
    )
    for action, body in (
        ("decide", {"decision": "approve"}),
        ("withdraw", {}),
        ("remind", {}),
        ("submit", {}),
    ):
        assert (
            _post(client, f"{BASE}{request.pk}/{action}", body, headers=headers).status_code == 404
        )


def test_a_wrong_role_in_scope_is_refused_with_the_rule(world: World, catalog: Catalog) -> None:
    request = seal_request_submit(request=request_make(world, catalog.matter), by=world.sn_clerk)
    response = _post(
        Client(),
        f"{BASE}{request.pk}/decide",
        {"decision": "approve"},
        headers=_bearer(_token(world.sn_custodian1)),
    )
    assert response.status_code == 400
    assert "环节的审批人" in response.json()["message"]


def test_a_leader_cannot_create_requests(world: World, catalog: Catalog) -> None:
    response = Client().post(
        BASE,
        {
            "matter_id": catalog.matter.pk,
            "seal_id": world.sn_committee_seal.pk,
            "place_of_use": "村委会",
            "purpose": "x",
        },
        headers=_bearer(_token(world.sn_leader1)),
    )
    assert response.status_code == 403


def test_the_session_works_for_the_browser(world: World, catalog: Catalog) -> None:
    request = request_make(world, catalog.matter)
    response = client_for(world.sn_secretary).get(BASE)
    assert response.status_code == 200
    assert [r["number"] for r in response.json()] == [request.number]


def test_the_openapi_schema_is_served(world: World) -> None:
    schema = Client().get("/api/openapi.json").json()
    assert "/api/requests/{pk}/decide" in schema["paths"]


def test_a_clerk_leader_secretary_and_custodian_take_a_request_through_the_api(
    world: World, catalog: Catalog
) -> None:
    clerk = _bearer(_token(world.sn_clerk))
    client = Client()
    response = client.post(
        BASE,
        {
            "matter_id": catalog.matter.pk,
            "seal_id": world.sn_committee_seal.pk,
            "stamp_count": 2,
            "place_of_use": "村委会",
            "purpose": "与承包户签订流转合同",
            "group_id": world.sn_group1.pk,
            "documents": [pdf_upload()],
        },
        headers=clerk,
    )
    assert response.status_code == 201, response.content
    created = response.json()
    pk = created["id"]
    assert created["status"] == "draft" and len(created["documents"]) == 1
    assert _post(client, f"{BASE}{pk}/submit", {}, headers=clerk).json()["status"] == "submitted"

    for person in (world.sn_leader1, world.sn_secretary):
        headers = _bearer(_token(person))
        inbox = client.get(f"{BASE}inbox", headers=headers).json()
        assert [item["request"]["id"] for item in inbox] == [pk]
        refused = _post(client, f"{BASE}{pk}/decide", {"decision": "approve"}, headers=headers)
        assert refused.status_code == 400 and "请先打开并查看" in refused.json()["message"]
        document_id = created["documents"][0]["id"]
        assert client.get(f"{BASE}{pk}/documents/{document_id}", headers=headers).status_code == 200
        assert (
            _post(
                client,
                f"{BASE}{pk}/decide",
                {"decision": "approve", "comment": "同意"},
                headers=headers,
            ).status_code
            == 200
        )
    detail = client.get(f"{BASE}{pk}", headers=clerk).json()
    assert detail["status"] == "approved"
    assert [s["decided_by"] for s in detail["steps"]] == ["羊组长", "老陈"]
    assert all(s["duration_seconds"] is not None for s in detail["steps"])

    assert (
        client.get(f"{BASE}{pk}", headers=_bearer(_token(world.sn_custodian1))).status_code == 200
    )
    from zhiyin.approvals.services import seal_request_complete

    seal_request_complete(request=SealRequest.objects.get(pk=pk), by=world.sn_custodian1)
    assert SealRequest.objects.get(pk=pk).status == RequestStatus.COMPLETED
    for person in (world.bl_secretary, world.bl_clerk, world.bl_admin):
        headers = _bearer(_token(person))
        assert client.get(BASE, headers=headers).json() == []
        assert client.get(f"{BASE}{pk}", headers=headers).status_code == 404


def test_withdraw_and_remind_through_the_api(world: World, catalog: Catalog) -> None:
    request = seal_request_submit(request=request_make(world, catalog.matter), by=world.sn_clerk)
    clerk = _bearer(_token(world.sn_clerk))
    client = Client()
    assert _post(client, f"{BASE}{request.pk}/remind", {}, headers=clerk).status_code == 200
    again = _post(client, f"{BASE}{request.pk}/remind", {}, headers=clerk)
    assert again.status_code == 400 and "已催办过" in again.json()["message"]
    response = _post(client, f"{BASE}{request.pk}/withdraw", {"reason": "另议"}, headers=clerk)
    assert response.json()["status"] == "withdrawn"


def test_a_negative_list_purpose_is_refused_through_the_api(world: World, catalog: Catalog) -> None:
    response = Client().post(
        BASE,
        {
            "matter_id": catalog.matter.pk,
            "seal_id": world.sn_committee_seal.pk,
            "place_of_use": "村委会",
            "purpose": "开具亲属关系证明",
            "group_id": world.sn_group1.pk,
        },
        headers=_bearer(_token(world.sn_clerk)),
    )
    assert response.status_code == 400 and "负面清单" in response.json()["message"]
    assert not SealRequest.objects.exists()


def test_admin_lists_requests_read_only_in_scope(world: World, catalog: Catalog) -> None:
    request = request_make(world, catalog.matter)
    url = "/admin/approvals/sealrequest/"
    assert request.number in client_for(world.sn_admin).get(url).content.decode()
    assert request.number not in client_for(world.bl_admin).get(url).content.decode()
    assert client_for(world.sn_admin).get(f"{url}add/").status_code == 403
