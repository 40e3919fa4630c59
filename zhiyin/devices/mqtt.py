"""The MQTT 5 transport: a bridge between a broker (Mosquitto) and the same ingest
services the HTTPS views call.

Terminals publish under ``<prefix>/dev/<serial>/`` only (the broker's ACL, with the
serial taken from their client certificate); the bridge subscribes to every terminal's
``hello`` and ``evt`` topics, answers on ``ack``, and publishes queued commands on
``cmd`` with QoS 1 and a message expiry equal to the grant's remaining window. A message
whose signed ``device`` differs from the topic's serial is refused, so even a broker
misconfiguration cannot let one terminal speak for another.

``run_worker`` runs it as a duty when ``MQTT_URL`` is set (`zhiyin.devices.duties`);
``manage.py mqtt_bridge`` runs it alone.
"""

from __future__ import annotations

import json
import logging
import threading
import urllib.parse
from dataclasses import dataclass
from typing import Any

import paho.mqtt.client as mqtt
from cryptography.hazmat.primitives import serialization
from django.conf import settings
from django.db import close_old_connections, connections
from django.utils import timezone
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from zhiyin.devices import ingest, sessions
from zhiyin.devices.keys import ca_key, certificate_load, device_ca_get_or_create
from zhiyin.devices.models import DeviceCommand, SealDevice
from zhiyin.lib import devproto, pki
from zhiyin.lib.devproto import ProtocolError
from zhiyin.orgs.models import District

logger = logging.getLogger(__name__)

SERVER_IDENTITY = "zhiyin-server"


@dataclass(frozen=True)
class Credentials:
    certificate_pem: str
    key_pem: str
    ca_pem: str


def credentials_issue(
    *, district: District, common_name: str, server_names: tuple[str, ...] = ()
) -> Credentials:
    """A key and certificate from the district's device CA for the broker (with
    `server_names`) or for the server's own MQTT client (CN ``zhiyin-server``)."""
    ca = device_ca_get_or_create(district=district)
    key = pki.key_generate()
    certificate = pki.device_cert_issue(
        ca_key=ca_key(ca),
        ca_cert=certificate_load(ca.certificate_pem),
        public_key=key.public_key(),
        common_name=common_name,
        organization=district.name,
        server_names=server_names,
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode("ascii")
    return Credentials(pki.cert_pem(certificate).decode("ascii"), key_pem, ca.certificate_pem)


def acl_text(prefix: str = "zhiyin") -> str:
    """The Mosquitto ACL: the server may use every topic, a terminal only its own."""
    return (
        f"user {SERVER_IDENTITY}\n"
        f"topic readwrite {prefix}/#\n\n"
        f"pattern write {prefix}/dev/%u/hello\n"
        f"pattern write {prefix}/dev/%u/evt\n"
        f"pattern readwrite {prefix}/dev/%u/state\n"
        f"pattern read {prefix}/dev/%u/cmd\n"
        f"pattern read {prefix}/dev/%u/ack\n"
    )


class Bridge:
    """One MQTT connection for the server. Thread-safe enough for paho's network thread
    plus one loop publishing commands."""

    def __init__(
        self,
        *,
        url: str,
        cafile: str,
        certfile: str,
        keyfile: str,
        prefix: str = "zhiyin",
        client_id: str = SERVER_IDENTITY,
    ) -> None:
        parsed = urllib.parse.urlparse(url)
        if parsed.scheme not in ("mqtts", "ssl"):
            raise ValueError("MQTT_URL must be mqtts://host:port (TLS with client certificates)")
        self.host, self.port = parsed.hostname or "127.0.0.1", parsed.port or 8883
        self.prefix = prefix
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5
        )
        self.client.tls_set(ca_certs=cafile, certfile=certfile, keyfile=keyfile)
        self.client.on_message = self._on_message
        self.client.on_connect = self._on_connect
        self.connected = threading.Event()
        self._stop = threading.Event()

    def _on_connect(
        self, client: Any, userdata: Any, flags: Any, reason: Any, properties: Any
    ) -> None:
        # Shared subscriptions: with several workers, each message goes to one of them.
        share = f"$share/{SERVER_IDENTITY}/{self.prefix}/dev/+"
        client.subscribe([(f"{share}/hello", 1), (f"{share}/evt", 1), (f"{share}/state", 1)])
        self.connected.set()

    def start(self) -> None:
        self.client.connect(self.host, self.port, clean_start=True)
        self.client.loop_start()
        if not self.connected.wait(15):
            raise ConnectionError(f"MQTT broker {self.host}:{self.port} did not answer")

    def stop(self) -> None:
        self._stop.set()
        self.client.disconnect()
        self.client.loop_stop()

    def _serial_of(self, topic: str) -> tuple[str, str] | None:
        parts = topic.split("/")
        base = self.prefix.split("/")
        if len(parts) != len(base) + 3 or parts[: len(base)] != base or parts[len(base)] != "dev":
            return None
        return parts[-2], parts[-1]

    def _answer(self, serial: str, answer: dict[str, Any]) -> None:
        self.client.publish(
            f"{self.prefix}/dev/{serial}/ack", json.dumps(answer, ensure_ascii=False), qos=1
        )

    def _on_message(self, client: Any, userdata: Any, message: Any) -> None:
        where = self._serial_of(message.topic)
        if where is None:
            return
        serial, kind = where
        close_old_connections()
        try:
            if kind == "state":
                self._online_state(serial, message.payload)
                return
            data = devproto.decode(message.payload)
            if kind == "hello":
                if data.get("device") != serial:
                    raise ProtocolError("bad_signature", "消息的终端与主题不符")
                answer = sessions.hello_record(message=data, via="mqtt")
                self._answer(serial, answer)
                body = data.get("body")
                after = body.get("command_seq", 0) if isinstance(body, dict) else 0
                device = SealDevice.objects.get(serial=serial)
                self.republish(device, after if isinstance(after, int) else 0)
            elif kind == "evt":
                batch = data.get("events")
                if not isinstance(batch, list) or not batch:
                    raise ProtocolError("bad_message", "events 必须是非空数组")
                if any(not isinstance(e, dict) or e.get("device") != serial for e in batch):
                    raise ProtocolError("bad_signature", "消息的终端与主题不符")
                self._answer(serial, ingest.events_ingest(messages=batch, via="mqtt").as_dict())
        except ProtocolError as exc:
            self._answer(serial, {"error": exc.code, "message": str(exc)})
        except Exception:  # a bad message must not stop the bridge; it is logged
            logger.exception("MQTT message on %s could not be handled", message.topic)
        finally:
            close_old_connections()

    def _online_state(self, serial: str, payload: bytes) -> None:
        """The terminal's retained ``…/state`` (``{"online": true|false}``), published by
        itself or, as its last will, by the broker when the connection breaks. Unsigned:
        the broker's ACL is what lets only that terminal (or its will) publish there."""
        try:
            online = json.loads(payload).get("online")
        except (ValueError, AttributeError):
            return
        if not isinstance(online, bool):
            return
        devices = SealDevice.objects.filter(serial=serial)
        if online:
            devices.update(online=True, last_seen_at=timezone.now(), offline_alarmed_at=None)
        else:
            devices.update(online=False)

    def _publish_command(self, command: DeviceCommand) -> None:
        properties = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]  # paho has no annotation here
        if command.expires_at is not None:
            remaining = int((command.expires_at - timezone.now()).total_seconds())
            if remaining <= 0:
                return
            properties.MessageExpiryInterval = remaining
        self.client.publish(
            f"{self.prefix}/dev/{command.device.serial}/cmd",
            command.message.encode("utf-8"),
            qos=1,
            properties=properties,
        )

    def republish(self, device: SealDevice, after: int) -> None:
        """Commands after `after` for a terminal that just said hello (it may have been
        offline when they were first published)."""
        now = timezone.now()
        for command in (
            DeviceCommand.objects.filter(device=device, seq__gt=after)
            .exclude(expires_at__lt=now)
            .select_related("device")
            .order_by("seq")
        ):
            self._publish_command(command)

    def publish_pending(self) -> int:
        """Publish commands not yet published, each claimed once (conditional UPDATE), so
        several bridges never send the same command twice."""
        sent = 0
        now = timezone.now()
        pending = (
            DeviceCommand.objects.filter(published_at__isnull=True)
            .exclude(expires_at__lt=now)
            .select_related("device")
            .order_by("pk")[:200]
        )
        for command in pending:
            if DeviceCommand.objects.filter(pk=command.pk, published_at__isnull=True).update(
                published_at=now
            ):
                self._publish_command(command)
                sent += 1
        return sent

    def run(self, interval: float = 0.1) -> None:
        try:
            while not self._stop.is_set():
                try:
                    self.publish_pending()
                except Exception:
                    logger.exception("publishing commands failed; retrying")
                finally:
                    close_old_connections()
                self._stop.wait(interval)
        finally:
            connections.close_all()


def bridge_from_settings(client_id: str = SERVER_IDENTITY) -> Bridge:
    return Bridge(
        client_id=client_id,
        url=settings.MQTT_URL,
        cafile=settings.MQTT_CA_CERT,
        certfile=settings.MQTT_CLIENT_CERT,
        keyfile=settings.MQTT_CLIENT_KEY,
        prefix=settings.MQTT_TOPIC_PREFIX,
    )
