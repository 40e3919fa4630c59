"""What the tamper-evident audit log costs.

1. Append: one `audit_record` (hash chain, serialized append) against one django-auditlog
   `LogEntry` for the same change of the same object, each in its own transaction, in the
   same run, interleaved in rounds. Limit: ≤ 1.5× the baseline (ratio of medians).
2. Full-chain verification throughput of `log_verify` (events/s) over a synthetic chain:
   every hash recomputed, every link, the Merkle tree and every checkpoint. Limit:
   ≥ 150,000 events/s (ten million events in about a minute).
3. Inclusion proof at 1,000,000 events: the tree over one million synthetic leaves, then
   the time for one proof (median of many random leaves), verified by RFC 9162.

Run: .venv/bin/python bench/bench_audit.py [rounds] [chain events]
Uses a temporary SQLite database, never var/. With ``BENCH_PG_URL`` set to a PostgreSQL
database URL (e.g. ``postgres://postgres@127.0.0.1:5432/mine``), verification is measured
on PostgreSQL too, in a scratch database ``<that name>_bench_audit`` created and dropped
beside it (rows streamed through a server-side cursor).
"""

from __future__ import annotations

import hashlib
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

APPEND_TARGET_RATIO = 1.5
VERIFY_LIMIT_EVENTS_S = 150_000
PROOF_TARGET_MS = 50.0  # one API call's budget for the proof part
MILLION = 1_000_000


def main() -> None:
    if sys.argv[1:2] == ["--verify-on"]:
        verify_on_postgresql(sys.argv[2], int(sys.argv[3]))
        return
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 15
    chain_events = int(sys.argv[2]) if len(sys.argv) > 2 else MILLION
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["DATABASE_URL"] = f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings_audit"
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        bench_append(rounds)
        bench_verify(chain_events)
    pg_url = os.environ.get("BENCH_PG_URL")
    if pg_url:
        # Django is set up for SQLite in this process: PostgreSQL in a fresh one.
        subprocess.run(  # our own script, our own arguments
            [sys.executable, __file__, "--verify-on", pg_url, str(chain_events)], check=True
        )
    bench_proof()


def verify_on_postgresql(url: str, chain_events: int) -> None:
    """Verification throughput on PostgreSQL, in a scratch database beside `url`'s."""
    import psycopg

    parts = urlsplit(url)
    scratch = f"{parts.path.lstrip('/') or 'postgres'}_bench_audit"
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{scratch}"')
        conn.execute(f'CREATE DATABASE "{scratch}"')
    try:
        os.environ["DATABASE_URL"] = urlunsplit(parts._replace(path=f"/{scratch}"))
        os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings_audit"
        os.environ["DB_POOL"] = "false"
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connections

        call_command("migrate", verbosity=0)
        bench_verify(chain_events, label="PostgreSQL")
        connections.close_all()
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')


def bench_append(rounds: int, per_round: int = 200) -> None:
    from auditlog.models import LogEntry
    from django.db import transaction

    from zhiyin.audit.services import audit_record
    from zhiyin.orgs.models import District, Person, Village

    with transaction.atomic():
        district = District.objects.create(name="崖州区", code="460205")
        village = Village.objects.create(name="水南村", district=district, code="460205101")
        actor = Person.objects.create(username="bench", real_name="测评员")

    def ours(i: int) -> None:
        with transaction.atomic():
            audit_record(
                actor=actor,
                action="village.rename",
                target=village,
                before={"name": "水南村"},
                after={"name": f"水南村{i}"},
            )

    def baseline(i: int) -> None:
        with transaction.atomic():
            LogEntry.objects.log_create(
                village,
                action=LogEntry.Action.UPDATE,
                changes={"name": ["水南村", f"水南村{i}"]},
                actor=actor,
            )

    for i in range(50):  # warm caches and the content-type cache
        ours(i)
        baseline(i)
    ours_us: list[float] = []
    base_us: list[float] = []
    for r in range(rounds):
        for fn, out in ((ours, ours_us), (baseline, base_us))[:: 1 if r % 2 else -1]:
            started = time.perf_counter()
            for i in range(per_round):
                fn(i)
            out.append((time.perf_counter() - started) / per_round * 1e6)
    ours_med, base_med = statistics.median(ours_us), statistics.median(base_us)
    ratio = ours_med / base_med
    print(
        f"append (SQLite, one transaction each, median of {rounds}×{per_round}): "
        f"audit_record {ours_med:.0f} µs · django-auditlog LogEntry {base_med:.0f} µs · "
        f"ratio {ratio:.2f}× (limit ≤ {APPEND_TARGET_RATIO}×) "
        f"{'OK' if ratio <= APPEND_TARGET_RATIO else 'OVER'}"
    )


def _make_chain(count: int, log: str) -> None:
    """`count` synthetic events in district log `log`, hashed by the service's own
    `event_hash_of`, inserted as plain rows in batches (no model objects: the chain of a
    million events is made in seconds, not minutes)."""
    from django.db import connection, transaction
    from django.utils import timezone

    from zhiyin.audit.models import GENESIS_HASH, AuditEvent
    from zhiyin.audit.services import event_hash_of

    columns = (
        *("log", "seq", "created_at", "actor_id", "actor_name", "role", "scope", "action"),
        *("target_type", "target_id", "target_label", "before", "after", "request_id"),
        *("client_ip", "prev_hash", "hash"),
    )
    table = connection.ops.quote_name(AuditEvent._meta.db_table)
    sql = (
        f"INSERT INTO {table} ({', '.join(map(connection.ops.quote_name, columns))}) "  # noqa: S608  # no user input
        f"VALUES ({', '.join(['%s'] * len(columns))})"
    )
    now = timezone.now()
    stored_now = connection.ops.adapt_datetimefield_value(now)
    prev, batch = GENESIS_HASH, []
    for seq in range(1, count + 1):
        values: dict[str, Any] = {
            "log": log,
            "seq": seq,
            "created_at": now,
            "actor_id": 1 + seq % 50,
            "actor_name": "测评员",
            "role": "approver",
            "scope": "崖州区水南村",
            "action": "village.rename",
            "target_type": "orgs.village",
            "target_id": str(seq % 300),
            "target_label": "水南村",
            "before": '{"name":"水南村"}',
            "after": f'{{"name":"水南村{seq}"}}',
            "request_id": f"{seq:032x}",
            "client_ip": "10.0.0.7",
            "prev_hash": prev,
        }
        values["hash"] = prev = event_hash_of(values)
        values["created_at"] = stored_now
        batch.append(tuple(values[name] for name in columns))
        if len(batch) == 20_000 or seq == count:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.executemany(sql, batch)
            batch.clear()


def bench_verify(count: int, label: str = "SQLite") -> None:
    """Verification of one district's log of `count` events: wall-clock events/s (the
    figure against the limit) and events per CPU-second of the verifier, plus on
    PostgreSQL its server process (on a shared machine the wall clock also counts the
    time other processes held the CPU)."""
    from django.db import connection

    from zhiyin.audit.services import checkpoint_create
    from zhiyin.audit.signing import signing_key
    from zhiyin.audit.verify import log_verify

    log = "1"
    started = time.perf_counter()
    _make_chain(count, log)
    checkpoint_create()
    with connection.cursor() as cursor:  # as autovacuum would after the bulk insert
        cursor.execute("ANALYZE")
    made_s = time.perf_counter() - started
    vkey = signing_key().vkey
    backend = None
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_backend_pid()")
            backend = cursor.fetchone()[0]
    rates, cpu_rates = [], []
    for _ in range(5):
        server_cpu = _process_cpu_s(backend)
        cpu, started = time.process_time(), time.perf_counter()
        report = log_verify(vkey=vkey, log=log)
        elapsed = time.perf_counter() - started
        cpu = time.process_time() - cpu + (_process_cpu_s(backend) - server_cpu)
        assert report.ok, report.problem
        assert report.events == count
        rates.append(report.events / elapsed)
        cpu_rates.append(report.events / cpu)
    rate, cpu_rate = statistics.median(rates), statistics.median(cpu_rates)
    with_server = " + its PostgreSQL server process" if backend else ""
    print(
        f"full-chain verification on {label} (hashes, links, Merkle tree, checkpoints; "
        f"one district's log of {count:,} events made in {made_s:.0f} s; median of 5): "
        f"{rate:,.0f} events/s (limit ≥ {VERIFY_LIMIT_EVENTS_S:,}/s) "
        f"{'OK' if rate >= VERIFY_LIMIT_EVENTS_S else 'OVER'}; "
        f"CPU time of the verifier{with_server}: {cpu_rate:,.0f} events per CPU-second "
        f"{'OK' if cpu_rate >= VERIFY_LIMIT_EVENTS_S else 'OVER'}; load average "
        f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    )


def _process_cpu_s(pid: int | None) -> float:
    """User + system CPU seconds of process `pid` so far (0 when None or not readable:
    a database server on another machine)."""
    if pid is None:
        return 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def bench_proof(samples: int = 2000) -> None:
    from tools.zhiyin_verify import verify_inclusion
    from zhiyin.audit.merkle import LeafTree

    hashes = (hashlib.sha256(i.to_bytes(8, "big")).hexdigest() for i in range(MILLION))
    started = time.perf_counter()
    tree = LeafTree()
    tree.append_event_hashes(hashes)
    root = tree.root(MILLION)
    build_s = time.perf_counter() - started
    rng = random.Random(6962)
    times_ms: list[float] = []
    for _ in range(samples):
        seq = rng.randint(1, MILLION)
        started = time.perf_counter()
        path = tree.inclusion_path(seq, MILLION)
        times_ms.append((time.perf_counter() - started) * 1000)
        assert verify_inclusion(tree.get_leaf(seq), seq - 1, MILLION, path, root)
    median = statistics.median(times_ms)
    print(
        f"inclusion proof at 1,000,000 events: median {median:.3f} ms, "
        f"p99 {sorted(times_ms)[int(samples * 0.99)]:.3f} ms over {samples} random leaves "
        f"(limit ≤ {PROOF_TARGET_MS:.0f} ms) {'OK' if median <= PROOF_TARGET_MS else 'OVER'}; "
        f"tree built and root computed once in {build_s:.1f} s"
    )


if __name__ == "__main__":
    main()
