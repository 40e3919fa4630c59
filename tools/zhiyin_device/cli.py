"""The command line of the simulator (see the package's docstring)."""

from __future__ import annotations

import argparse
import json
import time

from .device import Device
from .transports import HttpsTransport, MqttTransport, Transport


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
