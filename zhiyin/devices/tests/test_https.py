"""The simulator against Zhiyin over real HTTPS (TLS on a free port): enrolment, long
poll for the grant, stamps with photos, a foreign signature refused, a replay stored
once, offline replay in order — and the standalone program's command line."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from django.utils import timezone

from zhiyin.approvals.models import RequestStatus
from zhiyin.devices.models import DeviceAlarm, DeviceEvent, DevicePhoto, SealDevice, StampEvent
from zhiyin.devices.services import (
    emergency_open,
    stamp_authorization_confirm,
    stamp_authorization_create,
)
from zhiyin.devices.tests.conftest import Terminal, approved, register_terminal, sim
from zhiyin.devices.tests.servers import Https, https_server

pytestmark = pytest.mark.django_db(transaction=True)

TOOL = Path(__file__).resolve().parents[3] / "tools" / "zhiyin_device.py"


@pytest.fixture
def https(terminal: Terminal, tmp_path: Path) -> object:
    with https_server(terminal.world.district, tmp_path / "tls") as server:
        yield server


def test_a_terminal_enrols_waits_for_its_grant_and_stamps_over_https(
    terminal: Terminal, https: Https, tmp_path: Path
) -> None:
    _, code = register_terminal(
        terminal.world, serial="ZY-SN-07", seal=terminal.world.sn_group1_seal
    )
    device = sim.Device.create(str(tmp_path / "sn07.json"), "ZY-SN-07", alg="p256")
    transport = sim.HttpsTransport(https.url, https.cafile)
    transport.enrol(device, code)
    with pytest.raises(sim.DeviceError, match="bad_enrol_code"):
        transport.enrol(sim.Device.create(str(tmp_path / "thief.json"), "ZY-SN-07"), code)
    transport.hello(device)
    request = approved(terminal, stamp_count=2, seal=terminal.world.sn_group1_seal)
    applied: list[int] = []
    waiting = threading.Thread(target=lambda: applied.append(transport.poll(device, wait=15)))
    waiting.start()  # the long poll is open before the grant exists
    authorization = stamp_authorization_create(
        request=request,
        by=terminal.world.sn_custodian1,
        not_after=timezone.now() + dt.timedelta(hours=1),
    )
    waiting.join(20)
    assert applied == [1]
    device.stamp(authorization.code, operator="王哥", transport=transport)
    device.stamp(authorization.code, operator="王哥", transport=transport)
    request.refresh_from_db()
    assert request.status == RequestStatus.COMPLETED
    stamps = list(StampEvent.objects.filter(request=request))
    assert [s.status for s in stamps] == ["authorized", "authorized"]
    assert DevicePhoto.objects.filter(sha256__in=[s.photo_sha256 for s in stamps]).count() == 2
    assert device.state["queue"] == [] and device.state["photos_pending"] == []


def test_https_refuses_a_foreign_signature_and_stores_a_replay_once(
    terminal: Terminal, https: Https, tmp_path: Path
) -> None:
    transport = sim.HttpsTransport(https.url, https.cafile)
    event = terminal.sim.event("state", {"ink": 70})
    first = transport.send_events(terminal.sim, [event])
    again = transport.post("events", {"events": [event]})
    assert (
        first["results"][0]["status"] == "stored" and again["results"][0]["status"] == "duplicate"
    )
    assert DeviceEvent.objects.count() == 1
    _, code = register_terminal(
        terminal.world, serial="ZY-SN-08", seal=terminal.world.sn_group1_seal
    )
    other = sim.Device.create(str(tmp_path / "b.json"), "ZY-SN-08")
    transport.enrol(other, code)
    other.state["serial"] = "ZY-SN-01"
    forged = transport.post("events", {"events": [other.event("state", {"ink": 1})]})
    assert forged["results"][0]["error"] == "bad_signature"
    with pytest.raises(sim.DeviceError, match="bad_signature"):
        transport.hello(other)
    assert DeviceEvent.objects.count() == 1


def test_an_offline_terminal_replays_in_order_over_https(terminal: Terminal, https: Https) -> None:
    transport = sim.HttpsTransport(https.url, https.cafile)
    request = approved(terminal, stamp_count=2)
    authorization = stamp_authorization_create(
        request=request,
        by=terminal.world.sn_custodian1,
        not_after=timezone.now() + dt.timedelta(hours=1),
    )
    transport.sync(terminal.sim)
    terminal.sim.state["offline"] = True
    terminal.sim.stamp(authorization.code, transport=transport)  # offline: nothing is sent
    terminal.sim.stamp(authorization.code, transport=transport)
    assert not StampEvent.objects.exists() and len(terminal.sim.state["queue"]) == 6
    terminal.sim.state["offline"] = False
    transport.hello(terminal.sim)
    transport.replay(terminal.sim)
    assert terminal.sim.state["queue"] == []
    seqs = list(DeviceEvent.objects.order_by("pk").values_list("seq", flat=True))
    assert seqs == sorted(seqs)
    request.refresh_from_db()
    assert request.status == RequestStatus.COMPLETED


def test_the_simulator_runs_as_a_standalone_program(
    terminal: Terminal, https: Https, tmp_path: Path
) -> None:
    _, code = register_terminal(
        terminal.world, serial="ZY-SN-05", seal=terminal.world.sn_group1_seal
    )
    state = str(tmp_path / "cli.json")
    base = [
        sys.executable,
        str(TOOL),
        "--state",
        state,
        "--server",
        https.url,
        "--cafile",
        https.cafile,
    ]

    def run(*args: str) -> str:
        done = subprocess.run([*base, *args], capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        return done.stdout

    assert "enrolled ZY-SN-05" in run("enrol", "--serial", "ZY-SN-05", "--code", code)
    run("alarm", "tamper")
    run("run", "--once")
    assert SealDevice.objects.get(serial="ZY-SN-05").alarms.filter(kind="tamper").exists()


def test_custody_flags_gaps_and_emergency_use_over_https(terminal: Terminal, https: Https) -> None:
    world = terminal.world
    transport = sim.HttpsTransport(https.url, https.cafile)
    device = terminal.sim
    transport.hello(device)
    request = approved(terminal, stamp_count=1, joint=True)
    authorization = stamp_authorization_create(
        request=request, by=world.sn_custodian1, not_after=timezone.now() + dt.timedelta(hours=1)
    )
    assert transport.poll(device) == 0  # two-person custody: nothing until the second confirms
    stamp_authorization_confirm(authorization=authorization, by=world.sn_custodian2)
    assert transport.poll(device) == 1
    device.stamp(authorization.code, transport=transport)
    device.stamp(authorization.code, force=True, transport=transport)  # over count
    device.stamp(
        "WRONGCODE1",
        slot="committee",
        authorization=authorization.pk,
        force=True,
        transport=transport,
    )
    device.stamp(
        "NOSUCHCODE", slot="committee", authorization=None, force=True, transport=transport
    )
    statuses = list(StampEvent.objects.order_by("pk").values_list("status", flat=True))
    assert statuses == ["authorized", "over_count", "code_mismatch", "no_grant"]
    lost = device.event("state", {"ink": 50})
    device.state["queue"].remove(lost)
    device.event("state", {"ink": 49})
    transport.replay(device)
    assert DeviceAlarm.objects.filter(kind="sequence_gap").count() == 1
    emergency = emergency_open(
        device=terminal.device,
        slot_code="committee",
        by=world.sn_custodian1,
        reason="防汛紧急物资调拨",
    )
    assert transport.poll(device) == 1
    device.stamp(emergency.code, transport=transport)
    assert StampEvent.objects.filter(authorization=emergency, status="authorized").count() == 1
