"""The published OpenAPI document: valid OpenAPI, one schema per name, closed sets of
values as enums, every error status documented with the one error body, and error
answers that carry it."""

from __future__ import annotations

import json
from typing import Any, get_args

import pytest
from django.test import Client
from openapi_spec_validator import validate
from pydantic import BaseModel

from conftest import World
from zhiyin.api import api
from zhiyin.approvals.models import Decision, RequestStatus
from zhiyin.orgs.tokens import api_token_create

#: Operations that answer without a person (public, or a signature is the credential).
PUBLIC = {
    "GET /api/catalog/negative-list",
    "POST /api/catalog/negative-list/check",
    "GET /api/verify/{number}",
    "GET /api/verify/code/{code}",
    "POST /api/verify/",
    "POST /api/delivery/ack",
}
#: Operations that read their body raw (a signature covers its bytes) and refuse a bad one
#: with 400 themselves.
RAW_BODY = {"POST /api/delivery/ack"}


def _document() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(json.dumps(api.get_openapi_schema(), default=str))
    return document


def _operations(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        f"{method.upper()} {path}": operation
        for path, methods in document["paths"].items()
        for method, operation in methods.items()
    }


def _models(annotation: Any, found: set[type[BaseModel]]) -> None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if annotation in found:
            return
        found.add(annotation)
        for field in annotation.model_fields.values():
            _models(field.annotation, found)
    for argument in get_args(annotation):
        _models(argument, found)


def test_the_document_is_valid_openapi() -> None:
    validate(_document())


def test_each_schema_name_stands_for_one_model() -> None:
    """Two models of one name would share one component: the answers of one of them
    would then contradict the document (DocumentOut and StepOut did, issue #14)."""
    found: set[type[BaseModel]] = set()
    for _prefix, router in api._routers:
        for view in router.path_operations.values():
            for operation in view.operations:
                for model in (operation.response_models or {}).values():
                    _models(model, found)
                for model in operation.models:
                    _models(model, found)
    components = set(_document()["components"]["schemas"])
    by_name: dict[str, set[str]] = {}
    for model in found:
        if model.__name__ in components:
            by_name.setdefault(model.__name__, set()).add(f"{model.__module__}.{model.__name__}")
    twice = {name: sorted(paths) for name, paths in by_name.items() if len(paths) > 1}
    assert not twice
    assert {"StepOut", "ChainStepOut", "DocumentOut", "VerifiedDocumentOut"} <= components


def test_the_verdict_carries_what_the_paper_should_say() -> None:
    """The verification page's 纸面上应印有, typed: four lines, a date, page 1's picture."""
    schemas = _document()["components"]["schemas"]
    verdict = schemas["VerdictOut"]
    assert "paper" in verdict["required"]
    paper = schemas["PaperOut"]
    assert set(paper["required"]) == {"organization", "matter", "number", "date", "thumbnail_url"}
    assert paper["properties"]["date"]["format"] == "date"
    for name in ("organization", "matter", "number"):
        assert paper["properties"][name]["type"] == "string"


def test_closed_sets_are_enums() -> None:
    schemas = _document()["components"]["schemas"]
    assert schemas["DecisionIn"]["properties"]["decision"]["enum"] == list(Decision.values)
    assert set(Decision.values) == {"approve", "return", "reject"}
    assert schemas["RequestOut"]["properties"]["status"]["enum"] == list(RequestStatus.values)
    assert "" in schemas["StepOut"]["properties"]["decision"]["enum"]
    seal_kinds = schemas["MatterOut"]["properties"]["seal_kinds"]["items"]["enum"]
    assert "committee" in seal_kinds
    assert "enum" in schemas["VerdictOut"]["properties"]["status"]
    assert "enum" in schemas["ErrorOut"]["properties"]["code"]


def test_every_error_status_is_documented_with_the_error_body() -> None:
    document = _document()
    for name, operation in _operations(document).items():
        responses = operation["responses"]
        assert any(code.startswith("2") for code in responses), name
        if (operation.get("parameters") or operation.get("requestBody")) and name not in RAW_BODY:
            assert "422" in responses, name
        if name not in PUBLIC:
            assert {"401", "403", "422"} <= set(responses), name
            assert operation.get("security"), name
        for code, answer in responses.items():
            if code.startswith("4") and not (
                name == "GET /api/verify/code/{code}" and code == "404"
            ):
                schema = answer["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/ErrorOut"}, (name, code)


@pytest.mark.django_db
def test_error_answers_carry_a_code_and_a_chinese_message(world: World) -> None:
    client = Client()
    anonymous = client.get("/api/requests/")
    assert anonymous.status_code == 401
    assert anonymous.json()["code"] == "unauthorized" and "令牌" in anonymous.json()["message"]

    token = api_token_create(person=world.sn_clerk, name="测试", by=world.sn_clerk)[1]
    headers = {"Authorization": f"Bearer {token}"}
    missing = client.get("/api/requests/999999", headers=headers)
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"
    assert "范围" in missing.json()["message"]

    bad = client.post(
        "/api/requests/1/decide",
        json.dumps({"decision": "maybe"}),
        content_type="application/json",
        headers=headers,
    )
    assert bad.status_code == 422 and bad.json()["code"] == "invalid"
    assert ["body", "payload", "decision"] in [e["loc"] for e in bad.json()["errors"]]

    huge = client.get(f"/api/requests/{2**70}", headers=headers)
    assert huge.status_code == 422 and huge.json()["code"] == "invalid"

    nul = client.post(
        "/api/catalog/negative-list/check",
        '{"text": "a\\u0000b"}',
        content_type="application/json",
    )
    assert nul.status_code == 400 and nul.json()["code"] == "bad_request"
    assert nul["Content-Type"].startswith("application/json")

    garbled = client.post(
        "/api/catalog/negative-list/check", "{not json", content_type="application/json"
    )
    assert garbled.status_code == 400 and garbled.json()["code"] == "bad_request"
    assert "JSON" in garbled.json()["message"]
