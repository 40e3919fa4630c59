"""An in-process transport for the simulator (`tools/zhiyin_device/`): the same signed
messages, handed to the ingest services without a network. The demo loader uses it to
enrol the demo terminals and stamp with them; the rule tests use it for speed."""

from __future__ import annotations

import json
from typing import Any

from tools import zhiyin_device as sim
from zhiyin.devices import ingest, sessions
from zhiyin.devices.services import device_enrol


class LocalTransport(sim.Transport):
    def enrol(self, device: sim.Device, code: str) -> None:
        _registered, certificate, ca_certificate = device_enrol(message=device.enrol_message(code))
        device.enrolled({"certificate": certificate, "ca_certificate": ca_certificate})

    def hello(self, device: sim.Device) -> dict[str, Any]:
        answer = sessions.hello_record(message=device.session_message("hello", device.hello_body()))
        device.acknowledged(answer["ack"])
        return answer

    def send(self, device: sim.Device, events: list[dict[str, Any]]) -> dict[str, Any]:
        answer = ingest.events_ingest(messages=events).as_dict()
        device.acknowledged(answer["ack"])
        return answer

    def upload_photos(self, device: sim.Device) -> None:
        for sha, data in device.photos_pending():
            sessions.photo_store(
                message=device.session_message("photo", {"sha256": sha}),
                sha256=sha,
                data=data,
                content_type="image/png",
            )
            device.photo_uploaded(sha)

    def poll(self, device: sim.Device) -> int:
        registered, after = sessions.poll_authenticate(
            device.session_message("poll", {"after": device.state["command_seq"], "wait": 0})
        )
        commands = [json.loads(text) for text in sessions.commands_after(registered, after)]
        return sum(1 for command in commands if device.apply_command(command))

    def sync(self, device: sim.Device) -> None:
        self.upload_photos(device)
        if device.state["queue"]:
            self.send(device, list(device.state["queue"]))
        if self.poll(device) and device.state["queue"]:
            self.send(device, list(device.state["queue"]))
