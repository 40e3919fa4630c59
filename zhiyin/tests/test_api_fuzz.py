"""Schemathesis against the JSON API, on the demo district, as 水南村's clerk with an API
token: generated requests (valid and invalid) to every operation of /api/openapi.json,
sent to the WSGI application in-process inside this test's transaction (rolled back).

No answer may be a server error, have an undocumented status or content type, or a body
that contradicts the published schema. The number of examples per operation is bounded
(`API_FUZZ_EXAMPLES`, default 10) so the whole run stays within about two minutes.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
import schemathesis
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from zhiyin.orgs.models import Person
from zhiyin.orgs.tokens import api_token_create
from zhiyin.wsgi import application

pytestmark = pytest.mark.django_db

EXAMPLES = int(os.environ.get("API_FUZZ_EXAMPLES", "10"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def test_every_operation_answers_as_documented(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    call_command("load_demo", residents_per_village=1, stdout=open(os.devnull, "w"))  # noqa: SIM115
    clerk = Person.objects.get(username="sn_clerk")
    token = api_token_create(person=clerk, name="schemathesis", by=clerk)[1]
    headers = {"Authorization": f"Bearer {token}"}

    # As Django's test client does: the in-process request must not close the test's
    # connection (and with it the transaction holding the demo).
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    answered: dict[str, set[int]] = {}
    try:
        failures = _run(headers, answered)
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    assert not failures, "\n\n".join(failures)
    # The token worked and the demo was there: the clerk's lists and the catalog answered.
    assert 200 in answered["GET /api/requests/"]
    assert 200 in answered["GET /api/catalog/matters"]
    assert 422 in answered["POST /api/requests/{pk}/decide"]


def _run(headers: dict[str, str], answered: dict[str, set[int]]) -> list[str]:
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", application)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 20
    failures: list[str] = []
    for operation in operations:

        @given(case=operation.as_strategy())
        @hypothesis_settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            derandomize=True,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        def run(case: schemathesis.Case) -> None:
            response = case.call(headers=headers)
            answered.setdefault(case.operation.label, set()).add(response.status_code)
            case.validate_response(response, checks=CHECKS, headers=headers)

        try:
            run()
        except Exception as exc:  # collect every operation's failure, then report all
            failures.append(f"{operation.label}: {exc}")
    return failures
