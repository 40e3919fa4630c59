"""The terminal: its memory (one JSON state file: key, certificates, grants, the queue of
unacknowledged events, pending photos) and its behaviour (sign, number and chain events,
obey signed commands, enforce its grants by itself, stamp, raise alarms)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import tempfile
import threading
import uuid
from typing import TYPE_CHECKING, Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from .photo import page_photo
from .wire import (
    PROTOCOL_VERSION,
    QR_PREFIX,
    ZERO_HASH,
    DeviceError,
    b64u,
    b64u_decode,
    canonical,
    iso,
    now_utc,
    parse_time,
)

if TYPE_CHECKING:
    from .transports import Transport


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
