"""What the smart seal terminal path costs, on PostgreSQL.

1. Ingest: stamp events per second through the service (`ingest.events_ingest`: JSON
   checks, signature verification, the device and boot locks, exactly-once storage, the
   hash link, the atomic count, the audit event) against a same-run baseline that inserts
   the same rows bare (the DeviceEvent, the StampEvent and the AuditEvent, one
   transaction per event, no checks), interleaved in rounds. Limits: ≥ 50 events/s
   through the service (a district of 1,000 terminals replaying a day offline — about
   20 stamps each, 3 events per stamp — in 20 minutes), and ≤ 10× the bare insert.
2. Grant-to-device latency over MQTT 5 through a real Mosquitto: from the custodian's
   service call to the simulator having verified and applied the signed grant, against
   a bare publish → receive through the same broker. Limit: median ≤ 1,000 ms.

Run: .venv/bin/python bench/bench_devices.py [rounds] [events per round] [grants]
Needs PostgreSQL (DATABASE_URL's server, default postgres://postgres@127.0.0.1:5432);
creates and drops its own database `zhiyin_bench_devices` (or `BENCH_DEVICES_DB`), media in
a temporary folder.
"""

from __future__ import annotations

import datetime as dt
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

INGEST_TARGET_PER_S = 50.0
INGEST_RATIO_LIMIT = 10.0
LATENCY_LIMIT_MS = 1000.0
#: Its own database, created and dropped by each run (BENCH_DEVICES_DB names another).
DB_NAME = os.environ.get("BENCH_DEVICES_DB", "zhiyin_bench_devices")


def verdict(ok: bool) -> str:
    return "OK" if ok else "OVER"


def server_url() -> str:
    url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    if not url.startswith("postgres"):
        url = "postgres://postgres@127.0.0.1:5432/postgres"
    return url.rsplit("/", 1)[0]


def recreate_database() -> None:
    import psycopg

    with psycopg.connect(f"{server_url()}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DB_NAME}")


def drop_database() -> None:
    import psycopg

    with psycopg.connect(f"{server_url()}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    per_round = int(sys.argv[2]) if len(sys.argv) > 2 else 60
    grants = int(sys.argv[3]) if len(sys.argv) > 3 else 20
    recreate_database()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            os.environ["DATABASE_URL"] = f"{server_url()}/{DB_NAME}"
            os.environ["MEDIA_ROOT"] = str(Path(tmp) / "media")
            os.environ["DJANGO_SETTINGS_MODULE"] = "zhiyin.settings"
            import django

            django.setup()
            from django.conf import settings
            from django.core.management import call_command

            settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
            call_command("migrate", verbosity=0)
            world = setup(Path(tmp))
            bench_ingest(world, rounds, per_round)
            bench_latency(world, Path(tmp), grants)
            from django.db import connections

            connections.close_all()
    finally:
        drop_database()


def setup(tmp: Path) -> dict[str, Any]:
    from tools import zhiyin_device as sim
    from zhiyin.devices.local import LocalTransport
    from zhiyin.devices.services import device_register
    from zhiyin.orgs.models import Role
    from zhiyin.seals.models import SealKind
    from zhiyin.seals.services import seal_register
    from zhiyin.tests.factories import district_make, staff_make, village_make

    district = district_make()
    village = village_make(district, "水南村", "460205101")
    custodian = staff_make("custodian", Role.CUSTODIAN, "符姐", village=village)
    seal = seal_register(village=village, kind=SealKind.PARTY, code="SN-DZ", by=None)
    device, code = device_register(
        village=village, serial="ZY-BENCH-01", name="bench", slots={"party": seal}, by=None
    )
    simulated = sim.Device.create(str(tmp / "device.json"), device.serial)
    LocalTransport().enrol(simulated, code)
    return {
        "device": device,
        "sim": simulated,
        "custodian": custodian,
        "village": village,
        "district": district,
    }


def _grant(world: dict[str, Any], count: int) -> Any:
    from django.utils import timezone

    from zhiyin.devices.codes import code_hash
    from zhiyin.devices.models import StampAuthorization

    code = f"BENCH{StampAuthorization.objects.count():05d}"
    device = world["device"]
    return StampAuthorization.objects.create(
        device=device,
        slot=device.slots.get(),
        count=count,
        not_before=timezone.now() - dt.timedelta(minutes=1),
        not_after=timezone.now() + dt.timedelta(hours=2),
        code_hash=code_hash(code),
        code=code,
        created_by=world["custodian"],
        emergency=True,
        emergency_reason="benchmark",
    )


def _events(world: dict[str, Any], authorization: Any, n: int) -> list[dict[str, Any]]:
    simulated = world["sim"]
    simulated.state["queue"] = []
    return [
        simulated.event(
            "stamp",
            {
                "slot": "party",
                "authorization": authorization.pk,
                "code": authorization.code,
                "operator": "符姐",
                "photo_sha256": f"{i:064x}",
            },
        )
        for i in range(n)
    ]


def _bare(world: dict[str, Any], authorization: Any, messages: list[dict[str, Any]]) -> None:
    """The same rows, inserted with no checks: event, stamp, audit event."""
    from django.db import transaction
    from django.utils import timezone

    from zhiyin.audit.models import AuditEvent
    from zhiyin.devices.models import DeviceEvent, StampEvent
    from zhiyin.lib import devproto

    device = world["device"]
    log = str(world["district"].pk)  # the district's own log, as the service writes
    last = (
        AuditEvent.objects.filter(log=log).order_by("-seq").values_list("seq", flat=True).first()
        or 0
    )
    for index, message in enumerate(messages, start=1):
        with transaction.atomic():
            now = timezone.now()
            event = DeviceEvent.objects.create(
                device=device,
                boot=message["boot"],
                seq=message["seq"],
                event_id=message["id"],
                type="stamp",
                device_time=now,
                hash="0" * 64,
                prev=message["prev"],
                message=devproto.encode(message),
            )
            stamp = StampEvent.objects.create(
                event=event,
                device=device,
                authorization=authorization,
                status="authorized",
                operator="符姐",
                photo_sha256=message["body"]["photo_sha256"],
                device_time=now,
                server_time=now,
            )
            AuditEvent.objects.create(
                log=log,
                seq=last + index,
                created_at=now,
                action="stamp_event.record",
                target_type="devices.stampevent",
                target_id=str(stamp.pk),
                after=devproto.encode(message["body"]),
                prev_hash="0" * 64,
                hash=f"{last + index:064x}",
            )


def bench_ingest(world: dict[str, Any], rounds: int, per_round: int) -> None:
    from zhiyin.devices import ingest
    from zhiyin.devices.models import StampEvent

    ours_rates, bare_rates = [], []
    for _round in range(rounds):
        authorization = _grant(world, per_round)
        messages = _events(world, authorization, per_round)
        start = time.perf_counter()
        for message in messages:
            result = ingest.events_ingest(messages=[message])
            assert result.results[0].status == "stored", result.results[0]
        ours_rates.append(per_round / (time.perf_counter() - start))
        baseline_auth = _grant(world, per_round)
        world["sim"].reboot()  # the bare rows need their own (boot, seq)
        bare_messages = _events(world, baseline_auth, per_round)
        start = time.perf_counter()
        _bare(world, baseline_auth, bare_messages)
        bare_rates.append(per_round / (time.perf_counter() - start))
        world["sim"].reboot()
    assert StampEvent.objects.filter(status="authorized").count() == 2 * rounds * per_round
    ours, bare = statistics.median(ours_rates), statistics.median(bare_rates)
    ratio = bare / ours
    print(f"ingest on PostgreSQL, {rounds} rounds × {per_round} stamp events (medians):")
    print(
        f"  through the service  {ours:8.1f} events/s   limit ≥ {INGEST_TARGET_PER_S:.0f}   {verdict(ours >= INGEST_TARGET_PER_S)}"
    )
    print(f"  bare insert, same rows {bare:6.1f} events/s")
    print(
        f"  cost ratio           {ratio:8.2f}×         limit ≤ {INGEST_RATIO_LIMIT:.0f}×   {verdict(ratio <= INGEST_RATIO_LIMIT)}"
    )


def bench_latency(world: dict[str, Any], tmp: Path, grants: int) -> None:
    import json

    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    from tools import zhiyin_device as sim
    from zhiyin.devices.emergency import emergency_open
    from zhiyin.devices.tests.servers import bridge_running, mosquitto

    with mosquitto(world["district"], tmp / "broker") as broker, bridge_running(broker):
        transport = sim.MqttTransport(broker.url, world["sim"], broker.cafile)
        try:
            transport.hello(world["sim"])
            latencies = []
            for _index in range(grants):
                transport.commands_received.clear()
                start = time.perf_counter()
                emergency_open(
                    device=world["device"],
                    slot_code="party",
                    by=world["custodian"],
                    reason="基准测试：授权下发延迟",
                )
                if not transport.commands_received.wait(10):
                    raise RuntimeError("the grant did not arrive within 10 s")
                latencies.append((time.perf_counter() - start) * 1000)
            # baseline: a bare publish → receive through the same broker, same QoS
            received = threading.Event()
            probe = mqtt.Client(
                CallbackAPIVersion.VERSION2, client_id="bench-probe", protocol=mqtt.MQTTv5
            )
            probe.tls_set(
                ca_certs=broker.cafile,
                certfile=str(broker.folder / "server.pem"),
                keyfile=str(broker.folder / "server.key"),
            )
            probe.on_message = lambda c, u, m: received.set()
            probe.connect("127.0.0.1", int(broker.url.rsplit(":", 1)[1]))
            probe.loop_start()
            probe.subscribe("zhiyin/bench/echo", qos=1)
            time.sleep(0.3)
            bare = []
            for _index in range(grants):
                received.clear()
                start = time.perf_counter()
                probe.publish("zhiyin/bench/echo", json.dumps({"n": _index}), qos=1)
                received.wait(5)
                bare.append((time.perf_counter() - start) * 1000)
            probe.loop_stop()
            probe.disconnect()
        finally:
            transport.close()
    median = statistics.median(latencies)
    p95 = sorted(latencies)[min(len(latencies) - 1, round(0.95 * (len(latencies) - 1)))]
    print(f"grant-to-device over MQTT 5 (Mosquitto, mutual TLS), {grants} grants:")
    print(
        f"  service call → terminal applied  median {median:7.1f} ms  p95 {p95:7.1f} ms   limit median ≤ {LATENCY_LIMIT_MS:.0f} ms   {verdict(median <= LATENCY_LIMIT_MS)}"
    )
    print(f"  bare publish → receive, same broker  median {statistics.median(bare):7.1f} ms")


if __name__ == "__main__":
    main()
