"""Error pages: Chinese, phone-sized, a way home and the village office's telephone."""

from __future__ import annotations

import pytest
from django.test import Client, RequestFactory

from conftest import World, client_for
from zhiyin.orgs.errorpages import server_error

pytestmark = pytest.mark.django_db


@pytest.fixture
def office_phone(world: World) -> str:
    world.shuinan.office_phone = "0898-88661001"
    world.shuinan.save(update_fields=["office_phone"])
    return world.shuinan.office_phone


def test_a_missing_page_is_explained_in_chinese_with_the_office_phone(
    world: World, office_phone: str
) -> None:
    answer = client_for(world.sn_resident).get("/portal/applications/999999/")
    text = answer.content.decode()
    assert answer.status_code == 404
    assert "没有找到这个页面" in text and "回到首页" in text
    assert f'href="tel:{office_phone}"' in text and 'name="viewport"' in text
    assert "Not Found" not in text


def test_a_forbidden_page_says_who_may_see_it(world: World, office_phone: str) -> None:
    answer = client_for(world.sn_resident).get("/portal/clerk/")
    text = answer.content.decode()
    assert answer.status_code == 403
    assert "您没有查看这个页面的权限" in text and office_phone in text
    assert "Forbidden" not in text


def test_staff_see_their_villages_office_phone(world: World, office_phone: str) -> None:
    assert office_phone in client_for(world.sn_clerk).get("/no/such/page/").content.decode()


def test_an_expired_form_is_explained_not_refused_in_english(world: World) -> None:
    client = Client(enforce_csrf_checks=True)
    answer = client.post("/accounts/login/", {"username": "x", "password": "y"})
    text = answer.content.decode()
    assert answer.status_code == 403
    assert "页面已过期" in text and "CSRF" not in text


def test_a_server_error_gives_a_record_number_and_a_way_home(world: World) -> None:
    request = RequestFactory().get("/anything/")
    answer = server_error(request)
    text = answer.content.decode()
    assert answer.status_code == 500
    assert "系统出了点问题" in text and "记录号" in text and "回到首页" in text
    assert "Server Error" not in text


@pytest.mark.parametrize(
    ("method", "path", "data"),
    [
        ("get", "/catalog/?q=%00", None),
        ("get", "/catalog/?q=%E5%BB%BA%00%E6%88%BF", None),
        ("get", "/?x%00=1", None),
        ("post", "/portal/login/", {"phone": "138\x000000000"}),
    ],
)
def test_a_nul_character_is_refused_in_chinese_and_nothing_runs(
    world: World, office_phone: str, method: str, path: str, data: dict[str, str] | None
) -> None:
    """PostgreSQL refuses NUL in text; the request must never reach a query (it was a 500
    on the catalog search)."""
    from zhiyin.audit.models import AuditEvent

    events = AuditEvent.objects.count()
    client = client_for(world.sn_secretary)
    answer = getattr(client, method)(path, data) if data else getattr(client, method)(path)
    text = answer.content.decode()
    assert answer.status_code == 400
    assert "无法识别您提交的内容" in text and office_phone in text
    assert AuditEvent.objects.count() == events


def test_ordinary_search_text_still_reaches_the_catalog(world: World) -> None:
    answer = client_for(world.sn_secretary).get("/catalog/?q=%E5%BB%BA%E6%88%BF")
    assert answer.status_code == 200
