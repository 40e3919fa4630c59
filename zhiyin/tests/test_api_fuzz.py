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
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from zhiyin.approvals.selectors import seal_requests_for
from zhiyin.catalog.selectors import matters_search
from zhiyin.orgs.models import Person
from zhiyin.orgs.selectors import access_for
from zhiyin.orgs.tokens import api_token_create
from zhiyin.sealing.models import SealedDocument
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
    # The WSGI transport hands the body over as it comes: ask for it uncompressed (pages
    # and JSON are gzipped for clients that accept it, which a browser decodes).
    headers = {"Authorization": f"Bearer {token}", "Accept-Encoding": "identity"}
    access = access_for(clerk)
    request = seal_requests_for(access=access).filter(documents__isnull=False).first()
    sealed = SealedDocument.objects.first()
    document = request.documents.first() if request is not None else None
    matter = matters_search(access=access, query="").first()
    assert document is not None and sealed is not None and matter is not None
    # Besides random ids (mostly 404), real ones the clerk may see, so answers with data
    # are checked against the schema too.
    known: dict[str, dict[str, Any]] = {
        "/api/requests/": {"pk": document.request_id, "document_pk": document.pk},
        "/api/catalog/matters/": {"pk": matter.pk},
        "/api/verify/code/": {"code": sealed.verify_code},
        "/api/verify/": {"number": sealed.number},
    }

    # As Django's test client does: the in-process request must not close the test's
    # connection (and with it the transaction holding the demo).
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    answered: dict[str, set[int]] = {}
    try:
        failures = _run(headers, known, answered)
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    assert not failures, "\n\n".join(failures)
    # The token worked and the demo was there: the clerk's lists and the catalog answered.
    assert 200 in answered["GET /api/requests/"]
    assert 200 in answered["GET /api/catalog/matters"]
    assert 200 in answered["GET /api/requests/{pk}"]
    assert answered["POST /api/requests/{pk}/decide"] & {400, 422}


def _known_ids(path: str, known: dict[str, dict[str, Any]]) -> dict[str, Any]:
    names = {part[1:-1] for part in path.split("/") if part.startswith("{")}
    for prefix, values in known.items():
        if path.startswith(prefix) and names and names <= set(values):
            return {name: values[name] for name in names}
    return {}


def _run(
    headers: dict[str, str], known: dict[str, dict[str, Any]], answered: dict[str, set[int]]
) -> list[str]:
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", application)
    operations = []
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), result
        operations.append(result.ok())
    assert len(operations) >= 20
    failures: list[str] = []
    for operation in operations:
        strategies = [
            operation.as_strategy(GenerationMode.POSITIVE),
            operation.as_strategy(GenerationMode.NEGATIVE),
        ]
        ids = _known_ids(operation.path, known)
        if ids:
            strategies.append(operation.as_strategy(GenerationMode.POSITIVE, path_parameters=ids))

        @given(case=st.one_of(strategies))
        @hypothesis_settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            derandomize=True,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        def run(case: schemathesis.Case[Any]) -> None:
            response = case.call(headers=headers)
            answered.setdefault(case.operation.label, set()).add(response.status_code)
            case.validate_response(response, checks=CHECKS, headers=headers)

        try:
            run()
        except Exception as exc:  # collect every operation's failure, then report all
            failures.append(f"{operation.label}: {exc}")
    return failures
