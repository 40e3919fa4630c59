"""What only the MQTT 5 transport has, through a real Mosquitto (mutual TLS with device
certificates, per-device ACL): a terminal cannot publish or subscribe under another
terminal's topics, a client without a device certificate is refused, `run_worker` runs the
bridge when MQTT_URL is set and the grant arrives with a message expiry, and the broker's
configuration is generated. Every rule over HTTPS and MQTT alike is in `test_transports`."""

from __future__ import annotations

import datetime as dt
import threading
import time
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from django.utils import timezone
from paho.mqtt.enums import CallbackAPIVersion

from zhiyin.devices.authorizations import stamp_authorization_create
from zhiyin.devices.models import DeviceCommand, DeviceEvent
from zhiyin.devices.tests.conftest import Terminal, approved, register_terminal, sim
from zhiyin.devices.tests.servers import Broker, bridge_running, mosquitto

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def broker(terminal: Terminal, tmp_path: Path) -> Any:
    with mosquitto(terminal.world.district, tmp_path / "broker") as running:
        yield running


def _wait(condition: Any, seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def test_a_terminal_cannot_use_another_terminals_topics(
    terminal: Terminal, broker: Broker, tmp_path: Path
) -> None:
    _, code = register_terminal(
        terminal.world, serial="ZY-SN-02", seal=terminal.world.sn_group1_seal
    )
    other = sim.Device.create(str(tmp_path / "other.json"), "ZY-SN-02")
    terminal.local.enrol(other, code)
    with bridge_running(broker):
        intruder = sim.MqttTransport(broker.url, other, broker.cafile)
        try:
            # publish an event of its own, signed by itself, under ZY-SN-01's topic
            forged = other.event("state", {"ink": 1})
            info = intruder.publish("zhiyin/dev/ZY-SN-01/evt", {"events": [forged]})
            assert _wait(lambda: info.mid in intruder.last_puback)
            assert intruder.last_puback[info.mid].value == 0x87  # not authorized
            # and cannot read ZY-SN-01's commands: Mosquitto grants the subscription but
            # checks the read ACL on delivery, so nothing ever arrives
            received: list[str] = []
            intruder.client.on_message = lambda client, userdata, message: received.append(
                message.topic
            )
            subscribed = threading.Event()
            intruder.client.on_subscribe = lambda *args: subscribed.set()
            intruder.client.subscribe("zhiyin/dev/ZY-SN-01/cmd", qos=1)
            assert subscribed.wait(10)
            request = approved(terminal, stamp_count=1)
            stamp_authorization_create(
                request=request,
                by=terminal.world.sn_custodian1,
                not_after=timezone.now() + dt.timedelta(hours=1),
            )
            assert _wait(lambda: DeviceCommand.objects.filter(published_at__isnull=False).exists())
            time.sleep(0.5)
            assert received == []
            assert not DeviceEvent.objects.exists()
        finally:
            intruder.close()


def test_the_broker_refuses_a_client_without_a_device_certificate(broker: Broker) -> None:
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="anon", protocol=mqtt.MQTTv5)
    client.tls_set(ca_certs=broker.cafile)
    accepted = threading.Event()
    client.on_connect = lambda c, u, f, reason, p: accepted.set() if not reason.is_failure else None
    try:
        client.connect("127.0.0.1", int(broker.url.rsplit(":", 1)[1]))
        client.loop_start()
    except OSError:
        pass  # refused during the TLS handshake (TLS 1.2)
    assert not accepted.wait(3)  # TLS 1.3 refuses just after it
    client.loop_stop()


def test_run_worker_bridges_mqtt_when_mqtt_url_is_set(
    terminal: Terminal, broker: Broker, settings: Any
) -> None:
    from zhiyin.devices.duties import mqtt_bridge

    assert mqtt_bridge() is None  # no MQTT_URL: no duty
    settings.MQTT_URL = broker.url
    settings.MQTT_CA_CERT = broker.cafile
    settings.MQTT_CLIENT_CERT = str(broker.folder / "server.pem")
    settings.MQTT_CLIENT_KEY = str(broker.folder / "server.key")
    duty = mqtt_bridge()
    assert duty is not None

    class FakeWorker:
        worker_id = "test-worker"

    duty.start(FakeWorker())
    transport = sim.MqttTransport(broker.url, terminal.sim, broker.cafile)
    expiries: list[int | None] = []
    receive = transport.client.on_message
    assert receive is not None

    def spy(client: Any, userdata: Any, message: Any) -> None:
        expiries.append(getattr(message.properties, "MessageExpiryInterval", None))
        receive(client, userdata, message)

    transport.client.on_message = spy
    try:
        transport.hello(terminal.sim)
        assert transport.acks and "server_time" in transport.acks[-1]
        request = approved(terminal, stamp_count=1)
        stamp_authorization_create(
            request=request,
            by=terminal.world.sn_custodian1,
            not_after=timezone.now() + dt.timedelta(hours=1),
        )
        assert transport.commands_received.wait(10)
        # the grant's message expires with its window (an hour, less the moments since)
        grant_expiry = [e for e in expiries if e is not None]
        assert grant_expiry and 3500 <= grant_expiry[-1] <= 3600
    finally:
        transport.close()
        duty.stop()


def test_device_mqtt_setup_writes_a_broker_configuration(
    terminal: Terminal, tmp_path: Path
) -> None:
    from django.core.management import call_command

    out = tmp_path / "mqtt"
    call_command("device_mqtt_setup", district="460205", out=str(out), host="broker.example")
    names = {p.name for p in out.iterdir()}
    assert {
        "ca.pem",
        "broker.pem",
        "broker.key",
        "server.pem",
        "server.key",
        "acl",
        "mosquitto.conf",
    } <= names
    assert "pattern write zhiyin/dev/%u/evt" in (out / "acl").read_text()
    assert "use_identity_as_username true" in (out / "mosquitto.conf").read_text()
    assert (out / "server.key").stat().st_mode & 0o077 == 0


def test_a_broken_connection_shows_the_terminal_offline_at_once(
    terminal: Terminal, broker: Broker
) -> None:
    """The terminal's retained ``…/state`` and its last will: when its connection breaks
    without a goodbye, the broker says so and the device page shows 离线 at once."""
    from django.urls import reverse

    from conftest import client_for
    from zhiyin.devices.models import SealDevice

    def online() -> bool:
        return SealDevice.objects.get(pk=terminal.device.pk).online

    page = reverse("device_detail", args=[terminal.device.pk])
    SealDevice.objects.filter(pk=terminal.device.pk).update(online=False)
    with bridge_running(broker):
        transport = sim.MqttTransport(broker.url, terminal.sim, broker.cafile)
        assert _wait(online)  # its retained {"online": true}
        assert "在线" in client_for(terminal.world.inspector).get(page).content.decode()
        transport.client.loop_stop()
        socket = transport.client.socket()
        assert socket is not None
        socket.close()  # the line drops: no DISCONNECT, the broker publishes the will
        assert _wait(lambda: not online())
        html = client_for(terminal.world.inspector).get(page).content.decode()
        assert "离线" in html
