"""One permission matrix for every route: the test walks Django's URL resolver and the JSON
API's routers, and every route must have its row in `matrix.ROUTES` (or, for the admin, its
model in `matrix.ADMIN_MODELS`) with the answer each persona gets. A new page without a row
fails here, with the row to add."""

from __future__ import annotations

import copy
import json
import os
from typing import Any

import pytest
from django.db import transaction
from django.test import Client

from conftest import World, client_for
from zhiyin.portal.tests.conftest import (  # the portal's and sealing's own test setup
    Services,
    _media_in_tmp,  # noqa: F401  # autouse fixture
    services,  # noqa: F401  # fixture
)
from zhiyin.sealing.tests.conftest import Sealing, sealing  # noqa: F401  # fixture
from zhiyin.tests import matrix
from zhiyin.tests.matrix_world import bearer_for, matrix_ids
from zhiyin.tests.routes import api_routes, django_routes

pytestmark = pytest.mark.django_db


def _status(client: Client, row: matrix.Row, url: str, headers: dict[str, str]) -> int:
    """The answer to one request. It runs in a transaction rolled back afterwards, and the
    client's cookies are put back, so the next row meets the same world and session (a
    logout or a language switch included)."""
    cookies = copy.deepcopy(client.cookies)
    with transaction.atomic():
        if row.method == "GET":
            status = client.get(url, headers=headers).status_code
        elif url.startswith("/api/"):
            body = json.dumps(row.data or {})
            status = client.post(
                url, body, content_type="application/json", headers=headers
            ).status_code
        else:
            status = client.post(url, row.data or {}, headers=headers).status_code
        transaction.set_rollback(True)
    client.cookies = cookies
    return status


def _observe(world: World, ids: dict[str, Any], routes: dict[str, matrix.Row]) -> dict[str, str]:
    clients = {name: client_for(matrix.persona(world, name)) for name in matrix.PERSONAS}
    headers = {
        name: bearer_for(person) if (person := matrix.persona(world, name)) is not None else {}
        for name in matrix.PERSONAS
    }
    seen: dict[str, str] = {}
    for key, row in routes.items():
        url = row.url.format(**ids)
        api = url.startswith("/api/")
        seen[key] = matrix.answers_text(
            {
                name: _status(clients[name], row, url, headers[name] if api else {})
                for name in matrix.PERSONAS
            }
        )
    return seen


def test_every_route_is_in_the_matrix() -> None:
    missing = [
        route
        for route in django_routes() + api_routes()
        if route.key not in matrix.ROUTES and not matrix.admin_covered(route.key)
    ]
    assert not missing, (
        "Routes without a row in the permission matrix (zhiyin/tests/matrix.py): add to "
        "ROUTES, for each, a line\n"
        + "\n".join(
            f'    "{r.key}": Row("{r.key.split()[0] if " " in r.key else "GET"}", '
            f'"{r.pattern}", "<{matrix.ANSWERS_HELP}>"),'
            for r in missing
        )
        + "\nwith the URL's parameters as {village}, {request}… (see matrix_world.matrix_ids) "
        "and the answer each persona must get; an admin model goes in ADMIN_MODELS."
    )


def test_every_persona_gets_the_answer_in_the_matrix(
    world: World,
    services: Services,  # noqa: F811
    sealing: Sealing,  # noqa: F811
) -> None:
    ids = matrix_ids(world, services, sealing)
    routes = {**matrix.ROUTES, **matrix.admin_rows()}
    seen = _observe(world, ids, routes)
    if os.environ.get("ZHIYIN_MATRIX_DUMP"):
        for key, text in seen.items():
            print(f"MATRIX {key!r}: {text!r}")
    wrong = {key: text for key, text in seen.items() if text != routes[key].expected}
    assert not wrong, "Answers that differ from the matrix (route: what each persona got):\n" + (
        "\n".join(
            f"  {key}: got {text}\n  {' ' * len(key)}  want {routes[key].expected}"
            for key, text in wrong.items()
        )
    )
