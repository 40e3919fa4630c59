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
    chain_events = int(sys.argv[2]) if len(sys.argv) > 2 else 100_000
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


def bench_verify(count: int, label: str = "SQLite") -> None:
    from django.utils import timezone

    from zhiyin.audit.models import GENESIS_HASH, AuditEvent
    from zhiyin.audit.services import checkpoint_create, event_hash
    from zhiyin.audit.signing import signing_key
    from zhiyin.audit.verify import log_verify

    last = AuditEvent.objects.order_by("-seq").first()
    prev, seq = (last.hash, last.seq) if last is not None else (GENESIS_HASH, 0)
    batch: list[AuditEvent] = []
    now = timezone.now()
    while seq < count:
        seq += 1
        event = AuditEvent(
            seq=seq,
            created_at=now,
            actor_id=1,
            actor_name="测评员",
            action="village.rename",
            target_type="orgs.village",
            target_id="1",
            target_label="水南村",
            before='{"name":"水南村"}',
            after=f'{{"name":"水南村{seq}"}}',
            prev_hash=prev,
        )
        event.hash = prev = event_hash(event)
        batch.append(event)
        if len(batch) == 5000:
            AuditEvent.objects.bulk_create(batch)
            batch.clear()
    AuditEvent.objects.bulk_create(batch)
    checkpoint_create()
    vkey = signing_key().vkey
    rates = []
    for _ in range(3):
        started = time.perf_counter()
        report = log_verify(vkey=vkey)
        elapsed = time.perf_counter() - started
        assert report.ok, report.problem
        rates.append(report.events / elapsed)
    rate = statistics.median(rates)
    print(
        f"full-chain verification on {label} (hashes, links, Merkle tree, checkpoints; "
        f"median of 3): "
        f"{rate:,.0f} events/s over {count:,} events (limit ≥ {VERIFY_LIMIT_EVENTS_S:,}/s) "
        f"{'OK' if rate >= VERIFY_LIMIT_EVENTS_S else 'OVER'}"
    )


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
