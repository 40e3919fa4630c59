"""Whatever a person types into whatever form they can reach, the answer is never a 5xx.

Each role walks the links from its home page, collects every form on every page it
reaches, and Hypothesis fills every field with arbitrary text (plus the inputs people
really type: full-width digits, units, Chinese numerals, NUL, very long text).
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import World, client_for
from zhiyin.accounts.testing import client_sign_in
from zhiyin.portal.demo import RESIDENCE, VEGETABLE
from zhiyin.portal.tests.conftest import Services
from zhiyin.portal.tests.scenario import (
    Form,
    day_in_the_village,
    forms_of,
    personas,
    reachable,
    wizard_pages,
)

pytestmark = pytest.mark.django_db

TYPED = st.sampled_from(
    ["3亩", "３.５", "3,5", "三亩", "-1", "0", "1e999", "NaN", "", " ", "\x00", "9" * 400,
     "<script>", "'; drop table x; --", "１３９１２３４５６７８", "２０２６-１３-４０", "🌾"]
)  # fmt: skip
TEXT = st.one_of(TYPED, st.text(st.characters(exclude_categories=["Cs"]), max_size=60))
EXAMPLES = 6  # per form; the walk finds ~40 forms over all roles


def _answers(form: Form) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({name: TEXT for name in form.fields})


def _check(client: Client, form: Form) -> None:
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(_answers(form))
    def post(data: dict[str, Any]) -> None:
        payload = {**form.hidden, **data}
        if form.method == "post":
            answer = client.post(form.action, payload)
        else:
            answer = client.get(form.action, payload)
        assert answer.status_code < 500, f"{form.method} {form.action} {payload!r}"

    post()


@pytest.mark.parametrize(
    "role",
    ["resident", "clerk", "leader", "secretary", "custodian", "officer", "inspector", "admin"],
)
def test_no_form_answers_with_a_server_error(world: World, services: Services, role: str) -> None:
    day_in_the_village(world, services)
    person = personas(world)[role]
    client = client_for(person)
    client.raise_request_exception = False
    start = ["/", "/portal/", "/notifications/"]
    if role == "resident":
        start += [*wizard_pages(client, VEGETABLE), *wizard_pages(client, RESIDENCE)]
    pages = reachable(client, start)
    forms = forms_of(pages)
    assert pages and (forms or role == "inspector")
    for form in forms:
        _check(client, form)
        client_sign_in(client, person)  # a form may have been the password change
