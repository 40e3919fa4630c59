"""What only the HTTPS transport has: the long poll that is open before the grant exists,
and the simulator as a standalone program. Every rule over HTTPS and MQTT alike is in
`test_transports`."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from django.utils import timezone

from zhiyin.approvals.models import RequestStatus
from zhiyin.devices.authorizations import stamp_authorization_create
from zhiyin.devices.models import DevicePhoto, SealDevice, StampEvent
from zhiyin.devices.tests.conftest import Terminal, approved, register_terminal, sim
from zhiyin.devices.tests.servers import Https, https_server

pytestmark = pytest.mark.django_db(transaction=True)

TOOL = Path(__file__).resolve().parents[3] / "tools" / "zhiyin_device"


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
