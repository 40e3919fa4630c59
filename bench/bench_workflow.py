"""What the approval workflow costs.

1. Each transition — submit, the group leader's approval, the secretary's approval —
   through the services (locks, checks, negative-list match, deadlines on the official
   calendar, notifications, audit events) against a same-run baseline of bare ORM writes
   of the same rows (the status update, the two steps, the decision, the notifications
   made and closed, the audit event chained to its log), one transaction each on both
   sides, interleaved in rounds. Limit: each transition ≤ 3× its bare
   writes (ratio of medians); the whole submit → approved in requests/s is shown too.
2. Inbox: with 100,000 requests in the database, the p95 time of a secretary's inbox
   (the selector, and the whole page as the browser gets it) against a bare query of the
   same rows (one filter on status/role/village, ordered by deadline, same LIMIT).
   Target: page p95 ≤ 200 ms.

Run: .venv/bin/python bench/bench_workflow.py [rounds] [requests in the database]
Uses a temporary SQLite database and media folder, never var/; with ``BENCH_PG_URL`` set
to a PostgreSQL database URL, a scratch PostgreSQL database beside it instead.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TRANSITION_LIMIT = 3.0
TRANSITIONS = ("submit", "approve (group leader)", "approve (secretary)")
INBOX_PAGE_TARGET_MS = 200.0


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    total = int(sys.argv[2]) if len(sys.argv) > 2 else 100_000
    pg_url = os.environ.get("BENCH_PG_URL")
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["MEDIA_ROOT"] = str(Path(tmp) / "media")
        os.environ["DJANGO_SETTINGS_MODULE"] = "zhiyin.settings"
        if pg_url:
            os.environ["DATABASE_URL"] = _scratch_database(pg_url, create=True)
            os.environ["DB_POOL"] = "false"
        else:
            os.environ["DATABASE_URL"] = f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        try:
            import django

            django.setup()
            from django.conf import settings
            from django.core.management import call_command
            from django.db import connections

            settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
            settings.ALLOWED_HOSTS = ["testserver"]
            call_command("migrate", verbosity=0)
            print(f"database: {'PostgreSQL (scratch)' if pg_url else 'SQLite (temporary file)'}")
            world = setup()
            bench_throughput(world, rounds)
            bench_inbox(world, total)
            connections.close_all()
        finally:
            if pg_url:
                _scratch_database(pg_url, create=False)


def _scratch_database(url: str, *, create: bool) -> str:
    """With ``BENCH_PG_URL`` the bench runs in ``<that name>_bench_workflow``, a database
    created beside it (dropped first if left over) and dropped at the end."""
    import psycopg

    parts = urlsplit(url)
    scratch = f"{parts.path.lstrip('/') or 'postgres'}_bench_workflow"
    with psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')
        if create:
            conn.execute(f'CREATE DATABASE "{scratch}"')
    return urlunsplit(parts._replace(path=f"/{scratch}"))


def setup() -> dict[str, Any]:
    from zhiyin.catalog.demo import negative_list_demo_load
    from zhiyin.catalog.models import Matter
    from zhiyin.orgs.models import Role
    from zhiyin.seals.models import SealKind
    from zhiyin.seals.services import seal_register
    from zhiyin.tests.factories import (
        LEADER_THEN_SECRETARY,
        chain_make,
        district_make,
        group_make,
        staff_make,
        village_make,
    )

    negative_list_demo_load()
    district = district_make()
    village = village_make(district, "水南村", "460205101")
    group = group_make(village)
    chain, (first, second) = chain_make(district, "小组长-书记", LEADER_THEN_SECRETARY)
    matter = Matter.objects.create(
        district=district,
        code="ZM-001",
        name="土地承包经营权流转合同",
        category="contract",
        tier="director_signs",
        legal_basis="《农村土地承包法》",
        seal_kinds=["committee"],
        owner_levels=["village"],
        chain=chain,
    )
    return {
        "district": district,
        "village": village,
        "group": group,
        "chain": chain,
        "steps": (first, second),
        "matter": matter,
        "clerk": staff_make("clerk", Role.CLERK, village=village),
        "leader": staff_make("leader", Role.GROUP_LEADER, group=group),
        "secretary": staff_make("secretary", Role.SECRETARY, village=village),
        "custodian": staff_make("custodian", Role.CUSTODIAN, village=village),
        "seal": seal_register(
            village=village, kind=SealKind.COMMITTEE, code="SN-CW", by=None, is_electronic=True
        ),
    }


def _drafts(world: dict[str, Any], n: int) -> list[Any]:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from zhiyin.approvals.services import document_view_record, seal_request_create
    from zhiyin.approvals.tests.conftest import pdf_bytes

    made = []
    for i in range(n):
        request = seal_request_create(
            by=world["clerk"],
            village=world["village"],
            matter=world["matter"],
            seal=world["seal"],
            stamp_count=1,
            place_of_use="村委会",
            purpose=f"与承包户签订流转合同 {i}",
            group=world["group"],
            documents=[SimpleUploadedFile("合同.pdf", pdf_bytes(f"bench {time.time_ns()} {i}"))],
        )
        for person in (world["leader"], world["secretary"]):
            document_view_record(document=request.documents.get(), by=person)
        made.append(request)
    return made


def _through_services(world: dict[str, Any], requests: list[Any]) -> list[float]:
    """Seconds spent in each transition, summed over `requests`."""
    from zhiyin.approvals.services import seal_request_approve, seal_request_submit

    spent = [0.0, 0.0, 0.0]
    for request in requests:
        t0 = time.perf_counter()
        request = seal_request_submit(request=request, by=world["clerk"])
        t1 = time.perf_counter()
        request = seal_request_approve(request=request, by=world["leader"])
        t2 = time.perf_counter()
        request = seal_request_approve(request=request, by=world["secretary"])
        t3 = time.perf_counter()
        assert request.status == "approved"
        spent[0] += t1 - t0
        spent[1] += t2 - t1
        spent[2] += t3 - t2
    return spent


def _bare_orm(world: dict[str, Any], requests: list[Any]) -> list[float]:
    """The same rows the services write, written with bare ORM calls: the request's
    status, the steps, the decision, the notifications (new ones, and the closed 待办 of
    the decided step) and one audit event per transition, chained to the log's head."""
    import json

    from django.db import transaction
    from django.utils import timezone

    from zhiyin.approvals.models import ApprovalStep, SealRequest, StepDecision
    from zhiyin.audit.models import GENESIS_HASH, AuditEvent
    from zhiyin.audit.services import _lock_log, district_log, event_hash
    from zhiyin.delivery.models import Notification

    first, second = world["steps"]
    log = district_log(world["district"].pk)
    clerk, leader, secretary = world["clerk"], world["leader"], world["secretary"]

    def audit(
        now: Any, actor: Any, role: str, action: str, request: Any, after: dict[str, Any]
    ) -> None:
        # The same one-writer-per-log lock the services take (an advisory lock on
        # PostgreSQL; on SQLite the write transaction itself).
        _lock_log(log)
        head = (
            AuditEvent.objects.filter(log=log).order_by("-seq").values_list("seq", "hash").first()
        )
        seq, prev = head if head is not None else (0, GENESIS_HASH)
        payload = {"number": request.number, "purpose": request.purpose, "round": 1}
        event = AuditEvent(
            log=log,
            seq=seq + 1,
            created_at=now,
            actor_id=actor.pk,
            actor_name=actor.username,
            role=role,
            scope=world["village"].name,
            action=action,
            target_type="approvals.sealrequest",
            target_id=str(request.pk),
            target_label=request.number,
            before=json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":")),
            after=json.dumps(
                {**payload, **after}, sort_keys=True, ensure_ascii=False, separators=(",", ":")
            ),
            prev_hash=prev,
        )
        event.hash = event_hash(event)
        event.save(force_insert=True)

    spent = [0.0, 0.0, 0.0]
    for request in requests:
        link = f"/requests/{request.pk}/"
        t0 = time.perf_counter()
        now = timezone.now()
        with transaction.atomic():
            SealRequest.objects.filter(pk=request.pk).update(
                status="submitted", round=1, submitted_at=now
            )
            steps = ApprovalStep.objects.bulk_create(
                [
                    ApprovalStep(
                        request_id=request.pk,
                        chain_step=cs,
                        round=1,
                        position=cs.position,
                        name=cs.name,
                        role=cs.role,
                        scope_level=cs.scope_level,
                        district=world["district"],
                        village=world["village"],
                        group=world["group"] if cs.scope_level == "group" else None,
                        status="active" if cs is first else "waiting",
                        activated_at=now if cs is first else None,
                        deadline=now,
                    )
                    for cs in (first, second)
                ]
            )
            Notification.objects.create(
                person=leader, text=f"待办：{request.number}", link=link, event="step_activated"
            )
            audit(now, clerk, "", "seal_request.submit", request, {"status": "submitted"})
        spent[0] += time.perf_counter() - t0
        for index, (step, person) in enumerate(zip(steps, (leader, secretary), strict=True), 1):
            t0 = time.perf_counter()
            with transaction.atomic():
                StepDecision.objects.create(step_id=step.pk, person=person, decision="approve")
                Notification.objects.filter(
                    link=link, event="step_activated", read_at__isnull=True
                ).update(read_at=now)
                ApprovalStep.objects.filter(pk=step.pk).update(
                    status="done", decision="approve", decided_at=now, decided_by=person
                )
                if step.position == 1:
                    ApprovalStep.objects.filter(pk=steps[1].pk).update(
                        status="active", deadline=now
                    )
                    Notification.objects.create(
                        person=secretary,
                        text=f"待办：{request.number}",
                        link=link,
                        event="step_activated",
                    )
                else:
                    Notification.objects.bulk_create(
                        [
                            Notification(
                                person=to, text=f"{request.number}", link=link, event="approved"
                            )
                            for to in (world["custodian"], clerk)
                        ]
                    )
                status = "in_approval" if step.position == 1 else "approved"
                SealRequest.objects.filter(pk=request.pk).update(status=status)
                audit(
                    now,
                    person,
                    person.username,
                    "seal_request.approve",
                    request,
                    {"status": status},
                )
            spent[index] += time.perf_counter() - t0
    return spent


def bench_throughput(world: dict[str, Any], rounds: int, per_round: int = 40) -> bool:
    """Per-transition ratio of medians; True when every transition is within the limit."""
    _through_services(world, _drafts(world, 3))  # warm up: URLconf, calendar, patterns
    service: list[list[float]] = [[], [], []]
    bare: list[list[float]] = [[], [], []]
    for r in range(rounds):
        drafts = _drafts(world, 2 * per_round)
        sides = [
            (_through_services, drafts[:per_round], service),
            (_bare_orm, drafts[per_round:], bare),
        ]
        for run, batch, out in sides[:: 1 if r % 2 else -1]:
            for index, seconds in enumerate(run(world, batch)):
                out[index].append(seconds / per_round * 1000)
    print(f"1. workflow transitions, ms per request, median of {rounds} rounds × {per_round}")
    ok = True
    for index, name in enumerate(TRANSITIONS):
        s, b = statistics.median(service[index]), statistics.median(bare[index])
        ratio = s / b
        ok = ok and ratio <= TRANSITION_LIMIT
        print(
            f"   {name:24} services {s:6.2f} ms · bare ORM {b:6.2f} ms · ratio {ratio:4.2f}× "
            f"(limit ≤ {TRANSITION_LIMIT:.0f}×) {'OK' if ratio <= TRANSITION_LIMIT else 'OVER'}"
        )
    total_s = sum(statistics.median(v) for v in service)
    total_b = sum(statistics.median(v) for v in bare)
    print(
        f"   submit → approved: services {1000 / total_s:.1f} req/s · bare ORM "
        f"{1000 / total_b:.1f} req/s ({total_s / total_b:.1f}×)"
    )
    return ok


def _fill(world: dict[str, Any], total: int) -> Any:
    """`total` requests over 25 villages; 30 % wait at a step (half group, half village)."""
    from datetime import timedelta

    from django.utils import timezone

    from zhiyin.approvals.models import ApprovalStep, SealRequest
    from zhiyin.orgs.models import Village, VillageGroup

    villages = [world["village"]]
    for n in range(2, 26):
        v = Village.objects.create(name=f"村{n}", district=world["district"], code=f"460205{n:03d}")
        VillageGroup.objects.create(village=v, number=1, name="第一村民小组")
        villages.append(v)
    groups = {v.pk: v.groups.first() for v in villages}
    first, second = world["steps"]
    now = timezone.now()
    batch = 5000
    for offset in range(0, total, batch):
        rows = []
        for i in range(offset, min(total, offset + batch)):
            v = villages[i % len(villages)]
            waiting = i % 10 < 3
            rows.append(
                SealRequest(
                    number=f"B-{i:07d}",
                    village=v,
                    group=groups[v.pk],
                    matter=world["matter"],
                    chain=world["chain"],
                    seal=world["seal"],
                    place_of_use="村委会",
                    purpose="bench",
                    applicant=world["clerk"],
                    status="submitted" if waiting else "completed",
                    round=1,
                )
            )
        created = SealRequest.objects.bulk_create(rows, batch_size=1000)
        steps = []
        for index, r in enumerate(created, start=offset):
            if r.status != "submitted":
                continue
            cs = first if (index // len(villages)) % 2 else second
            steps.append(
                ApprovalStep(
                    request=r,
                    chain_step=cs,
                    round=1,
                    position=cs.position,
                    name=cs.name,
                    role=cs.role,
                    scope_level=cs.scope_level,
                    district=world["district"],
                    village_id=r.village_id,
                    group=r.group if cs is first else None,
                    status="active",
                    activated_at=now,
                    deadline=now + timedelta(minutes=r.pk % 5000 - 2500),
                )
            )
        ApprovalStep.objects.bulk_create(steps, batch_size=1000)
    return now


def bench_inbox(world: dict[str, Any], total: int, samples: int = 200) -> None:
    from django.db import connection
    from django.test import Client

    from zhiyin.accounts.testing import client_sign_in
    from zhiyin.approvals.models import ApprovalStep, SealRequest
    from zhiyin.approvals.selectors import inbox_for
    from zhiyin.approvals.views import INBOX_LIMIT as LIST_LIMIT
    from zhiyin.orgs.selectors import access_for

    start = time.perf_counter()
    _fill(world, total)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    fill_s = time.perf_counter() - start
    secretary = world["secretary"]
    client = Client()
    client_sign_in(client, secretary)  # a secretary signs in with two factors
    waiting = inbox_for(access=access_for(secretary)).count()

    def selector() -> None:
        list(inbox_for(access=access_for(secretary))[:LIST_LIMIT])

    def page() -> None:
        response = client.get("/requests/inbox/")
        assert response.status_code == 200

    def bare() -> None:
        list(
            ApprovalStep.objects.filter(status="active", role="secretary", village=world["village"])
            .select_related("request", "request__matter", "request__applicant", "request__village")
            .order_by("deadline", "pk")[:LIST_LIMIT]
        )

    timings: dict[str, list[float]] = {"selector": [], "page": [], "bare": []}
    for _ in range(samples):
        for name, call in (("selector", selector), ("page", page), ("bare", bare)):
            t = time.perf_counter()
            call()
            timings[name].append((time.perf_counter() - t) * 1000)
    print(
        f"2. inbox of a secretary with {SealRequest.objects.count():,} requests in the database "
        f"({waiting} waiting for them, first {LIST_LIMIT} shown; filled in {fill_s:.0f} s)"
    )
    for name, label in (
        ("selector", "inbox selector"),
        ("page", "inbox page (HTTP)"),
        ("bare", "bare query (baseline)"),
    ):
        values = timings[name]
        print(
            f"   {label:22} median {statistics.median(values):7.2f} ms   p95 {p95(values):7.2f} ms"
        )
    page_p95 = p95(timings["page"])
    print(
        f"   inbox page p95 {page_p95:.1f} ms (limit ≤ {INBOX_PAGE_TARGET_MS:.0f} ms) "
        f"{'OK' if page_p95 <= INBOX_PAGE_TARGET_MS else 'OVER'}"
    )


if __name__ == "__main__":
    main()
