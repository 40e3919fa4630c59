#!/usr/bin/env python3
"""zhiyin-device: a smart seal terminal simulator that speaks Zhiyin's open protocol.

A standalone program (no Django, no Zhiyin imports) built only from
``docs/device-protocol.md``. It needs ``cryptography`` and ``rfc8785``, plus
``paho-mqtt`` for the MQTT transport. It keeps its key, certificates, grants and its
queue of unacknowledged events in one JSON state file, so it survives restarts and
replays what the server has not acknowledged.

    zhiyin_device.py --state sn.json enrol --server http://127.0.0.1:8000 --serial ZY-SN-01 --code ABCD...
    zhiyin_device.py --state sn.json run                       # hello, replay, wait for grants
    zhiyin_device.py --state sn.json stamp --code K7Q...        # scan the QR code, stamp once
    zhiyin_device.py --state sn.json offline on|off
    zhiyin_device.py --state sn.json alarm ink_low
    zhiyin_device.py --state sn.json status

Add ``--mqtt mqtts://host:8883`` to ``run``/``stamp`` to use MQTT 5 with the device
certificate as the TLS client certificate (``--mqtt-ca`` names the broker's CA file).
"""

from __future__ import annotations

import abc
import argparse
import base64
import datetime as dt
import hashlib
import json
import os
import ssl
import struct
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
import zlib
from typing import Any

import rfc8785
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

PROTOCOL_VERSION = 1
ZERO_HASH = "0" * 64
QR_PREFIX = "ZYSTAMP:"


class DeviceError(Exception):
    """The terminal refuses (no grant, wrong code, server said no)."""


# --- wire format (docs/device-protocol.md, "Messages") ---------------------------------


def canonical(message: dict[str, Any]) -> bytes:
    return rfc8785.dumps({k: v for k, v in message.items() if k != "sig"})


def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64u_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def now_utc(offset_seconds: float = 0.0) -> dt.datetime:
    return dt.datetime.now(dt.UTC) + dt.timedelta(seconds=offset_seconds)


def iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_time(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text[:-1] + "+00:00")


# --- a photo of the stamped page, without Pillow ------------------------------------

_FONT = {  # 5x7 bitmap glyphs, one string of 7 rows of 5 bits each
    "0": "01110100011001110101110011000101110",
    "1": "00100011000010000100001000010001110",
    "2": "01110100010000100010001000100011111",
    "3": "11111000100010000010000011000101110",
    "4": "00010001100101010010111110001000010",
    "5": "11111100001111000001000011000101110",
    "6": "00110010001000011110100011000101110",
    "7": "11111000010001000100010000100001000",
    "8": "01110100011000101110100011000101110",
    "9": "01110100011000101111000010001001100",
    "-": "00000000000000011111000000000000000",
    " ": "0" * 35,
    "A": "01110100011000111111100011000110001",
    "B": "11110100011000111110100011000111110",
    "C": "01110100011000010000100001000101110",
    "D": "11110100011000110001100011000111110",
    "E": "11111100001000011110100001000011111",
    "F": "11111100001000011110100001000010000",
    "G": "01110100011000010111100011000101111",
    "H": "10001100011000111111100011000110001",
    "I": "01110001000010000100001000010001110",
    "J": "00111000100001000010000101001001100",
    "K": "10001100101010011000101001001010001",
    "L": "10000100001000010000100001000011111",
    "M": "10001110111010110101100011000110001",
    "N": "10001100011100110101100111000110001",
    "O": "01110100011000110001100011000101110",
    "P": "11110100011000111110100001000010000",
    "Q": "01110100011000110001101011001001101",
    "R": "11110100011000111110101001001010001",
    "S": "01111100001000001110000010000111110",
    "T": "11111001000010000100001000010000100",
    "U": "10001100011000110001100011000101110",
    "V": "10001100011000110001100010101000100",
    "W": "10001100011000110101101011010101010",
    "X": "10001100010101000100010101000110001",
    "Y": "10001100011000101010001000010000100",
    "Z": "11111000010001000100010001000011111",
}


def page_photo(text: str, width: int = 320, height: int = 200) -> bytes:
    """A PNG 'photo' of the stamped page: white paper, the document number in black,
    and a red ring where the seal landed. Deterministic for the same text."""
    pixels = [[(250, 250, 245)] * width for _ in range(height)]
    scale, x0, y0 = 2, 12, 16
    for index, char in enumerate(text.upper()[:24]):
        glyph = _FONT.get(char, _FONT[" "])
        for row in range(7):
            for col in range(5):
                if glyph[row * 5 + col] == "1":
                    for dy in range(scale):
                        for dx in range(scale):
                            x, y = x0 + index * 6 * scale + col * scale + dx, y0 + row * scale + dy
                            if x < width and y < height:
                                pixels[y][x] = (20, 20, 20)
    cx, cy, radius = width - 80, height - 80, 56
    for y in range(height):
        for x in range(width):
            distance = ((x - cx) ** 2 + (y - cy) ** 2) ** 0.5
            if radius - 6 <= distance <= radius:
                pixels[y][x] = (200, 16, 32)
    raw = b"".join(b"\x00" + bytes(c for px in row for c in px) for row in pixels)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 6))
        + chunk(b"IEND", b"")
    )


# --- the terminal ----------------------------------------------------------------------


class Device:
    """The terminal's memory (the state file) and its behaviour."""

    def __init__(self, path: str, state: dict[str, Any]) -> None:
        self.path = path
        self.state = state
        self._lock = threading.RLock()

    # persistence
    @classmethod
    def load(cls, path: str) -> Device:
        with open(path, encoding="utf-8") as handle:
            return cls(path, json.load(handle))

    @classmethod
    def create(cls, path: str, serial: str, alg: str = "ed25519") -> Device:
        if alg == "ed25519":
            key: Any = ed25519.Ed25519PrivateKey.generate()
        elif alg == "p256":
            key = ec.generate_private_key(ec.SECP256R1())
        else:
            raise DeviceError(f"unsupported algorithm {alg}")
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode("ascii")
        device = cls(
            path,
            {
                "serial": serial,
                "alg": alg,
                "key": pem,
                "certificate": "",
                "ca_certificate": "",
                "boot": str(uuid.uuid4()),
                "seq": 0,
                "last_hash": ZERO_HASH,
                "queue": [],
                "grants": {},
                "command_seq": 0,
                "offline": False,
                "ink": 100,
                "battery": 100,
                "clock_offset": 0.0,
                "stamps": 0,
                "firmware": "sim-1.0",
            },
        )
        device.save()
        return device

    def save(self) -> None:
        with self._lock:
            folder = os.path.dirname(os.path.abspath(self.path))
            handle, temporary = tempfile.mkstemp(dir=folder, prefix=".device-")
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                json.dump(self.state, out, ensure_ascii=False, indent=1)
            os.replace(temporary, self.path)

    # keys and signatures
    @property
    def serial(self) -> str:
        return str(self.state["serial"])

    def _key(self) -> Any:
        return serialization.load_pem_private_key(self.state["key"].encode("ascii"), password=None)

    def public_key_pem(self) -> str:
        pem: str = (
            self._key()
            .public_key()
            .public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            .decode("ascii")
        )
        return pem

    def sign(self, message: dict[str, Any]) -> dict[str, Any]:
        key = self._key()
        data = canonical(message)
        if isinstance(key, ed25519.Ed25519PrivateKey):
            signature = key.sign(data)
        else:
            signature = key.sign(data, ec.ECDSA(hashes.SHA256()))
        return {**message, "sig": b64u(signature)}

    def clock(self) -> dt.datetime:
        return now_utc(float(self.state.get("clock_offset", 0.0)))

    def session_message(self, kind: str, body: dict[str, Any]) -> dict[str, Any]:
        return self.sign(
            {
                "v": PROTOCOL_VERSION,
                "type": kind,
                "device": self.serial,
                "time": iso(self.clock()),
                "nonce": uuid.uuid4().hex,
                "body": body,
            }
        )

    def enrol_message(self, code: str) -> dict[str, Any]:
        return self.sign(
            {
                "v": PROTOCOL_VERSION,
                "type": "enrol",
                "device": self.serial,
                "time": iso(self.clock()),
                "body": {
                    "code": code,
                    "public_key": self.public_key_pem(),
                    "alg": self.state["alg"],
                    "firmware": self.state["firmware"],
                },
            }
        )

    def enrolled(self, answer: dict[str, Any]) -> None:
        self.state["certificate"] = answer["certificate"]
        self.state["ca_certificate"] = answer["ca_certificate"]
        self.save()

    # events
    def event(
        self, kind: str, body: dict[str, Any], moment: dt.datetime | None = None
    ) -> dict[str, Any]:
        """Sign the next event of this boot, hash-linked to the previous one, and queue
        it until the server acknowledges it."""
        with self._lock:
            self.state["seq"] += 1
            message = {
                "v": PROTOCOL_VERSION,
                "type": kind,
                "id": str(uuid.uuid4()),
                "device": self.serial,
                "boot": self.state["boot"],
                "seq": self.state["seq"],
                "prev": self.state["last_hash"],
                "time": iso(moment or self.clock()),
                "body": body,
            }
            self.state["last_hash"] = hashlib.sha256(canonical(message)).hexdigest()
            signed = self.sign(message)
            self.state["queue"].append(signed)
            self.save()
            return signed

    def reboot(self) -> None:
        with self._lock:
            self.state["boot"] = str(uuid.uuid4())
            self.state["seq"] = 0
            self.state["last_hash"] = ZERO_HASH
            self.save()

    def acknowledged(self, acks: list[dict[str, Any]]) -> None:
        """Cumulative ack: drop every queued event of that boot up to seq."""
        with self._lock:
            upto = {a["boot"]: a["seq"] for a in acks}
            self.state["queue"] = [
                e
                for e in self.state["queue"]
                if not (e["boot"] in upto and e["seq"] <= upto[e["boot"]])
            ]
            self.save()

    # commands
    def apply_command(self, command: dict[str, Any]) -> bool:
        """Check a command's signature against the district device CA, then obey it and
        queue an ack event. Returns False for a command already applied."""
        ca = x509.load_pem_x509_certificate(self.state["ca_certificate"].encode("ascii"))
        public = ca.public_key()
        assert isinstance(public, ec.EllipticCurvePublicKey)
        try:
            public.verify(
                b64u_decode(command.get("sig", "")), canonical(command), ec.ECDSA(hashes.SHA256())
            )
        except (InvalidSignature, ValueError) as exc:
            raise DeviceError("command signature invalid") from exc
        if command.get("device") != self.serial:
            raise DeviceError("command for another device")
        with self._lock:
            if command["cmd_seq"] <= self.state["command_seq"]:
                return False
            body = command["body"]
            result, reason = "accepted", ""
            if command["type"] == "grant":
                self.state["grants"][str(body["authorization"])] = {**body, "used": 0}
            elif command["type"] == "revoke":
                self.state["grants"].pop(str(body["authorization"]), None)
            else:
                result, reason = "rejected", "unknown command"
            self.state["command_seq"] = command["cmd_seq"]
            self.save()
        self.event(
            "ack",
            {
                "command": command["cmd_seq"],
                "id": command["id"],
                "result": result,
                "reason": reason,
            },
        )
        return True

    def grant_for(self, code: str, slot: str | None) -> dict[str, Any] | None:
        digest = hashlib.sha256(code.strip().upper().encode("utf-8")).hexdigest()
        for grant in self.state["grants"].values():
            if grant["code_sha256"] == digest and (slot is None or grant["slot"] == slot):
                return dict(grant)
        return None

    def stamp(
        self,
        code: str,
        *,
        slot: str | None = None,
        operator: str = "",
        force: bool = False,
        authorization: int | None = None,
        transport: Transport | None = None,
    ) -> dict[str, Any]:
        """Scan the QR code and stamp once. The terminal enforces its grant by itself
        (count and window by its own clock), online or not; ``force`` models a stamp
        pressed past the lock (a defective or forced terminal), which is still reported."""
        if code.startswith(QR_PREFIX):
            code = code[len(QR_PREFIX) :]
        grant = self.grant_for(code, slot)
        moment = self.clock()
        refusal = ""
        if grant is None:
            refusal = "no grant for this code"
        elif grant["used"] >= grant["count"]:
            refusal = "grant used up"
        elif not parse_time(grant["not_before"]) <= moment <= parse_time(grant["not_after"]):
            refusal = "outside the grant's window"
        if refusal and not force:
            raise DeviceError(refusal)
        slot_code = slot or (grant["slot"] if grant else next(iter(self._slots()), "slot"))
        auth_id = (
            authorization
            if authorization is not None
            else (grant["authorization"] if grant else None)
        )
        request_number = (grant or {}).get("request") or "EMERGENCY"
        self.state["stamps"] += 1
        photo = page_photo(f"{request_number} {self.state['stamps']}")
        photo_sha = hashlib.sha256(photo).hexdigest()
        self._store_photo(photo_sha, photo)
        if grant is not None and not refusal:
            self.state["grants"][str(grant["authorization"])]["used"] += 1
        self.state["ink"] = max(self.state["ink"] - 1, 0)
        self.save()
        self.event("unlock", {"slot": slot_code, "authorization": auth_id, "code": code}, moment)
        event = self.event(
            "stamp",
            {
                "slot": slot_code,
                "authorization": auth_id,
                "code": code,
                "operator": operator,
                "photo_sha256": photo_sha,
                "document": (grant or {}).get("document_sha256", ""),
            },
            moment,
        )
        self.event("lock", {"slot": slot_code, "authorization": auth_id, "stamps": 1}, moment)
        if transport is not None and not self.state["offline"]:
            transport.sync(self)
        return event

    def _slots(self) -> list[str]:
        return sorted({g["slot"] for g in self.state["grants"].values()})

    def _photo_dir(self) -> str:
        folder = os.path.splitext(os.path.abspath(self.path))[0] + "-photos"
        os.makedirs(folder, exist_ok=True)
        return folder

    def _store_photo(self, sha: str, data: bytes) -> None:
        with open(os.path.join(self._photo_dir(), sha + ".png"), "wb") as out:
            out.write(data)
        self.state.setdefault("photos_pending", []).append(sha)

    def photos_pending(self) -> list[tuple[str, bytes]]:
        out = []
        for sha in self.state.get("photos_pending", []):
            with open(os.path.join(self._photo_dir(), sha + ".png"), "rb") as handle:
                out.append((sha, handle.read()))
        return out

    def photo_uploaded(self, sha: str) -> None:
        with self._lock:
            self.state["photos_pending"] = [
                s for s in self.state.get("photos_pending", []) if s != sha
            ]
            self.save()

    def alarm(self, kind: str, detail: dict[str, Any] | None = None) -> dict[str, Any]:
        return self.event("alarm", {"kind": kind, "detail": detail or {}})

    def hello_body(self) -> dict[str, Any]:
        return {
            "firmware": self.state["firmware"],
            "battery": self.state["battery"],
            "ink": self.state["ink"],
            "command_seq": self.state["command_seq"],
            "queued": len(self.state["queue"]),
        }


# --- transports -----------------------------------------------------------------------


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
                self.commands_received.set()
        else:
            self.device.acknowledged(data.get("ack", []))
            self.acks.append(data)
            self.ack_received.set()

    def publish(self, topic: str, message: dict[str, Any]) -> Any:
        info = self.client.publish(topic, rfc8785.dumps(message), qos=1)
        info.wait_for_publish(10)
        return info

    def hello(self, device: Device) -> None:
        self.ack_received.clear()
        self.publish(f"{self.base}/hello", device.session_message("hello", device.hello_body()))
        self.ack_received.wait(10)

    def sync(self, device: Device) -> None:
        if self.photos is not None:
            self.photos.upload_photos(device)
        queue = list(device.state["queue"])
        if queue:
            self.ack_received.clear()
            self.publish(f"{self.base}/evt", {"events": queue})
            self.ack_received.wait(10)

    def close(self) -> None:
        self.client.publish(
            f"{self.base}/state", json.dumps({"online": False}), qos=1, retain=True
        ).wait_for_publish(5)
        self.client.disconnect()
        self.client.loop_stop()


# --- command line ---------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Zhiyin smart seal terminal simulator")
    parser.add_argument(
        "--state", default="zhiyin-device.json", help="state file (key, queue, grants)"
    )
    parser.add_argument("--server", help="Zhiyin base URL (HTTPS transport and photo uploads)")
    parser.add_argument("--cafile", help="CA file to trust for HTTPS")
    parser.add_argument("--mqtt", help="mqtts://host:port: use MQTT 5 instead of HTTPS")
    parser.add_argument("--mqtt-ca", help="CA file of the MQTT broker")
    commands = parser.add_subparsers(dest="command", required=True)
    enrol = commands.add_parser("enrol", help="generate a key and enrol with a one-time code")
    enrol.add_argument("--serial", required=True)
    enrol.add_argument("--code", required=True)
    enrol.add_argument("--alg", default="ed25519", choices=["ed25519", "p256"])
    run = commands.add_parser("run", help="stay online: hello, replay, wait for grants")
    run.add_argument("--once", action="store_true")
    stamp = commands.add_parser("stamp", help="scan a QR code and stamp")
    stamp.add_argument("--code", required=True)
    stamp.add_argument("--slot")
    stamp.add_argument("--operator", default="")
    stamp.add_argument("--count", type=int, default=1)
    stamp.add_argument("--force", action="store_true", help="stamp even without a valid grant")
    offline = commands.add_parser("offline", help="go offline (events queue) or back online")
    offline.add_argument("mode", choices=["on", "off"])
    alarm = commands.add_parser("alarm", help="raise an alarm")
    alarm.add_argument(
        "kind",
        choices=["tamper", "ink_low", "unlock_too_long", "stamp_without_grant", "battery_low"],
    )
    commands.add_parser("status", help="show the state")
    args = parser.parse_args(argv)

    if args.command == "enrol":
        if not args.server:
            parser.error("enrol needs --server")
        device = Device.create(args.state, args.serial, args.alg)
        HttpsTransport(args.server, args.cafile).enrol(device, args.code)
        print(f"enrolled {device.serial}; state in {args.state}")
        return 0
    device = Device.load(args.state)
    if args.command == "status":
        shown = {
            k: v
            for k, v in device.state.items()
            if k not in ("key", "certificate", "ca_certificate")
        }
        shown["queue"] = len(device.state["queue"])
        print(json.dumps(shown, ensure_ascii=False, indent=1))
        return 0
    if args.command == "offline":
        device.state["offline"] = args.mode == "on"
        device.save()
        print("offline" if device.state["offline"] else "online")
        return 0
    transport: Transport | None = None
    if not device.state["offline"]:
        https = HttpsTransport(args.server, args.cafile) if args.server else None
        if args.mqtt:
            transport = MqttTransport(args.mqtt, device, args.mqtt_ca, photos=https)
        elif https is not None:
            transport = https
    if args.command == "alarm":
        device.alarm(args.kind)
        if transport:
            transport.sync(device)
        return 0
    if args.command == "stamp":
        for _ in range(args.count):
            event = device.stamp(
                args.code,
                slot=args.slot,
                operator=args.operator,
                force=args.force,
                transport=transport,
            )
            print(f"stamped: seq {event['seq']} photo {event['body']['photo_sha256'][:12]}")
        return 0
    if args.command == "run":
        if transport is None:
            parser.error("run needs --server or --mqtt (and the terminal online)")
        while True:
            if isinstance(transport, HttpsTransport):
                transport.hello(device)
                transport.sync(device)
                if args.once:
                    return 0
                applied = transport.poll(device, wait=20)
                if applied:
                    print(f"{applied} command(s); grants: {list(device.state['grants'])}")
                    transport.sync(device)
            else:
                assert isinstance(transport, MqttTransport)
                transport.hello(device)
                transport.sync(device)
                if args.once:
                    transport.close()
                    return 0
                time.sleep(5)
    return 1


if __name__ == "__main__":
    sys.exit(main())
