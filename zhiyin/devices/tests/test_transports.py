"""Every promise of the protocol driven through the simulator over both transports: real
HTTPS (TLS on a free port) and MQTT 5 through a real Mosquitto (mutual TLS with device
certificates, the per-device ACL) with the server's bridge. Each test runs once per
transport; the rules themselves are tested in-process in `test_protocol`.

Enrolment, a signature of the wrong terminal, a replay stored once, a sequence gap; stamps
counted and the others stored and flagged (over count, after expiry, without a grant,
another request's code); two-custodian opening and emergency use; offline replay in
order; and fifty reports racing for a grant of three (PostgreSQL in CI).
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from zhiyin.approvals.models import RequestStatus, SealRequest
from zhiyin.audit.models import AuditEvent
from zhiyin.delivery.models import Notification
from zhiyin.devices import events
from zhiyin.devices.authorizations import (
    stamp_authorization_confirm,
    stamp_authorization_create,
    stamp_authorization_expire,
)
from zhiyin.devices.emergency import emergency_approve, emergency_open
from zhiyin.devices.models import (
    AuthorizationStatus,
    DeviceAlarm,
    DeviceEvent,
    DevicePhoto,
    SealDevice,
    StampAuthorization,
    StampEvent,
)
from zhiyin.devices.tests.conftest import Terminal, approved, register_terminal, sim
from zhiyin.devices.tests.servers import (
    Broker,
    Https,
    bridge_running,
    https_server,
    mosquitto,
)

pytestmark = pytest.mark.django_db(transaction=True)

Link = sim.HttpsTransport | sim.MqttTransport
#: Bridges sharing the terminals' MQTT messages in the race (as several workers would).
BRIDGES = 4
REPORTS = 50


@dataclass
class Transports:
    """One transport kind for a test: the HTTPS server (always there: enrolment and photo
    uploads use it in both modes) and, for MQTT, the broker and the server's bridge."""

    kind: str
    https: Https
    broker: Broker | None
    opened: list[sim.MqttTransport] = field(default_factory=list)

    def photos(self) -> sim.HttpsTransport:
        return sim.HttpsTransport(self.https.url, self.https.cafile)

    def enrol(self, device: sim.Device, code: str) -> None:
        """Enrolment is an HTTPS exchange in both modes (the certificate it returns is
        what an MQTT terminal then connects with)."""
        self.photos().enrol(device, code)

    def connect(self, device: sim.Device) -> Link:
        if self.broker is None:
            return self.photos()
        transport = sim.MqttTransport(
            self.broker.url, device, self.broker.cafile, photos=self.photos()
        )
        self.opened.append(transport)
        return transport


@pytest.fixture(params=["https", "mqtt"])
def transports(
    request: pytest.FixtureRequest, terminal: Terminal, tmp_path: Path
) -> Iterator[Transports]:
    district = terminal.world.district
    with ExitStack() as stack:
        https = stack.enter_context(https_server(district, tmp_path / "tls"))
        broker = None
        if request.param == "mqtt":
            broker = stack.enter_context(mosquitto(district, tmp_path / "broker"))
            stack.enter_context(bridge_running(broker))
        running = Transports(request.param, https, broker)
        try:
            yield running
        finally:
            for transport in running.opened:
                transport.close()


def _wait(condition: Callable[[], bool], seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def _authorize(terminal: Terminal, request: SealRequest) -> StampAuthorization:
    return stamp_authorization_create(
        request=request,
        by=terminal.world.sn_custodian1,
        not_after=timezone.now() + dt.timedelta(hours=1),
    )


def _receive(link: Link, device: sim.Device, grants: int) -> None:
    """Wait until the terminal holds `grants` grants (long poll, or pushed on …/cmd),
    then send its acks."""
    assert _wait(lambda: link.poll(device, wait=5) >= 0 and len(device.state["grants"]) >= grants)
    link.sync(device)


def _refusal(send: Callable[[], dict[str, Any]]) -> str:
    """The error code of a refused exchange: per event (HTTPS batch, MQTT batch) or for
    the whole message."""
    try:
        answer = send()
    except sim.DeviceError as exc:
        return str(exc).split(":")[0]
    results = answer.get("results") or [{}]
    return str(results[0].get("error") or answer.get("error") or results[0].get("status"))


def _audit(action: str) -> list[dict[str, Any]]:
    return [json.loads(e.after) for e in AuditEvent.objects.filter(action=action).order_by("pk")]


# --- identity and exactly once --------------------------------------------------------


def test_enrolment_signatures_replays_and_gaps(
    terminal: Terminal, transports: Transports, tmp_path: Path
) -> None:
    world = terminal.world
    _, code = register_terminal(world, serial="ZY-SN-07", seal=world.sn_group1_seal)
    device = sim.Device.create(str(tmp_path / "sn07.json"), "ZY-SN-07", alg="p256")
    transports.enrol(device, code)
    device.save()
    assert SealDevice.objects.get(serial="ZY-SN-07").is_enrolled
    thief = sim.Device.create(str(tmp_path / "thief.json"), "ZY-SN-07")
    with pytest.raises(sim.DeviceError, match="bad_enrol_code"):
        transports.enrol(thief, code)  # the code is used up
    link = transports.connect(device)  # over MQTT: the new certificate opens the broker
    assert "server_time" in link.hello(device)

    # a message of ZY-SN-01 signed with another terminal's key, sent over that terminal's
    # own connection, and one signed by a key no terminal enrolled: both refused
    impostor = sim.Device(
        str(tmp_path / "impostor.json"), {**device.state, "serial": "ZY-SN-01", "queue": []}
    )
    forged = impostor.event("state", {"ink": 1})
    assert _refusal(lambda: link.send_events(device, [forged])) == "bad_signature"
    stranger = sim.Device.create(str(tmp_path / "stranger.json"), "ZY-SN-07")
    unsigned = stranger.event("state", {"ink": 2})
    assert _refusal(lambda: link.send_events(device, [unsigned])) == "bad_signature"
    assert not DeviceEvent.objects.exists()

    # a replayed event is stored once
    event = device.event("state", {"ink": 80, "battery": 70})
    first = link.send_events(device, [event])
    again = link.send_events(device, [event, event])
    assert first["results"][0]["status"] == "stored"
    assert [r["status"] for r in again["results"]] == ["duplicate", "duplicate"]
    assert DeviceEvent.objects.count() == 1

    # a sequence gap raises 记录缺失 and holds the ack until the lost event arrives
    lost = device.event("state", {"ink": 79})
    device.state["queue"].remove(lost)
    device.event("state", {"ink": 78})
    link.sync(device)
    alarm = DeviceAlarm.objects.get(kind=events.ALARM_SEQUENCE_GAP)
    assert (alarm.detail["missing_from"], alarm.detail["missing_to"]) == (2, 2)
    assert device.state["queue"]  # seq 3 is stored but not acknowledged past the gap
    answer = link.send_events(device, [lost])
    assert answer["ack"] == [{"boot": device.state["boot"], "seq": 3}]
    assert device.state["queue"] == []
    assert set(DeviceEvent.objects.values_list("via", flat=True)) == {transports.kind}


# --- stamps: counted, or stored and flagged ------------------------------------------


def test_stamps_are_counted_and_every_other_stamp_is_stored_and_flagged(
    terminal: Terminal, transports: Transports
) -> None:
    device = terminal.sim
    link = transports.connect(device)
    link.hello(device)
    first = approved(terminal, stamp_count=1)
    second = approved(terminal, stamp_count=1)
    grant, other = _authorize(terminal, first), _authorize(terminal, second)
    _receive(link, device, grants=2)

    device.stamp(grant.code, operator="符姐", transport=link)
    first.refresh_from_db()
    assert first.status == RequestStatus.COMPLETED
    device.stamp(grant.code, force=True, transport=link)  # pressed past the count
    # the second request's sheet put under the first request's grant (审用不符)
    device.stamp(other.code, slot="committee", authorization=grant.pk, force=True, transport=link)
    # no grant at all (先盖后批)
    device.stamp("NOSUCHCODE", slot="committee", authorization=None, force=True, transport=link)
    # after expiry: the server ended the window; a stale terminal still stamps under it
    StampAuthorization.objects.filter(pk=other.pk).update(
        not_after=timezone.now() - dt.timedelta(seconds=1)
    )
    assert stamp_authorization_expire(authorization_id=other.pk)
    device.stamp(other.code, force=True, transport=link)

    assert device.state["queue"] == [] and device.state["photos_pending"] == []
    stamps = list(StampEvent.objects.order_by("pk"))
    assert [s.status for s in stamps] == [
        "authorized",
        "over_count",
        "code_mismatch",
        "no_grant",
        "outside_window",
    ]
    assert DevicePhoto.objects.filter(sha256__in=[s.photo_sha256 for s in stamps]).count() == 5
    flagged = DeviceAlarm.objects.filter(kind=events.ALARM_STAMP_WITHOUT_GRANT)
    assert sorted(a.detail["status"] for a in flagged) == sorted(
        ["over_count", "code_mismatch", "no_grant", "outside_window"]
    )
    recorded = {r["status"]: r for r in _audit(events.STAMP_EVENT_RECORD)}
    assert recorded["code_mismatch"]["code_request"] == second.pk
    assert recorded["outside_window"]["request"] == second.pk
    assert StampAuthorization.objects.get(pk=grant.pk).used == 1
    assert StampAuthorization.objects.get(pk=other.pk).used == 0
    second.refresh_from_db()
    assert second.status == RequestStatus.APPROVED
    assert set(DeviceEvent.objects.values_list("via", flat=True)) == {transports.kind}


# --- custody ----------------------------------------------------------------------------


def test_two_custodians_open_a_joint_seal_and_emergency_use_is_recorded(
    terminal: Terminal, transports: Transports
) -> None:
    world, device = terminal.world, terminal.sim
    link = transports.connect(device)
    link.hello(device)
    request = approved(terminal, stamp_count=1, joint=True)
    grant = _authorize(terminal, request)
    assert grant.status == AuthorizationStatus.PENDING
    assert link.poll(device, wait=1) == 0 and device.state["grants"] == {}
    with pytest.raises(sim.DeviceError):  # the terminal stays shut
        device.stamp(grant.code, transport=link)
    stamp_authorization_confirm(authorization=grant, by=world.sn_custodian2)
    _receive(link, device, grants=1)
    device.stamp(grant.code, operator="符姐", transport=link)
    request.refresh_from_db()
    assert request.status == RequestStatus.COMPLETED

    emergency = emergency_open(
        device=terminal.device,
        slot_code="committee",
        by=world.sn_custodian1,
        reason="防汛紧急物资调拨",
    )
    assert Notification.objects.filter(person=world.inspector, text__contains="先行用章").exists()
    _receive(link, device, grants=1)
    device.stamp(emergency.code, operator="符姐", transport=link)
    assert StampEvent.objects.get(authorization=emergency).status == "authorized"
    emergency_approve(authorization=emergency, by=world.sn_secretary, comment="同意")
    assert _audit(events.DEVICE_EMERGENCY_APPROVED)[0]["stamps"][0]["status"] == "authorized"


# --- offline ----------------------------------------------------------------------------


def test_an_offline_terminal_gets_its_grant_late_and_replays_in_order(
    terminal: Terminal, transports: Transports
) -> None:
    device = terminal.sim
    request = approved(terminal, stamp_count=2)
    grant = _authorize(terminal, request)  # made while the terminal is not connected
    time.sleep(0.3)  # over MQTT the bridge has published it to nobody by now
    link = transports.connect(device)
    link.hello(device)  # hello brings the commands it missed
    _receive(link, device, grants=1)
    device.state["offline"] = True
    device.stamp(grant.code, operator="符姐", transport=link)  # offline: queued, not sent
    device.stamp(grant.code, operator="符姐", transport=link)
    with pytest.raises(sim.DeviceError):  # the count is enforced offline
        device.stamp(grant.code, transport=link)
    device.alarm("ink_low")
    assert not StampEvent.objects.exists() and len(device.state["queue"]) == 7
    device.state["offline"] = False
    link.hello(device)
    link.sync(device)
    assert device.state["queue"] == []
    stored = list(DeviceEvent.objects.order_by("pk").values_list("seq", flat=True))
    assert stored == sorted(stored)
    stamps = list(StampEvent.objects.order_by("device_time"))
    assert [s.status for s in stamps] == ["authorized", "authorized"]
    assert all(s.server_time >= s.device_time for s in stamps)
    request.refresh_from_db()
    assert request.status == RequestStatus.COMPLETED
    assert DeviceAlarm.objects.filter(kind="ink_low").exists()
    assert not DeviceAlarm.objects.filter(kind="sequence_gap").exists()


# --- the race ---------------------------------------------------------------------------


def test_fifty_racing_reports_for_k_three_count_exactly_three(
    terminal: Terminal, transports: Transports
) -> None:
    """Fifty stamp reports of a forced terminal arrive at once: as fifty HTTPS requests
    (a thread and a connection each), or as fifty MQTT messages shared by several
    bridges. Exactly three are authorized, the rest stored as over-count."""
    device = terminal.sim
    link = transports.connect(device)
    link.hello(device)
    request = approved(terminal, stamp_count=3)
    grant = _authorize(terminal, request)
    _receive(link, device, grants=1)
    device.state["queue"] = []
    reports = [
        device.event(
            "stamp",
            {
                "slot": "committee",
                "authorization": grant.pk,
                "code": grant.code,
                "operator": f"op{i}",
                "photo_sha256": f"{i:064x}",
            },
        )
        for i in range(REPORTS)
    ]
    if isinstance(link, sim.HttpsTransport):
        barrier = threading.Barrier(REPORTS)
        answers: list[Any] = [None] * REPORTS
        # SQLite has one writer at a time: fifty waiting at once outlast its busy timeout
        # on a loaded machine, so there they are let in a few at a time (the race that
        # matters is PostgreSQL's, where all fifty go at once)
        gate = threading.Semaphore(REPORTS if connection.vendor == "postgresql" else 4)

        def report(index: int) -> None:
            barrier.wait()
            try:
                with gate:
                    answers[index] = link.post("events", {"events": [reports[index]]})
            except Exception as exc:  # the assertion below names it
                answers[index] = exc

        threads = [threading.Thread(target=report, args=(i,)) for i in range(REPORTS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        statuses = [a["results"][0]["status"] if isinstance(a, dict) else a for a in answers]
    else:
        assert transports.broker is not None
        with ExitStack() as more:
            for n in range(1, BRIDGES):
                more.enter_context(bridge_running(transports.broker, f"zhiyin-server-{n}"))
            before = len(link.acks)
            for message in reports:
                link.publish(link.base + "/evt", {"events": [message]})
            assert _wait(lambda: len(link.acks) - before >= REPORTS, 60)
        statuses = [a["results"][0]["status"] for a in link.acks[before:]]
    assert statuses == ["stored"] * REPORTS
    judged = list(StampEvent.objects.values_list("status", flat=True))
    assert len(judged) == REPORTS
    assert judged.count("authorized") == 3
    assert judged.count("over_count") == REPORTS - 3
    assert StampAuthorization.objects.get(pk=grant.pk).used == 3
    request.refresh_from_db()
    assert request.status == RequestStatus.COMPLETED
