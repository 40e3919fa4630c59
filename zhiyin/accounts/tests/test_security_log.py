"""The audit administrator narrows the sign-in security log by kind of event, person and
dates; bad dates get a Chinese message and the whole log, never an error page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from conftest import World, client_for
from zhiyin.audit.services import audit_record_standalone

pytestmark = pytest.mark.django_db


def _log(client: Client, **query: str) -> str:
    response = client.get(reverse("accounts_security_log"), query)
    assert response.status_code == 200
    return response.content.decode().split('id="security-log"', 1)[1]


def test_the_log_is_filtered_by_kind_person_and_dates(world: World) -> None:
    Client().post(reverse("login"), {"username": "sn_clerk", "password": "wrong-password"})
    audit_record_standalone(
        actor=world.sn_custodian1, action="person.second_factor_failed", target=world.sn_custodian1
    )
    client = client_for(world.audit_admin)

    everything = _log(client)
    assert "登录失败" in everything and "两步验证失败" in everything

    failed_codes = _log(client, action="person.second_factor_failed")
    assert "两步验证失败" in failed_codes and "登录失败" not in failed_codes

    clerk = _log(client, person="sn_clerk")
    assert "登录失败" in clerk and "两步验证失败" not in clerk
    by_name = _log(client, person=world.sn_custodian1.real_name)
    assert "两步验证失败" in by_name and "登录失败" not in by_name

    today = timezone.localdate()
    assert "登录失败" in _log(client, start=str(today), end=str(today))
    assert "暂无记录" in _log(client, start=str(today + dt.timedelta(days=1)))
    assert "暂无记录" in _log(client, end=str(today - dt.timedelta(days=1)))
    assert "暂无记录" in _log(client, person="nobody-of-this-district")
    # Another district's person is not in the audit admin's log at all.
    assert "暂无记录" in _log(client, person="bl_clerk", action="person.login_failed")


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"start": "2026-13-45"}, "有效的日期"),
        ({"start": "2026-05-02", "end": "2026-05-01"}, "结束日期不能早于开始日期"),
        ({"action": "person.nonsense"}, "选择一个有效的选项"),
    ],
)
def test_bad_filters_get_a_chinese_message_and_the_whole_log(
    world: World, query: dict[str, str], message: str
) -> None:
    Client().post(reverse("login"), {"username": "sn_clerk", "password": "wrong-password"})
    response = client_for(world.audit_admin).get(reverse("accounts_security_log"), query)
    assert response.status_code == 200
    page = response.content.decode()
    assert message in page
    assert "登录失败" in page.split('id="security-log"', 1)[1]


def test_only_the_audit_admin_reads_it_filtered_or_not(world: World) -> None:
    for who in ("security_admin", "district_admin", "sn_secretary"):
        client = client_for(getattr(world, who))
        response = client.get(reverse("accounts_security_log"), {"person": "sn_clerk"})
        assert response.status_code == 403
