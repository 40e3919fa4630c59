"""The world `bench_oversight.py` measures: one district of `VILLAGES` villages with the
starter warning rules, a two-step chain, staff for the first village, and `fill`, which
bulk-inserts a year of requests, their steps and the warnings a steady sweep keeps."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

VILLAGES = 32


def setup() -> dict[str, Any]:
    from zhiyin.catalog.demo import negative_list_demo_load
    from zhiyin.catalog.models import Matter
    from zhiyin.orgs.models import Role
    from zhiyin.orgs.services import person_create
    from zhiyin.oversight.services import starter_rules_install
    from zhiyin.seals.models import SealKind
    from zhiyin.seals.services import seal_register
    from zhiyin.tests.factories import (
        LEADER_THEN_SECRETARY,
        PASSWORD,
        chain_make,
        district_make,
        group_make,
        staff_make,
        village_make,
    )

    negative_list_demo_load()
    starter_rules_install()
    district = district_make()
    villages = [
        village_make(district, f"第{n}村", f"460205{n:03d}") for n in range(1, VILLAGES + 1)
    ]
    groups = [group_make(v) for v in villages]
    chain, steps = chain_make(district, "小组长-书记", LEADER_THEN_SECRETARY)
    matters = [
        Matter.objects.create(
            district=district, code=f"ZM-{n:03d}", name=name, category="contract",
            tier="director_signs", legal_basis="《村民委员会组织法》", seal_kinds=["committee"],
            owner_levels=["village"], chain=chain,
        )
        for n, name in enumerate(
            ["土地承包经营权流转合同", "居住证明", "集体资产出租合同", "村级工程施工合同", "低保申请证明"], start=1
        )
    ]  # fmt: skip
    village = villages[0]
    return {
        "district": district,
        "villages": villages,
        "groups": groups,
        "chain": chain,
        "steps": tuple(steps),
        "matters": matters,
        "village": village,
        "group": groups[0],
        "inspector": staff_make("inspector", Role.INSPECTOR, district=district),
        # The filled history's clerks, one per village (the bench's own clerk is new).
        "applicants": [
            person_create(
                username=f"c{v.code}", real_name=f"经办{v.code}", password=PASSWORD, by=None
            )
            for v in villages
        ],
        "clerk": staff_make("clerk", Role.CLERK, village=village),
        "leader": staff_make("leader", Role.GROUP_LEADER, group=groups[0]),
        "secretary": staff_make("secretary", Role.SECRETARY, village=village),
        "custodian": staff_make("custodian", Role.CUSTODIAN, village=village),
        "seals": [
            seal_register(village=v, kind=SealKind.COMMITTEE, code=f"S-{v.code}", by=None)
            for v in villages
        ],
    }


def fill(world: dict[str, Any], total: int) -> None:
    """`total` requests over a year: 90 % sealed with both steps decided (a tenth of those
    late), 5 % approved, 5 % waiting at the secretary (a third past the deadline); warnings
    for one request in fifty, in every state, and for every late step and idle approval
    (the steady state a sweep every ten minutes keeps); negative-list refusals in the log."""
    from django.db import transaction
    from django.utils import timezone

    from zhiyin.approvals.models import ApprovalStep, SealRequest
    from zhiyin.audit.services import audit_record
    from zhiyin.oversight.models import Warning, WarningRule

    rng = random.Random(7)
    now = timezone.now()
    villages, groups, seals = world["villages"], world["groups"], world["seals"]
    first, second = world["steps"]
    rules = list(WarningRule.objects.all())
    states = ["red", "red", "yellow", "closed", "closed", "dismissed"]
    idle_rule = WarningRule.objects.get(code="approved_never_sealed")
    late_rule = WarningRule.objects.get(code="step_overdue")
    idle_before = now - dt.timedelta(days=30)
    batch = 10_000
    for offset in range(0, total, batch):
        requests, kinds = [], []
        for i in range(offset, min(total, offset + batch)):
            v = i % VILLAGES
            submitted = now - dt.timedelta(minutes=rng.randrange(60, 365 * 24 * 60))
            kind = "done" if i % 20 < 18 else ("approved" if i % 20 == 18 else "waiting")
            kinds.append((kind, submitted))
            requests.append(
                SealRequest(
                    number=f"B-{i:07d}", village=villages[v], group=groups[v],
                    matter=world["matters"][i % 5], chain=world["chain"], seal=seals[v],
                    stamp_count=1 + i % 3, place_of_use="村委会", purpose="用印",
                    applicant=world["applicants"][v], round=1, submitted_at=submitted,
                    status={"done": "completed", "approved": "approved", "waiting": "in_approval"}[kind],
                    decided_at=None if kind == "waiting" else submitted + dt.timedelta(hours=20),
                    completed_at=submitted + dt.timedelta(hours=30) if kind == "done" else None,
                )
            )  # fmt: skip
        with transaction.atomic():
            SealRequest.objects.bulk_create(requests, batch_size=2000)
            made = SealRequest.objects.filter(number__gte=f"B-{offset:07d}").order_by("number")
            ids = list(made.values_list("pk", "village_id")[: len(requests)])
            steps, warnings = [], []
            for (pk, village_id), (kind, submitted), n in zip(
                ids, kinds, range(offset, offset + len(kinds)), strict=True
            ):
                late = n % 10 == 0
                for cs in (first, second):
                    active = kind == "waiting" and cs is second
                    start = submitted + dt.timedelta(hours=2 if cs is second else 0)
                    if active and n % 3:
                        start = now - dt.timedelta(hours=1)  # two thirds still in time
                    duration = dt.timedelta(hours=(6 if late else 1) + n % 3)
                    steps.append(
                        ApprovalStep(
                            request_id=pk, chain_step=cs, round=1, position=cs.position,
                            name=cs.name, role=cs.role, scope_level=cs.scope_level,
                            district=world["district"], village_id=village_id,
                            group=groups[(n % VILLAGES)] if cs is first else None,
                            status="active" if active else "done",
                            activated_at=start, deadline=start + dt.timedelta(hours=4),
                            decided_at=None if active else start + duration,
                            decision="" if active else "approve",
                            duration=None if active else duration,
                        )
                    )  # fmt: skip
                if kind == "approved" and submitted + dt.timedelta(hours=20) < idle_before:
                    warnings.append(
                        steady(idle_rule, f"idle:{pk}", world, village_id, pk, submitted)
                    )
                if n % 50 == 0:
                    rule = rules[n % len(rules)]
                    warnings.append(
                        Warning(
                            rule=rule, rule_version=1, fact_key=f"bench:{pk}",
                            district=world["district"], village_id=village_id,
                            severity=rule.severity, state=states[n % len(states)],
                            summary=f"B-{n:07d} {rule.name}", facts=[],
                            request_id=pk, occurred_at=submitted, raised_at=submitted,
                        )
                    )  # fmt: skip
            ApprovalStep.objects.bulk_create(steps, batch_size=2000)
            warnings += [
                steady(late_rule, f"step:{step.pk}", world, step.village_id, step.request_id, now)
                for step in steps
                if step.status == "active" and step.deadline is not None and step.deadline < now
            ]
            Warning.objects.bulk_create(warnings, batch_size=2000)
    with transaction.atomic():
        for i in range(300):
            audit_record(
                actor=world["clerk"], action="negative_list.refuse", target=villages[i % VILLAGES],
                after={"item": "亲属关系证明"},
            )  # fmt: skip


def steady(
    rule: Any, key: str, world: dict[str, Any], village_id: int, request_id: int, at: Any
) -> Any:
    from zhiyin.oversight.models import Warning

    return Warning(
        rule=rule, rule_version=1, fact_key=key, district=world["district"],
        village_id=village_id, severity=rule.severity, state="closed", summary=key,
        facts=[], request_id=request_id, occurred_at=at, raised_at=at,
    )  # fmt: skip
