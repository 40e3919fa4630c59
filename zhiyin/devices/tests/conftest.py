"""Fixtures for the terminal tests: 水南村's terminal ZY-SN-01 holding the committee seal
(slot ``committee``), enrolled by the real simulator, and approved requests for it.

`Local` is a transport for the simulator that calls the ingest services directly (same
messages, no network), for the many rule tests; the HTTPS and MQTT tests run the same
simulator against a real TLS server and a real Mosquitto broker.
"""

from __future__ import annotations

import json
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
from zhiyin.devices import ingest
from zhiyin.devices.models import SealDevice
from zhiyin.devices.services import device_enrol, device_register

__all__ = ["Local", "Terminal", "approved", "register_terminal", "sim"]


class Local(sim.Transport):
    """The simulator talking to the services in-process."""

    def enrol(self, device: sim.Device, code: str) -> None:
        _registered, certificate, ca_certificate = device_enrol(message=device.enrol_message(code))
        device.enrolled({"certificate": certificate, "ca_certificate": ca_certificate})

    def hello(self, device: sim.Device) -> dict[str, Any]:
        answer = ingest.hello_record(message=device.session_message("hello", device.hello_body()))
        device.acknowledged(answer["ack"])
        return answer

    def send(self, device: sim.Device, events: list[dict[str, Any]]) -> dict[str, Any]:
        answer = ingest.events_ingest(messages=events).as_dict()
        device.acknowledged(answer["ack"])
        return answer

    def upload_photos(self, device: sim.Device) -> None:
        for sha, data in device.photos_pending():
            ingest.photo_store(
                message=device.session_message("photo", {"sha256": sha}),
                sha256=sha,
                data=data,
                content_type="image/png",
            )
            device.photo_uploaded(sha)

    def poll(self, device: sim.Device) -> int:
        registered, after = ingest.poll_authenticate(
            device.session_message("poll", {"after": device.state["command_seq"], "wait": 0})
        )
        commands = [json.loads(text) for text in ingest.commands_after(registered, after)]
        return sum(1 for c in commands if device.apply_command(c))

    def sync(self, device: sim.Device) -> None:
        self.upload_photos(device)
        if device.state["queue"]:
            self.send(device, list(device.state["queue"]))
        if self.poll(device) and device.state["queue"]:
            self.send(device, list(device.state["queue"]))


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


def approved(terminal: Terminal, *, stamp_count: int = 3, joint: bool = False) -> SealRequest:
    """A request for the committee seal, raised by the clerk and approved."""
    world, matters = terminal.world, terminal.catalog
    matter = matters.joint_matter if joint else matters.matter
    request = request_make(world, matter, stamp_count=stamp_count)
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
