"""Terminal pages: who sees what (anonymous, wrong role, another village, in scope), the
custodian's authorize flow with the second custodian's confirmation, and the request
page's stamps with photos."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from conftest import client_for
from zhiyin.accounts.testing import totp_code_now, totp_known_device
from zhiyin.accounts.twofactor import VERIFIED_AT_SESSION_KEY
from zhiyin.devices.authorizations import stamp_authorization_create
from zhiyin.devices.models import AuthorizationStatus, SealDevice, StampAuthorization
from zhiyin.devices.tests.conftest import Terminal, approved, sim


def test_the_device_list_follows_scope(terminal: Terminal) -> None:
    world = terminal.world
    url = reverse("device_list")
    assert client_for(None).get(url).status_code == 302
    assert client_for(world.sn_clerk).get(url).status_code == 404
    assert "ZY-SN-01" not in client_for(world.bl_admin).get(url).content.decode()
    for person in (world.sn_admin, world.inspector, world.district_admin, world.sn_custodian1):
        page = client_for(person).get(url)
        assert page.status_code == 200 and "ZY-SN-01" in page.content.decode()


def test_the_device_page_follows_scope(terminal: Terminal) -> None:
    world = terminal.world
    url = reverse("device_detail", args=[terminal.device.pk])
    assert client_for(None).get(url).status_code == 302
    assert client_for(world.sn_clerk).get(url).status_code == 404
    assert client_for(world.bl_admin).get(url).status_code == 404
    page = client_for(world.inspector).get(url)
    assert page.status_code == 200 and "水南村智能印章终端" in page.content.decode()
    assert "先行开启" not in page.content.decode()  # inspectors do not open terminals
    assert "先行开启" in client_for(world.sn_custodian1).get(url).content.decode()


def test_suspending_and_retiring_a_terminal_ask_first(terminal: Terminal) -> None:
    """暂停 and 停用 stop a terminal (停用 for good): each opens a question in place, with
    the button that does it inside, as 撤回申请 does; the reason typed there is logged."""
    from zhiyin.audit.models import AuditEvent

    world = terminal.world
    device = terminal.device
    url = reverse("device_detail", args=[device.pk])
    admin = client_for(world.sn_admin)
    page = admin.get(url).content.decode()
    for key, label, question in [
        ("suspend", "暂停", "确定暂停吗？"),
        ("retire", "停用", "确定停用吗？"),
    ]:
        opening = f'<details class="confirm" id="{key}"><summary>{label}</summary>'
        assert opening in page
        inside = page.split(opening)[1].split("</details>")[0]
        assert question in inside and f'value="{key}"' in inside
        assert page.count(f'value="{key}"') == 1
    assert "确定停用吗？" not in client_for(world.inspector).get(url).content.decode()

    manage = reverse("device_manage", args=[device.pk])
    admin.post(manage, {"action": "suspend", "reason": "印油耗尽"})
    device.refresh_from_db()
    assert device.state == "suspended"
    page = admin.get(url).content.decode()
    assert 'id="suspend"' not in page and 'value="activate"' in page and 'id="retire"' in page
    admin.post(manage, {"action": "retire", "reason": "终端损坏"})
    device.refresh_from_db()
    assert device.state == "retired"
    page = admin.get(url).content.decode()
    assert 'id="retire"' not in page and 'name="action"' not in page
    logged = AuditEvent.objects.filter(action="device.state", target_id=str(device.pk))
    assert ["印油耗尽" in e.after for e in logged.order_by("pk")] == [True, False]
    assert "终端损坏" in logged.order_by("pk").last().after  # type: ignore[union-attr]  # two rows


def test_a_custodian_authorizes_on_the_request_page_and_a_second_confirms(
    terminal: Terminal,
) -> None:
    world = terminal.world
    request = approved(terminal, stamp_count=2, joint=True)
    detail = client_for(world.sn_custodian1).get(reverse("seal_request_detail", args=[request.pk]))
    assert reverse("device_request", args=[request.pk]) in detail.content.decode()
    assert "登记已加盖实物印章" not in detail.content.decode()
    url = reverse("device_request_authorize", args=[request.pk])
    assert client_for(world.bl_admin).post(url, {"hours": "2"}).status_code == 404
    client_for(world.sn_secretary).post(url, {"hours": "2"})
    assert not StampAuthorization.objects.exists()
    refused = client_for(world.sn_custodian1).post(url, {"hours": "999"}, follow=True)
    assert "请选择授权时长" in refused.content.decode() and not StampAuthorization.objects.exists()
    client_for(world.sn_custodian1).post(url, {"hours": "2"})
    authorization = StampAuthorization.objects.get()
    assert authorization.status == AuthorizationStatus.PENDING
    page = client_for(world.sn_custodian2).get(reverse("device_request", args=[request.pk]))
    assert "第二位管理员确认开启" in page.content.decode()
    confirm = reverse("device_authorization_confirm", args=[authorization.pk])
    client_for(world.sn_custodian1).post(confirm)
    authorization.refresh_from_db()
    assert authorization.status == AuthorizationStatus.PENDING
    client_for(world.sn_custodian2).post(confirm)
    authorization.refresh_from_db()
    assert authorization.status == AuthorizationStatus.ACTIVE


def test_only_the_village_custodians_see_the_one_time_code(terminal: Terminal) -> None:
    world = terminal.world
    request = approved(terminal, stamp_count=1)
    authorization = stamp_authorization_create(
        request=request, by=world.sn_custodian1, not_after=timezone.now() + dt.timedelta(hours=1)
    )
    url = reverse("device_authorization_sheet", args=[authorization.pk])
    page = client_for(world.sn_custodian2).get(url)
    assert page.status_code == 200 and authorization.code in page.content.decode()
    assert "data:image/png;base64," in page.content.decode()
    for person in (world.inspector, world.sn_admin, world.bl_admin):
        assert client_for(person).get(url).status_code == 404
    stamping = client_for(world.inspector).get(reverse("device_request", args=[request.pk]))
    assert stamping.status_code == 200 and authorization.code not in stamping.content.decode()


@pytest.mark.parametrize("person", ["sn_clerk", "inspector", "sn_resident_none"])
def test_the_request_page_shows_each_stamp_with_its_photo(terminal: Terminal, person: str) -> None:
    world = terminal.world
    request = approved(terminal, stamp_count=2)
    authorization = stamp_authorization_create(
        request=request, by=world.sn_custodian1, not_after=timezone.now() + dt.timedelta(hours=1)
    )
    terminal.local.sync(terminal.sim)
    terminal.sim.stamp(authorization.code, operator="符姐", transport=terminal.local)
    terminal.sim.stamp(authorization.code, operator="符姐", transport=terminal.local)
    viewer = getattr(world, person, None)
    page = client_for(viewer).get(reverse("seal_request_detail", args=[request.pk]))
    if viewer is None:
        assert page.status_code == 302
        return
    html = page.content.decode()
    assert html.count('class="stamp-photo"') == 2 and "已授权" in html
    photo_url = reverse("device_photo", args=[request.stamp_events.first().photo_sha256])  # type: ignore[union-attr]
    photo = client_for(viewer).get(photo_url)
    assert photo.status_code == 200 and photo["Content-Type"] == "image/png"
    assert client_for(world.bl_clerk).get(photo_url).status_code == 404


def test_the_terminal_pages_speak_english_too(terminal: Terminal) -> None:
    from django.utils import translation

    request = approved(terminal, stamp_count=1)
    client = client_for(terminal.world.sn_custodian1)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    page = client.get(reverse("device_request", args=[request.pk])).content.decode()
    translation.activate("zh-hans")
    assert "Terminal stamping" in page and "Authorize and open the terminal" in page
    detail = client.get(reverse("seal_request_detail", args=[request.pk])).content.decode()
    assert "Authorize stamping on the smart seal terminal" in detail


def test_an_admin_registers_a_terminal_whose_code_enrols_the_simulator(
    terminal: Terminal, tmp_path: Path
) -> None:
    world = terminal.world
    url = reverse("device_create")
    assert client_for(world.sn_clerk).get(url).status_code == 404
    assert client_for(world.sn_custodian1).get(url).status_code == 404
    admin = client_for(world.sn_admin)
    form = admin.get(url).content.decode()
    assert f"seal_{world.sn_group1_seal.pk}" in form
    refused = admin.post(url, {"serial": "bad serial!", "name": "x"})
    assert "终端序列号只能包含" in refused.content.decode()
    assert not SealDevice.objects.filter(name="x").exists()
    done = admin.post(
        url,
        {
            "serial": "ZY-SN-03",
            "name": "小组终端",
            f"seal_{world.sn_group1_seal.pk}": "on",
            f"slot_{world.sn_group1_seal.pk}": "group1",
        },
    )
    device = SealDevice.objects.get(serial="ZY-SN-03")
    code = done.context["code"]
    assert code in done.content.decode() and device.slots.get().code == "group1"
    simulated = sim.Device.create(str(tmp_path / "sn03.json"), "ZY-SN-03")
    terminal.local.enrol(simulated, code)
    # the other village's admin sees only their own village's seals, and cannot manage it
    assert "水南村" not in client_for(world.bl_admin).get(url).content.decode()
    manage = reverse("device_manage", args=[device.pk])
    assert client_for(world.bl_admin).post(manage, {"action": "suspend"}).status_code == 404
    client_for(world.sn_custodian1).post(manage, {"action": "suspend"})
    device.refresh_from_db()
    assert device.state == "active" and device.is_enrolled
    admin.post(manage, {"action": "suspend"})
    device.refresh_from_db()
    assert device.state == "suspended"


def _stale(client: Client) -> None:
    """The session passed its second factor an hour ago (past STEP_UP_SECONDS)."""
    session = client.session
    session[VERIFIED_AT_SESSION_KEY] = int(time.time()) - 3600
    session.save()


def test_opening_a_terminal_asks_for_a_fresh_second_factor(terminal: Terminal) -> None:
    """Authorizing, the second custodian's confirmation and emergency opening are step-up
    actions, as sealing is: a stale second factor is sent to the code page and nothing is
    authorized; after a fresh code the custodian comes back to the same page."""
    world = terminal.world
    request = approved(terminal, stamp_count=1, joint=True)
    page = reverse("device_request", args=[request.pk])
    first = client_for(world.sn_custodian1)
    _stale(first)
    asked = first.get(page)
    assert asked.status_code == 302 and asked["Location"].startswith(
        reverse("accounts_second_factor")
    )
    assert "step_up=1" in asked["Location"]
    posted = first.post(reverse("device_request_authorize", args=[request.pk]), {"hours": "2"})
    assert posted["Location"] == asked["Location"]  # back to the page, not the POST
    assert not StampAuthorization.objects.exists()
    # an inspector only looks: not asked
    inspector = client_for(world.inspector)
    _stale(inspector)
    assert inspector.get(page).status_code == 200
    # a fresh code brings the custodian back to the page, where the grant is made
    device = totp_known_device(world.sn_custodian1)
    back = first.post(asked["Location"], {"token": totp_code_now(device), "next": page})
    assert back["Location"] == page
    assert first.get(page).status_code == 200
    first.post(reverse("device_request_authorize", args=[request.pk]), {"hours": "2"})
    authorization = StampAuthorization.objects.get()
    assert authorization.status == AuthorizationStatus.PENDING
    # the second custodian's confirmation is a step-up action too
    second = client_for(world.sn_custodian2)
    _stale(second)
    assert second.get(page)["Location"].startswith(reverse("accounts_second_factor"))
    confirm = second.post(reverse("device_authorization_confirm", args=[authorization.pk]))
    assert confirm["Location"].startswith(reverse("accounts_second_factor"))
    authorization.refresh_from_db()
    assert authorization.status == AuthorizationStatus.PENDING
    second = client_for(world.sn_custodian2)  # fresh
    second.post(reverse("device_authorization_confirm", args=[authorization.pk]))
    authorization.refresh_from_db()
    assert authorization.status == AuthorizationStatus.ACTIVE
    # and so is opening the terminal before approval (先行用章)
    _stale(first)
    opened = first.post(
        reverse("device_emergency", args=[terminal.device.pk]),
        {"slot": "committee", "count": "1", "reason": "台风抢险物资调拨证明"},
    )
    assert opened["Location"].startswith(reverse("accounts_second_factor"))
    assert not StampAuthorization.objects.filter(emergency=True).exists()


def test_the_device_page_shows_its_state_and_the_periodic_sweep_raises_offline(
    terminal: Terminal,
) -> None:
    """Online/offline, the last event, the ink level and the alarms; a terminal silent
    longer than DEVICE_OFFLINE_HOURS gets its ``offline`` alarm from the periodic sweep
    (settings.PERIODIC_TASKS), once."""
    from django.conf import settings

    from zhiyin.devices.models import DeviceAlarm
    from zhiyin.devices.tasks import devices_sweep

    assert ("zhiyin.devices.tasks.devices_sweep", 60) in settings.PERIODIC_TASKS
    world, device = terminal.world, terminal.sim
    device.state["ink"] = 37
    terminal.local.hello(device)
    device.alarm("ink_low")
    terminal.local.sync(device)
    url = reverse("device_detail", args=[terminal.device.pk])
    html = client_for(world.inspector).get(url).content.decode()
    assert "在线" in html and "37%" in html and "印油不足" in html
    assert "alarm ·" in html  # the last event: its type and time
    assert devices_sweep.call() == 0  # seen just now: nothing to raise
    SealDevice.objects.filter(pk=terminal.device.pk).update(
        last_seen_at=timezone.now() - dt.timedelta(hours=25)
    )
    assert devices_sweep.call() == 1
    assert devices_sweep.call() == 0
    assert DeviceAlarm.objects.filter(kind="offline").count() == 1
    html = client_for(world.inspector).get(url).content.decode()
    assert "离线" in html and "长时间离线" in html


def test_a_terminal_clock_ahead_of_the_server_is_flagged(terminal: Terminal) -> None:
    """A stamp timed after it arrived cannot be right: beyond the tolerance it raises
    ``clock_skew`` (once per boot) and the request page marks the stamp."""
    from zhiyin.devices.models import DeviceAlarm

    world, device = terminal.world, terminal.sim
    request = approved(terminal, stamp_count=2)
    authorization = stamp_authorization_create(
        request=request, by=world.sn_custodian1, not_after=timezone.now() + dt.timedelta(hours=1)
    )
    terminal.local.sync(device)
    device.state["clock_offset"] = 600.0  # ten minutes fast, tolerance two
    device.stamp(authorization.code, transport=terminal.local)
    device.stamp(authorization.code, transport=terminal.local)
    skew = DeviceAlarm.objects.get(kind="clock_skew")
    assert 590 <= skew.detail["skew_seconds"] <= 610 and skew.event is not None
    html = (
        client_for(world.sn_clerk)
        .get(reverse("seal_request_detail", args=[request.pk]))
        .content.decode()
    )
    assert html.count("终端时钟偏差") == 2
