"""What oversight costs at province size.

1. Workbench: with N requests (default 1,000,000) and their warnings in the database, the
   p95 time of a district inspector's workbench page (counts by state and severity, the
   newest 50 open warnings) against a bare query of the same numbers (one GROUP BY and
   one ORDER BY … LIMIT 50 on the warning table), measured in the same run.
2. Statistics (驾驶舱): the p95 of the statistics page over the last twelve months against
   the same aggregates as bare SQL (uses per village and month, on-time rate and median
   per step and per village, late steps, warnings by rule and state, busiest matters,
   negative-list refusals).
   Limit for 1 and 2: page p95 ≤ max(1.5 × bare p95, bare p95 + 100 ms) — what rendering
   and scoping may add to the database's own work.
3. Rules: one service call (submit; approve; approve; complete) with the warning rules
   subscribed to the audit log, against the same calls with AUDIT_SUBSCRIBERS empty,
   interleaved in rounds. Limit: ≤ 1.25× per call.
Also printed: one warning sweep over the whole database (first and repeated run).

Run: .venv/bin/python bench/bench_oversight.py [requests] [rounds]
Uses a temporary SQLite database unless DATABASE_URL is set (then it must be an empty,
throw-away database: the script migrates it and fills it).
The performance issue's `manage.py load_province` is not on main yet, so the data are
bulk-inserted here.
"""

# ruff: noqa: S608  # the bare SQL baselines are built from fixed text; every value is a parameter

from __future__ import annotations

import datetime as dt
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

RULE_RATIO_LIMIT = 1.25


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def page_limit(bare_p95: float) -> float:
    return max(1.5 * bare_p95, bare_p95 + 100.0)


def verdict(ok: bool) -> str:
    return "OK" if ok else "OVER"


def main() -> None:
    total = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    with tempfile.TemporaryDirectory() as tmp:
        os.environ.setdefault("DATABASE_URL", f"sqlite:///{Path(tmp) / 'bench.sqlite3'}")
        os.environ["MEDIA_ROOT"] = str(Path(tmp) / "media")
        os.environ["DJANGO_SETTINGS_MODULE"] = "zhiyin.settings"
        import django

        django.setup()
        from django.conf import settings
        from django.core.management import call_command
        from django.db import connection

        settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
        settings.ALLOWED_HOSTS = ["testserver"]
        call_command("migrate", verbosity=0)
        from bench.oversight_world import VILLAGES, fill, setup

        print(f"database: {connection.vendor}, {total:,} requests in {VILLAGES} villages")
        world = setup()
        started = time.perf_counter()
        fill(world, total)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")  # what autovacuum would have done by now
        print(f"filled in {time.perf_counter() - started:.0f} s")
        bench_sweep()
        bench_workbench(world)
        bench_statistics(world)
        bench_rules(world, rounds)


def timed(call: Callable[[], Any], runs: int) -> list[float]:
    call()  # warm up: templates, URLconf, query plans
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    return times


def bench_sweep(fresh: int = 100) -> None:
    """The sweep as it runs every ten minutes: `fresh` steps just became late (raised,
    audited, the secretary told), everything else was raised before."""
    from datetime import timedelta

    from django.utils import timezone

    from zhiyin.approvals.models import ApprovalStep
    from zhiyin.oversight.services import warning_sweep

    late = list(
        ApprovalStep.objects.filter(status="active", deadline__gt=timezone.now()).values_list(
            "pk", flat=True
        )[:fresh]
    )
    ApprovalStep.objects.filter(pk__in=late).update(deadline=timezone.now() - timedelta(minutes=1))
    start = time.perf_counter()
    raised = warning_sweep()
    first = time.perf_counter() - start
    start = time.perf_counter()
    again = warning_sweep()
    second = time.perf_counter() - start
    print(
        f"0. warning sweep over the whole database: {first:.1f} s raising {raised} new, "
        f"{second:.1f} s when nothing is new ({again} raised)"
    )


def _client(person: Any) -> Any:
    from django.test import Client

    from zhiyin.accounts.testing import client_sign_in

    client = Client()
    client_sign_in(client, person)  # an inspector signs in with two factors
    return client


def _bare(sql_list: list[tuple[str, list[Any]]]) -> Callable[[], None]:
    from django.db import connection

    def run() -> None:
        with connection.cursor() as cursor:
            for sql, params in sql_list:
                cursor.execute(sql, params)
                cursor.fetchall()

    return run


def bench_workbench(world: dict[str, Any], runs: int = 30) -> None:
    client = _client(world["inspector"])

    def page() -> None:
        response = client.get("/oversight/")
        assert response.status_code == 200

    district = world["district"].pk
    bare = _bare(
        [
            (
                "SELECT state, severity, COUNT(*) FROM oversight_warning"
                " WHERE district_id = %s GROUP BY state, severity",
                [district],
            ),
            (
                "SELECT w.id, w.summary, w.state, w.severity, w.raised_at, r.name, v.name"
                " FROM oversight_warning w JOIN oversight_warningrule r ON r.id = w.rule_id"
                " JOIN orgs_village v ON v.id = w.village_id"
                " WHERE w.district_id = %s AND w.state IN ('red', 'yellow', 'dismiss_pending')"
                " ORDER BY w.raised_at DESC, w.id DESC LIMIT 50",
                [district],
            ),
        ]
    )
    ours, base = [], []
    for _ in range(3):  # interleaved, so both sides see the same machine load
        ours += timed(page, runs // 3)
        base += timed(bare, runs // 3)
    _report("1. workbench page (district inspector)", ours, base)


def bench_statistics(world: dict[str, Any], runs: int = 9) -> None:
    from django.utils import timezone

    from zhiyin.oversight.stats import _bounds

    client = _client(world["inspector"])
    today = timezone.localdate()
    start = (today - dt.timedelta(days=365)).replace(day=1)

    def page() -> None:
        response = client.get(
            f"/oversight/statistics/?start={start.isoformat()}&end={today.isoformat()}"
        )
        assert response.status_code == 200

    since, until = _bounds(start, today)
    ids = [v.pk for v in world["villages"]]
    marks = ",".join(["%s"] * len(ids))
    month = (
        "date_trunc('month', r.completed_at AT TIME ZONE 'Asia/Shanghai')"
        if _vendor() == "postgresql"
        else "strftime('%%Y-%%m', r.completed_at, '+8 hours')"
    )
    if _vendor() == "postgresql":
        median = (
            "SELECT {key}, COUNT(*), SUM(CASE WHEN decided_at <= deadline THEN 1 ELSE 0 END),"
            " percentile_disc(0.5) WITHIN GROUP (ORDER BY duration) FROM approvals_approvalstep"
            " WHERE status = 'done' AND duration IS NOT NULL AND decided_at >= %s"
            " AND decided_at < %s AND village_id IN ({marks}) GROUP BY {key}"
        )
    else:
        median = (
            "SELECT label, n, on_time, duration FROM (SELECT {key} AS label, duration,"
            " ROW_NUMBER() OVER (PARTITION BY {key} ORDER BY duration) AS rn,"
            " COUNT(*) OVER (PARTITION BY {key}) AS n,"
            " SUM(CASE WHEN decided_at <= deadline THEN 1 ELSE 0 END) OVER (PARTITION BY {key})"
            " AS on_time FROM approvals_approvalstep WHERE status = 'done'"
            " AND duration IS NOT NULL AND decided_at >= %s AND decided_at < %s"
            " AND village_id IN ({marks})) t WHERE rn = (n + 1) / 2"
        )
    bare = _bare(
        [
            (
                f"SELECT r.village_id, {month}, COUNT(*), SUM(r.stamp_count)"
                f" FROM approvals_sealrequest r WHERE r.status = 'completed'"
                f" AND r.completed_at >= %s AND r.completed_at < %s AND r.village_id IN ({marks})"
                f" GROUP BY r.village_id, {month}",
                [since, until, *ids],
            ),
            (median.format(key="name", marks=marks), [since, until, *ids]),
            (median.format(key="village_id", marks=marks), [since, until, *ids]),
            (
                f"SELECT v.name, COUNT(*) FROM approvals_approvalstep s JOIN orgs_village v"
                f" ON v.id = s.village_id WHERE s.status = 'active' AND s.deadline < %s"
                f" AND s.village_id IN ({marks}) GROUP BY v.name",
                [timezone.now(), *ids],
            ),
            (
                f"SELECT r.name, w.state, COUNT(*) FROM oversight_warning w JOIN oversight_warningrule r"
                f" ON r.id = w.rule_id WHERE w.village_id IN ({marks}) AND w.raised_at >= %s"
                f" AND w.raised_at < %s GROUP BY r.name, w.state",
                [*ids, since, until],
            ),
            (
                f"SELECT m.name, COUNT(*) AS n FROM approvals_sealrequest r JOIN catalog_matter m"
                f" ON m.id = r.matter_id WHERE r.village_id IN ({marks}) AND r.submitted_at >= %s"
                f" AND r.submitted_at < %s GROUP BY m.name ORDER BY n DESC LIMIT 10",
                [*ids, since, until],
            ),
            (
                f"SELECT target_id, COUNT(*) FROM audit_auditevent WHERE action = 'negative_list.refuse'"
                f" AND target_type = 'orgs.village' AND target_id IN ({marks})"
                f" AND created_at >= %s AND created_at < %s GROUP BY target_id",
                [*[str(i) for i in ids], since, until],
            ),
        ]
    )
    ours, base = [], []
    for _ in range(3):
        ours += timed(page, runs // 3)
        base += timed(bare, runs // 3)
    _report("2. statistics page (district inspector, 12 months)", ours, base)


def _vendor() -> str:
    from django.db import connection

    return connection.vendor


def _report(title: str, ours: list[float], base: list[float]) -> None:
    limit = page_limit(p95(base))
    print(title)
    print(f"   page          median {statistics.median(ours):8.1f} ms   p95 {p95(ours):8.1f} ms")
    print(f"   bare SQL      median {statistics.median(base):8.1f} ms   p95 {p95(base):8.1f} ms")
    print(f"   limit p95 ≤ {limit:.1f} ms → {verdict(p95(ours) <= limit)}")


def _one_request(world: dict[str, Any], n: int) -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from zhiyin.approvals.services import document_view_record, seal_request_create
    from zhiyin.approvals.tests.conftest import pdf_bytes

    request = seal_request_create(
        by=world["clerk"], village=world["village"], matter=world["matters"][0],
        seal=world["seals"][0], stamp_count=1, place_of_use="村委会",
        purpose=f"流转合同，租金 6000 元/亩/年 {n}", group=world["group"],
        documents=[SimpleUploadedFile("合同.pdf", pdf_bytes(f"bench {time.time_ns()} {n}"))],
    )  # fmt: skip
    for person in (world["leader"], world["secretary"]):
        document_view_record(document=request.documents.get(), by=person)
    return request


def _calls(world: dict[str, Any], requests: list[Any]) -> float:
    from zhiyin.approvals.services import (
        seal_request_approve,
        seal_request_complete,
        seal_request_submit,
    )

    start = time.perf_counter()
    for request in requests:
        request = seal_request_submit(request=request, by=world["clerk"])
        request = seal_request_approve(request=request, by=world["leader"])
        request = seal_request_approve(request=request, by=world["secretary"])
        request = seal_request_complete(request=request, by=world["custodian"])
    return (time.perf_counter() - start) * 1000 / (4 * len(requests))


def bench_rules(world: dict[str, Any], rounds: int, per_round: int = 20) -> None:
    from django.conf import settings

    subscribed = list(settings.AUDIT_SUBSCRIBERS)
    counter = iter(range(10**9))
    with_rules: list[float] = []
    without: list[float] = []
    _calls(world, [_one_request(world, next(counter)) for _ in range(3)])  # warm up
    for _ in range(rounds):
        for rules_on in (True, False):
            settings.AUDIT_SUBSCRIBERS = subscribed if rules_on else []
            requests = [_one_request(world, next(counter)) for _ in range(per_round)]
            (with_rules if rules_on else without).append(_calls(world, requests))
    settings.AUDIT_SUBSCRIBERS = subscribed
    on, off = statistics.median(with_rules), statistics.median(without)
    ratio = on / off
    print("3. one service call (submit, approve, approve, complete), median of rounds")
    print(f"   rules on      {on:8.2f} ms per call")
    print(f"   rules off     {off:8.2f} ms per call (AUDIT_SUBSCRIBERS empty)")
    print(
        f"   ratio {ratio:.2f}× (limit ≤ {RULE_RATIO_LIMIT}) → {verdict(ratio <= RULE_RATIO_LIMIT)}"
    )


if __name__ == "__main__":
    main()
