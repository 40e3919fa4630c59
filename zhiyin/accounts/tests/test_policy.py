"""Password policy, recovery codes made anew, the list of signed-in devices with signing
out one or all, the idle timeout for staff and the maximum password age."""

from __future__ import annotations

import datetime as dt
import itertools
import re
import time
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from conftest import PASSWORD, World, client_for
from zhiyin.accounts.models import PasswordHistory, StaffSession
from zhiyin.accounts.sessions import LAST_SEEN_SESSION_KEY
from zhiyin.accounts.testing import client_second_factor_pass, totp_known_device
from zhiyin.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def _change(client: Client, old: str, new: str) -> Any:
    return client.post(
        reverse("password_change"),
        {"old_password": old, "new_password": new, "new_password_again": new},
    )


@pytest.mark.parametrize(
    ("new", "message"),
    [
        ("Short-1a", "太短"),
        ("alllowercaseletters", "至少3类"),
        ("sn_clerk-Pass-2026", "不能包含登录名"),
        ("Pass-13900000003-x", "不能包含手机号"),
        (PASSWORD, "最近用过"),
    ],
)
def test_it_refuses_a_weak_or_reused_password_in_chinese(
    world: World, new: str, message: str
) -> None:
    world.sn_clerk.phone = "13900000003"
    world.sn_clerk.save()
    response = _change(client_for(world.sn_clerk), PASSWORD, new)
    assert response.status_code == 200
    assert message in response.content.decode()
    world.sn_clerk.refresh_from_db()
    assert world.sn_clerk.check_password(PASSWORD)


def test_none_of_the_last_passwords_may_come_back(world: World, settings: Any) -> None:
    settings.PASSWORD_HISTORY = 3
    client = client_for(world.sn_clerk)
    passwords = [PASSWORD, "Second-pass-2026", "Third-pass-2026", "Fourth-pass-2026"]
    for old, new in itertools.pairwise(passwords):
        assert _change(client, old, new).status_code == 302
    assert PasswordHistory.objects.filter(person=world.sn_clerk).count() == 3
    assert "最近用过" in _change(client, passwords[-1], passwords[1]).content.decode()
    # The oldest has left the history of three: it may be used again.
    assert _change(client, passwords[-1], PASSWORD).status_code == 302


def test_an_old_password_must_be_changed_at_the_next_request(world: World, settings: Any) -> None:
    settings.PASSWORD_MAX_AGE_DAYS = 30
    PasswordHistory.objects.filter(person=world.sn_clerk).update(
        set_at=timezone.now() - dt.timedelta(days=31)
    )
    client = client_for(world.sn_clerk)
    response = client.get(reverse("seal_list"))
    assert response.status_code == 302 and response["Location"] == reverse("password_change")
    assert client.get(reverse("password_change")).status_code == 200
    assert _change(client, PASSWORD, "Renewed-pass-2026").status_code == 302
    assert client.get(reverse("seal_list")).status_code == 200


def test_residents_passwords_do_not_expire(world: World, settings: Any) -> None:
    settings.PASSWORD_MAX_AGE_DAYS = 30
    PasswordHistory.objects.filter(person=world.sn_resident).update(
        set_at=timezone.now() - dt.timedelta(days=400)
    )
    assert client_for(world.sn_resident).get(reverse("home")).status_code == 200


def test_recovery_codes_are_made_anew_and_the_old_ones_stop_working(world: World) -> None:
    client = client_for(world.sn_custodian1)
    page = client.get(reverse("accounts_security")).content.decode()
    assert "重新生成恢复码" in page
    assert "生成新的恢复码" in client.get(reverse("accounts_recovery_codes")).content.decode()
    first = re.findall(
        r"<code>(\d{8})</code>", client.post(reverse("accounts_recovery_codes")).content.decode()
    )
    second = re.findall(
        r"<code>(\d{8})</code>", client.post(reverse("accounts_recovery_codes")).content.decode()
    )
    assert len(first) == len(second) == 10 and not set(first) & set(second)
    signed = Client()
    signed.post(reverse("login"), {"username": "sn_custodian1", "password": PASSWORD})
    assert signed.post(reverse("accounts_second_factor"), {"token": first[0]}).status_code == 200
    time.sleep(1.1)  # django-otp slows the next try after a wrong code
    assert signed.post(reverse("accounts_second_factor"), {"token": second[0]}).status_code == 302
    assert (
        AuditEvent.objects.filter(
            action="person.recovery_codes_regenerated", actor_id=world.sn_custodian1.pk
        ).count()
        == 2
    )


def test_making_recovery_codes_needs_a_fresh_second_factor(world: World) -> None:
    client = client_for(world.sn_custodian1)
    session = client.session
    session["zhiyin_second_factor_at"] = int(time.time()) - 3600
    session.save()
    response = client.post(reverse("accounts_recovery_codes"))
    assert response.status_code == 302 and "step_up=1" in response["Location"]


def _sign_in(person: Any, agent: str) -> Client:
    client = Client(HTTP_USER_AGENT=agent)
    assert (
        client.post(
            reverse("login"), {"username": person.username, "password": PASSWORD}
        ).status_code
        == 302
    )
    totp_known_device(person)
    client_second_factor_pass(client, person)
    return client


def test_one_sees_ones_devices_and_signs_one_out(world: World) -> None:
    phone = _sign_in(world.sn_secretary, "Phone browser")
    desk = _sign_in(world.sn_secretary, "Office desktop")
    page = desk.get(reverse("accounts_security")).content.decode()
    assert "Phone browser" in page and "Office desktop" in page and "本设备" in page
    phone_row = StaffSession.objects.get(person=world.sn_secretary, user_agent="Phone browser")
    desk.post(reverse("accounts_session_end", args=[phone_row.pk]))
    assert phone.get(reverse("home")).status_code == 302  # signed out there
    assert desk.get(reverse("home")).status_code == 200
    event = AuditEvent.objects.get(action="person.session_ended")
    assert event.actor_id == world.sn_secretary.pk and "signed_out_by_owner" in event.after


def test_nobody_ends_another_persons_session(world: World) -> None:
    phone = _sign_in(world.sn_secretary, "Phone browser")
    row = StaffSession.objects.get(person=world.sn_secretary)
    other = client_for(world.bl_secretary)
    other.post(reverse("accounts_session_end", args=[row.pk]))
    assert phone.get(reverse("home")).status_code == 200
    assert StaffSession.objects.get(pk=row.pk).ended_at is None


def test_sign_out_everywhere_ends_every_session(world: World) -> None:
    phone = _sign_in(world.sn_secretary, "Phone browser")
    desk = _sign_in(world.sn_secretary, "Office desktop")
    response = desk.post(reverse("accounts_sessions_end_all"))
    assert response.status_code == 302 and response["Location"] == reverse("login")
    assert phone.get(reverse("home")).status_code == 302
    assert desk.get(reverse("home")).status_code == 302
    assert not StaffSession.objects.filter(person=world.sn_secretary, ended_at=None).exists()


def test_idle_staff_are_signed_out(world: World, settings: Any) -> None:
    settings.STAFF_IDLE_MINUTES = 15
    client = client_for(world.sn_clerk)
    assert client.get(reverse("home")).status_code == 200
    session = client.session
    session[LAST_SEEN_SESSION_KEY] = int(time.time()) - 16 * 60
    session.save()
    response = client.get(reverse("seal_list"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert client.get(reverse("home")).status_code == 302
    event = AuditEvent.objects.get(action="person.session_ended")
    assert "idle_timeout" in event.after


def test_residents_are_not_timed_out(world: World) -> None:
    client = client_for(world.sn_resident)
    assert client.get(reverse("home")).status_code == 200
    session = client.session
    session[LAST_SEEN_SESSION_KEY] = int(time.time()) - 3 * 3600
    session.save()
    assert client.get(reverse("home")).status_code == 200
