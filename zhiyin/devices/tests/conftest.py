"""Fixtures for the terminal tests: 水南村's terminal ZY-SN-01 holding the committee seal
(slot ``committee``), enrolled by the real simulator, and approved requests for it.

`Local` (the app's in-process transport) hands the simulator's messages to the ingest
services directly, for the many rule tests; the HTTPS and MQTT tests run the same
simulator against a real TLS server and a real Mosquitto broker.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from conftest import World
from tools import zhiyin_device as sim
from zhiyin.approvals.models import SealRequest
from zhiyin.approvals.services import seal_request_approve, seal_request_submit
from zhiyin.approvals.tests.conftest import (  # noqa: F401  # fixtures used by these tests
    Catalog,
    _media_in_tmp,
    catalog,
    request_make,
    view_documents,
)
from zhiyin.devices.local import LocalTransport
from zhiyin.devices.models import SealDevice
from zhiyin.devices.services import device_register

__all__ = ["Local", "Terminal", "approved", "register_terminal", "sim"]


Local = LocalTransport


@dataclass
class Terminal:
    world: World
    catalog: Catalog
    device: SealDevice
    sim: sim.Device
    local: Local
    state_path: Path


def register_terminal(
    world: World, serial: str = "ZY-SN-01", seal: Any = None
) -> tuple[SealDevice, str]:
    """A terminal in 水南村 holding `seal` (the committee seal by default)."""
    return device_register(
        village=world.shuinan,
        serial=serial,
        name="水南村智能印章终端",
        slots={"committee": seal or world.sn_committee_seal},
        by=world.sn_admin,
    )


@pytest.fixture
def terminal(world: World, catalog: Catalog, tmp_path: Path) -> Terminal:  # noqa: F811
    device, code = register_terminal(world)
    path = tmp_path / "ZY-SN-01.json"
    simulated = sim.Device.create(str(path), device.serial)
    local = Local()
    local.enrol(simulated, code)
    device.refresh_from_db()
    return Terminal(world, catalog, device, simulated, local, path)


def approved(
    terminal: Terminal, *, stamp_count: int = 3, joint: bool = False, seal: Any = None
) -> SealRequest:
    """A request for the committee seal, raised by the clerk and approved."""
    world, matters = terminal.world, terminal.catalog
    matter = matters.joint_matter if joint else matters.matter
    extra = {"seal": seal} if seal is not None else {}
    request = request_make(world, matter, stamp_count=stamp_count, **extra)
    seal_request_submit(request=request, by=world.sn_clerk)
    approvers = [world.sn_secretary] if joint else [world.sn_leader1, world.sn_secretary]
    for person in approvers:
        view_documents(request, person)
        seal_request_approve(request=request, by=person)
    if joint:
        # the chain's custodian step: both custodians confirm the matter
        for person in (world.sn_custodian1, world.sn_custodian2):
            view_documents(request, person)
            seal_request_approve(request=request, by=person)
    request.refresh_from_db()
    assert request.status == "approved", request.status
    return request
