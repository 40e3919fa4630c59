"""The JSON Schemas in docs/device-protocol.md hold for what the simulator sends and
what the server answers, and the schema file is the one printed in the document."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import jsonschema
from django.utils import timezone

from zhiyin.devices import ingest, messages, sessions
from zhiyin.devices.authorizations import stamp_authorization_create
from zhiyin.devices.tests.conftest import Terminal, approved, sim

DOCS = Path(__file__).resolve().parents[3] / "docs"
SCHEMA = json.loads((DOCS / "device-protocol.schema.json").read_text(encoding="utf-8"))


def conforms(value: Any, definition: str) -> None:
    jsonschema.validate(value, {**SCHEMA, "$ref": f"#/$defs/{definition}"})


def test_the_schema_file_is_the_one_in_the_document() -> None:
    text = (DOCS / "device-protocol.md").read_text(encoding="utf-8")
    printed = text.split('```json\n{\n  "$schema"', 1)[1].split("\n```", 1)[0]
    assert json.loads('{\n  "$schema"' + printed) == SCHEMA
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


def test_every_message_and_answer_follows_the_schema(terminal: Terminal, tmp_path: Path) -> None:
    device = terminal.sim
    conforms(sim.Device.create(str(tmp_path / "x.json"), "ZY-X").enrol_message("CODE"), "Enrol")
    hello = device.session_message("hello", device.hello_body())
    conforms(hello, "Hello")
    conforms(sessions.hello_record(message=hello), "Ack")
    conforms(device.session_message("poll", {"after": 0, "wait": 0}), "Poll")
    conforms(device.session_message("photo", {"sha256": "0" * 64}), "Photo")
    request = approved(terminal, stamp_count=1)
    authorization = stamp_authorization_create(
        request=request,
        by=terminal.world.sn_custodian1,
        not_after=timezone.now() + dt.timedelta(hours=1),
    )
    commands = [json.loads(text) for text in sessions.commands_after(terminal.device, 0)]
    conforms({"commands": commands, "server_time": messages.iso(timezone.now())}, "Commands")
    terminal.local.poll(device)
    device.stamp(authorization.code, operator="符姐")
    device.alarm("tamper", {"sensor": "lid"})
    device.event("state", {"ink": 50, "battery": 80})
    queue = list(device.state["queue"])
    assert {e["type"] for e in queue} == {"ack", "unlock", "stamp", "lock", "alarm", "state"}
    conforms({"events": queue}, "EventBatch")
    conforms(ingest.events_ingest(messages=queue).as_dict(), "Ack")
