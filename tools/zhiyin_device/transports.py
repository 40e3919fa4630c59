"""How a terminal reaches the server: HTTPS (``/api/devices/v1/``) or MQTT 5 through a
broker (docs/device-protocol.md §4 and §5). Both carry the same signed messages."""

from __future__ import annotations

import abc
import json
import os
import ssl
import tempfile
import threading
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

import rfc8785

from .device import Device
from .wire import DeviceError, b64u


class Transport(abc.ABC):
    """How a device exchanges messages with the server (HTTPS, MQTT, or in-process)."""

    @abc.abstractmethod
    def sync(self, device: Device) -> None:
        """Send the queued events and take the waiting commands."""


class HttpsTransport(Transport):
    """``/api/devices/v1/``: POST hello, events, commands (long poll); PUT photos."""

    def __init__(self, server: str, cafile: str | None = None, insecure: bool = False) -> None:
        if not server.startswith(("http://", "https://")):
            raise DeviceError("the server URL must start with http:// or https://")
        self.base = server.rstrip("/") + "/api/devices/v1/"
        self.context: ssl.SSLContext | None = None
        if self.base.startswith("https:"):
            self.context = ssl.create_default_context(cafile=cafile)
            if insecure:
                self.context.check_hostname = False
                self.context.verify_mode = ssl.CERT_NONE

    def _call(
        self,
        method: str,
        path: str,
        data: bytes | None,
        headers: dict[str, str],
        timeout: float = 40,
    ) -> dict[str, Any]:
        # The base URL is checked to be http(s) in __init__.
        url = self.base + path  # http(s) only: checked in __init__
        request = urllib.request.Request(url, data, headers, method=method)  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=timeout, context=self.context) as answer:  # noqa: S310
                return dict(json.loads(answer.read()))
        except urllib.error.HTTPError as exc:
            body = exc.read()
            try:
                detail = json.loads(body)
            except ValueError:
                detail = {"error": str(exc.code), "message": body[:200].decode("utf-8", "replace")}
            raise DeviceError(f"{detail.get('error')}: {detail.get('message')}") from exc

    def post(self, path: str, message: dict[str, Any], timeout: float = 40) -> dict[str, Any]:
        return self._call(
            "POST", path, rfc8785.dumps(message), {"Content-Type": "application/json"}, timeout
        )

    def enrol(self, device: Device, code: str) -> None:
        device.enrolled(self.post("enrol", device.enrol_message(code)))

    def hello(self, device: Device) -> dict[str, Any]:
        answer = self.post("hello", device.session_message("hello", device.hello_body()))
        device.acknowledged(answer.get("ack", []))
        return answer

    def upload_photos(self, device: Device) -> None:
        for sha, data in device.photos_pending():
            auth = device.session_message("photo", {"sha256": sha})
            self._call(
                "PUT",
                f"photos/{sha}",
                data,
                {"Content-Type": "image/png", "X-Zhiyin-Auth": b64u(rfc8785.dumps(auth))},
            )
            device.photo_uploaded(sha)

    def send_events(self, device: Device, events: list[dict[str, Any]]) -> dict[str, Any]:
        answer = self.post("events", {"events": events})
        device.acknowledged(answer.get("ack", []))
        return answer

    def replay(self, device: Device) -> dict[str, Any] | None:
        """Send the whole queue in order (photos first, so stamps find them)."""
        self.upload_photos(device)
        queue = list(device.state["queue"])
        return self.send_events(device, queue) if queue else None

    def poll(self, device: Device, wait: int = 0) -> int:
        body = {"after": device.state["command_seq"], "wait": wait}
        answer = self.post("commands", device.session_message("poll", body), timeout=wait + 15)
        applied = sum(1 for command in answer.get("commands", []) if device.apply_command(command))
        return applied

    def sync(self, device: Device) -> None:
        self.replay(device)
        if self.poll(device):
            self.replay(device)


class MqttTransport(Transport):
    """MQTT 5 with the device certificate as TLS client certificate. Topics (per device):
    ``<prefix>/dev/<serial>/evt`` and ``/hello`` (publish), ``/cmd`` and ``/ack``
    (subscribe), ``/state`` (retained online/offline, with a last will)."""

    def __init__(
        self,
        url: str,
        device: Device,
        cafile: str,
        prefix: str = "zhiyin",
        photos: HttpsTransport | None = None,
    ) -> None:
        import paho.mqtt.client as mqtt
        from paho.mqtt.enums import CallbackAPIVersion
        from paho.mqtt.packettypes import PacketTypes
        from paho.mqtt.properties import Properties

        self.mqtt, self.Properties, self.PacketTypes = mqtt, Properties, PacketTypes
        parsed = urllib.parse.urlparse(url)
        self.device = device
        self.photos = photos
        self.base = f"{prefix}/dev/{device.serial}"
        self.acks: list[dict[str, Any]] = []
        self.commands_received = threading.Event()
        self.applied = 0
        self.ack_received = threading.Event()
        self.last_puback: dict[int, Any] = {}
        folder = tempfile.mkdtemp(prefix="zhiyin-device-")
        cert, key = os.path.join(folder, "cert.pem"), os.path.join(folder, "key.pem")
        with open(cert, "w", encoding="ascii") as out:
            out.write(device.state["certificate"])
        with open(key, "w", encoding="ascii") as out:
            out.write(device.state["key"])
        client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=device.serial, protocol=mqtt.MQTTv5
        )
        client.tls_set(ca_certs=cafile, certfile=cert, keyfile=key)
        os.remove(key)
        client.will_set(f"{self.base}/state", json.dumps({"online": False}), qos=1, retain=True)
        client.on_message = self._on_message
        client.on_publish = self._on_publish
        connected = threading.Event()
        client.on_connect = lambda c, u, f, rc, p: connected.set()
        client.connect(parsed.hostname or "127.0.0.1", parsed.port or 8883, clean_start=True)
        client.loop_start()
        if not connected.wait(10):
            raise DeviceError("MQTT connection failed")
        client.subscribe([(f"{self.base}/cmd", 1), (f"{self.base}/ack", 1)])
        client.publish(f"{self.base}/state", json.dumps({"online": True}), qos=1, retain=True)
        self.client = client

    def _on_publish(
        self, client: Any, userdata: Any, mid: int, reason: Any, properties: Any
    ) -> None:
        self.last_puback[mid] = reason

    def _on_message(self, client: Any, userdata: Any, message: Any) -> None:
        data = json.loads(message.payload)
        if message.topic.endswith("/cmd"):
            if self.device.apply_command(data):
                self.applied += 1
                self.commands_received.set()
        else:
            self.device.acknowledged(data.get("ack", []))
            self.acks.append(data)
            self.ack_received.set()

    def publish(self, topic: str, message: dict[str, Any]) -> Any:
        info = self.client.publish(topic, rfc8785.dumps(message), qos=1)
        info.wait_for_publish(10)
        return info

    def _exchange(self, topic: str, message: dict[str, Any]) -> dict[str, Any]:
        """Publish and wait for the server's answer on ``…/ack`` (one exchange at a time)."""
        self.ack_received.clear()
        self.publish(f"{self.base}/{topic}", message)
        if not self.ack_received.wait(10):
            raise DeviceError("no answer from the server on the ack topic")
        answer: dict[str, Any] = self.acks[-1]
        if "error" in answer and "results" not in answer:
            raise DeviceError(f"{answer['error']}: {answer.get('message')}")
        return answer

    def hello(self, device: Device) -> dict[str, Any]:
        return self._exchange("hello", device.session_message("hello", device.hello_body()))

    def send_events(self, device: Device, events: list[dict[str, Any]]) -> dict[str, Any]:
        return self._exchange("evt", {"events": events})

    def poll(self, device: Device, wait: int = 0) -> int:
        """Commands are pushed on ``…/cmd``; wait up to `wait` seconds for one to arrive
        and return how many were applied since the last call."""
        if not self.commands_received.is_set():
            self.commands_received.wait(wait)
        self.commands_received.clear()
        applied, self.applied = self.applied, 0
        return applied

    def sync(self, device: Device) -> None:
        if self.photos is not None:
            self.photos.upload_photos(device)
        queue = list(device.state["queue"])
        if queue:
            self.send_events(device, queue)

    def close(self) -> None:
        self.client.publish(
            f"{self.base}/state", json.dumps({"online": False}), qos=1, retain=True
        ).wait_for_publish(5)
        self.client.disconnect()
        self.client.loop_stop()
