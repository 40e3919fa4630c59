"""A province's worth of data, for measuring what one machine holds.

`province_load` fills the database with districts of about 30 villages each: groups,
village staff, group leaders, residents and their role grants, one committee seal per
village, the demo catalog (128 matters, 4 approval chains) per district, and seal requests
spread over the last two years in every state — with their approval steps (realistic,
skewed durations), decisions, documents, sealed documents, deliveries to bureaus, and
each district's audit log holding an event for every one of those changes, hash-chained
in time order so `audit_verify` passes.

Speed comes from writing rows in bulk (COPY on PostgreSQL, see `sink`), one district at a
time in its own transaction: memory stays bounded and the district's audit log is locked
for exactly the time its events are chained and written. The district itself and its
catalog go through the ordinary services, as do a few requests per run that are really
sealed (a real PAdES signature a verifier accepts); the bulk rows share one stored PDF.

Deadlines are the step's time limit on a plain clock (8 working hours a day, working days
×1.4): close to what the official calendar gives, and computed in no time.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from uuid import uuid4

from django.contrib.auth.hashers import make_password
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from zhiyin.approvals.models import (
    ApprovalStep,
    RequestDocument,
    RequestStatus,
    SealRequest,
    StepDecision,
)
from zhiyin.audit.models import AuditEvent
from zhiyin.audit.services import audit_events_chain, checkpoint_create, district_log
from zhiyin.catalog.demo import catalog_demo_load, negative_list_demo_load
from zhiyin.catalog.models import ChainStep, Matter, TimeUnit
from zhiyin.delivery.models import Delivery, DeliveryStatus
from zhiyin.delivery.services import EVENT_DOCUMENT_SEALED
from zhiyin.lib import pdfdoc
from zhiyin.orgs.demo import BUREAUS
from zhiyin.orgs.models import Bureau, District, Person, Role, RoleGrant, Village, VillageGroup
from zhiyin.orgs.services import place_create
from zhiyin.province.sink import Ids, Sink, sequences_reset
from zhiyin.sealing.demo import sealing_demo_village_load
from zhiyin.sealing.models import SealedDocument
from zhiyin.seals.models import Seal, SealKind

PASSWORD = "Zhiyin-demo-2026"  # noqa: S105  # the demo password, printed by `make run` too
YEARS = 2
VILLAGE_SYLLABLES = "水南北岭城西东港保平梅山临高乐文昌琼中海头南丰新兴和平安宁福田"

#: Share of requests in each final state, for requests older than the pending window.
SETTLED = (
    (RequestStatus.COMPLETED, 0.89),
    (RequestStatus.REJECTED, 0.04),
    (RequestStatus.WITHDRAWN, 0.03),
    (RequestStatus.RETURNED, 0.02),
    (RequestStatus.DRAFT, 0.02),
)
#: States of the requests created in the last `PENDING_DAYS` days.
RECENT = (
    (RequestStatus.SUBMITTED, 0.25),
    (RequestStatus.IN_APPROVAL, 0.30),
    (RequestStatus.APPROVED, 0.10),
    (RequestStatus.COMPLETED, 0.30),
    (RequestStatus.DRAFT, 0.05),
)
PENDING_DAYS = 7


@dataclass
class Plan:
    villages: int
    requests: int
    villages_per_district: int = 30
    groups_per_village: int = 8
    residents_per_village: int = 10
    real_sealed: int = 2
    seed: int = 2026
    now: dt.datetime = field(default_factory=timezone.now)

    @property
    def districts(self) -> int:
        return max(1, math.ceil(self.villages / self.villages_per_district))


@dataclass
class Report:
    districts: int = 0
    villages: int = 0
    people: int = 0
    requests: int = 0
    steps: int = 0
    sealed: int = 0
    deliveries: int = 0
    events: int = 0
    real_sealed: int = 0
    first_district: str = ""


@dataclass
class _Staff:
    clerk: int
    secretary: int
    custodians: tuple[int, int]
    leaders: list[int]


@dataclass
class _Village:
    pk: int
    name: str
    groups: list[int]
    staff: _Staff
    seal: int
    weight: float


@dataclass
class _Matter:
    pk: int
    name: str
    chain: int
    steps: list[ChainStep]
    bureau: int | None


class _Loader:
    def __init__(self, plan: Plan, progress: Callable[[str], None]) -> None:
        self.plan = plan
        self.progress = progress
        self.rng = random.Random(plan.seed)  # noqa: S311  # test data, not secrets
        self.ids = Ids()
        self.report = Report()
        self.password = make_password(PASSWORD)
        self.made: list[int] = []
        # Districts of an earlier run keep their codes: this run numbers on after them.
        self.first_number = District.objects.filter(code__regex=r"^9[0-9]{5}$").count() + 1
        self.start = plan.now - dt.timedelta(days=365 * YEARS)
        self.sinks: dict[type[Any], Sink] = {}
        self.events: list[dict[str, Any]] = []
        self.document = self._stored_pdf()

    # --- plumbing ------------------------------------------------------------------

    def sink(self, model: type[Any]) -> Sink:
        if model not in self.sinks:
            self.sinks[model] = Sink(model)
        return self.sinks[model]

    def flush(self) -> None:
        """Write what is pending, and move the tables' id sequences past it, so services
        that insert next (the next district's catalog, the real sealing) never reuse an id."""
        for sink in self.sinks.values():
            sink.flush()
        sequences_reset(list(self.sinks))

    def row(self, model: type[Any], **values: Any) -> int:
        pk = values.pop("id", None) or self.ids.take(model)
        self.sink(model).add(id=pk, **values)
        return int(pk)

    def event(
        self,
        at: dt.datetime,
        action: str,
        target: tuple[str, int, str],
        *,
        actor: tuple[int, str] | None = None,
        role: str = "",
        after: str = "",
    ) -> None:
        self.events.append(
            {
                "created_at": at,
                "actor_id": actor[0] if actor else None,
                "actor_name": actor[1] if actor else "",
                "role": role,
                "scope": "",
                "action": action,
                "target_type": target[0],
                "target_id": str(target[1]),
                "target_label": target[2][:200],
                "before": "",
                "after": after,
                "request_id": "",
                "client_ip": "",
            }
        )

    def _stored_pdf(self) -> tuple[str, str, int]:
        """One real PDF the bulk documents share: (storage name, SHA-256, size)."""
        pdf = pdfdoc.certificate_pdf_build(
            title="证明",
            paragraphs=["兹证明该户系本村村民，户籍在本村。", "特此证明。"],
            document_number="省级容量测试",
            organization_name="村民委员会",
            issued_on=self.plan.now.date(),
        ).pdf
        name = default_storage.save("province/shared-document.pdf", ContentFile(pdf))
        return name, hashlib.sha256(pdf).hexdigest(), len(pdf)

    def when(self, low: dt.datetime, high: dt.datetime) -> dt.datetime:
        span = max(1.0, (high - low).total_seconds())
        return low + dt.timedelta(seconds=self.rng.random() * span)

    def person(self, username: str, name: str, at: dt.datetime, **extra: Any) -> tuple[int, str]:
        pk = self.ids.take(Person)
        self.row(
            Person,
            id=pk,
            username=username,
            password=self.password,
            real_name=name,
            phone=f"19{pk:09d}",
            is_active=True,
            date_joined=at,
            **extra,
        )
        self.report.people += 1
        return pk, name

    def grant(
        self, person: tuple[int, str], role: str, district: int, at: dt.datetime, **scope: Any
    ) -> None:
        pk = self.row(
            RoleGrant, person_id=person[0], role=role, district_id=district, granted_at=at, **scope
        )
        self.event(
            at,
            "role_grant.create",
            ("orgs.rolegrant", pk, f"{person[1]} {role}"),
            after=f'{{"role":"{role}"}}',
        )

    # --- one district --------------------------------------------------------------

    def district(self, index: int, villages: int, requests: int) -> None:
        code = f"9{self.first_number + index:05d}"
        with transaction.atomic():
            district = place_create(
                place=District(name=f"容量测试第{self.first_number + index}区", code=code),
                by=None,
            )
            for _slug, bureau_name in BUREAUS:
                place_create(place=Bureau(name=bureau_name, district=district), by=None)
            catalog_demo_load(district)
        if not self.report.first_district:
            self.report.first_district = code
        self.made.append(district.pk)
        log = district_log(district.pk)
        self.ids.refresh()
        with transaction.atomic():
            places = [self.village(district, code, n) for n in range(villages)]
            matters = self.matters(district)
            self.people_of_district(district, code)
            if index == 0 and self.plan.real_sealed:
                # A few documents really sealed through the services, before the bulk
                # requests fill the village (the demo loader seals only a fresh one).
                self.flush()
                first_village = Village.objects.get(pk=places[0].pk)
                self.report.real_sealed = sealing_demo_village_load(
                    first_village, documents=self.plan.real_sealed
                )
                self.ids.refresh()
            for village, count in zip(places, _shares(requests, places), strict=True):
                for _ in range(count):
                    self.request(district, village, matters)
            self.flush()
            self.ids.refresh()  # past the events the services appended
            self.events.sort(key=lambda e: e["created_at"])
            events = self.sink(AuditEvent)
            first = self.ids.take(AuditEvent, len(self.events))
            for offset, chained in enumerate(audit_events_chain(log=log, events=self.events)):
                events.add(id=first + offset, **chained)
            self.flush()
            self.report.events += len(self.events)
            self.events.clear()
        self.report.districts += 1

    def village(self, district: District, code: str, n: int) -> _Village:
        at = self.when(self.start - dt.timedelta(days=30), self.start)
        name = (
            self.rng.choice(VILLAGE_SYLLABLES) + self.rng.choice(VILLAGE_SYLLABLES) + f"{n + 1}村"
        )
        village_code = f"{code}{n + 1:03d}"
        pk = self.row(Village, name=name, district_id=district.pk, code=village_code, created_at=at)
        self.event(at, "village.create", ("orgs.village", pk, name))
        self.report.villages += 1
        groups = []
        leaders = []
        for g in range(self.plan.groups_per_village):
            group = self.row(
                VillageGroup,
                name=f"第{g + 1}村民小组",
                village_id=pk,
                number=g + 1,
                created_at=at,
            )
            self.event(
                at, "villagegroup.create", ("orgs.villagegroup", group, f"{name}第{g + 1}组")
            )
            groups.append(group)
            leader = self.person(f"v{village_code}-g{g + 1}-leader", f"{name}{g + 1}组组长", at)
            self.grant(leader, Role.GROUP_LEADER, district.pk, at, village_id=pk, group_id=group)
            leaders.append(leader[0])
        staff = {}
        for role, slug in (
            (Role.CLERK, "clerk"),
            (Role.SECRETARY, "secretary"),
            (Role.CUSTODIAN, "custodian1"),
            (Role.CUSTODIAN, "custodian2"),
        ):
            person = self.person(f"v{village_code}-{slug}", f"{name}{slug}", at)
            self.grant(person, role, district.pk, at, village_id=pk)
            staff[slug] = person[0]
        for r in range(self.plan.residents_per_village):
            group = groups[r % len(groups)]
            self.person(
                f"v{village_code}-r{r + 1}",
                f"{name}村民{r + 1}",
                at,
                home_village_id=pk,
                home_group_id=group,
            )
        seal = self.row(
            Seal,
            village_id=pk,
            kind=SealKind.COMMITTEE,
            name=f"{name}村民委员会",
            code=f"P{village_code}",
            is_physical=True,
            is_electronic=True,
            created_at=at,
        )
        self.event(at, "seal.register", ("seals.seal", seal, f"{name}村民委员会"))
        return _Village(
            pk=pk,
            name=name,
            groups=groups,
            staff=_Staff(
                clerk=staff["clerk"],
                secretary=staff["secretary"],
                custodians=(staff["custodian1"], staff["custodian2"]),
                leaders=leaders,
            ),
            seal=seal,
            weight=self.rng.lognormvariate(0, 0.8),
        )

    def people_of_district(self, district: District, code: str) -> None:
        at = self.start - dt.timedelta(days=31)
        inspector = self.person(f"d{code}-inspector", f"{district.name}纪检监察员", at)
        self.grant(inspector, Role.INSPECTOR, district.pk, at)
        admin = self.person(f"d{code}-admin", f"{district.name}管理员", at)
        self.grant(admin, Role.ADMIN, district.pk, at)
        for n, bureau in enumerate(Bureau.objects.filter(district=district).order_by("pk")):
            officer = self.person(f"d{code}-bureau{n + 1}", f"{bureau.name}经办人", at)
            self.grant(officer, Role.BUREAU_OFFICER, district.pk, at, bureau_id=bureau.pk)

    def matters(self, district: District) -> list[_Matter]:
        steps: dict[int, list[ChainStep]] = {}
        for step in ChainStep.objects.filter(chain__district=district).order_by("position"):
            steps.setdefault(step.chain_id, []).append(step)
        return [
            _Matter(
                pk=m.pk,
                name=m.name,
                chain=m.chain_id,
                steps=steps.get(m.chain_id, []),
                bureau=m.target_bureau_id,
            )
            for m in Matter.objects.filter(district=district, is_active=True)
            if SealKind.COMMITTEE in m.seal_kinds
        ]

    # --- one request -----------------------------------------------------------------

    def status_at(self, created: dt.datetime) -> str:
        recent = (self.plan.now - created).days < PENDING_DAYS
        table = RECENT if recent else SETTLED
        pick = self.rng.random()
        for status, share in table:
            pick -= share
            if pick <= 0:
                return status
        return table[0][0]

    def duration(self) -> dt.timedelta:
        """How long a step waits for its decision: most within hours, a long tail."""
        hours = min(120.0, self.rng.lognormvariate(math.log(2.5), 1.1))
        return dt.timedelta(hours=hours)

    @staticmethod
    def deadline(activated: dt.datetime, step: ChainStep) -> dt.datetime:
        if step.time_unit == TimeUnit.WORKING_HOURS:
            return activated + dt.timedelta(hours=step.time_limit * 3)
        return activated + dt.timedelta(days=step.time_limit * 1.4)

    def request(self, district: District, village: _Village, matters: list[_Matter]) -> None:
        matter = self.rng.choice(matters)
        created = self.when(self.start, self.plan.now - dt.timedelta(minutes=30))
        status = self.status_at(created)
        group_index = self.rng.randrange(len(village.groups))
        pk = self.ids.take(SealRequest)
        number = f"P{district.code}-{pk:08d}"
        label = f"{number} {matter.name}"
        clerk = (village.staff.clerk, "经办人")
        target = ("approvals.sealrequest", pk, label)
        self.event(created, "seal_request.create", target, actor=clerk)
        submitted = None if status == RequestStatus.DRAFT else created + self.duration() / 4
        values: dict[str, Any] = {
            "id": pk,
            "number": number,
            "village_id": village.pk,
            "group_id": village.groups[group_index],
            "matter_id": matter.pk,
            "chain_id": matter.chain,
            "seal_id": village.seal,
            "stamp_count": 1,
            "place_of_use": "村委会",
            "purpose": f"{matter.name}（容量测试）",
            "applicant_id": clerk[0],
            "status": status,
            "round": 0 if submitted is None else 1,
            "created_at": created,
            "updated_at": created,
            "submitted_at": submitted,
        }
        values["_document"] = self.row(
            RequestDocument,
            request_id=pk,
            file=self.document[0],
            sha256=self.document[1],
            size=self.document[2],
            content_type="application/pdf",
            original_name="用印材料.pdf",
            uploaded_at=created,
            uploaded_by_id=clerk[0],
        )
        self.report.requests += 1
        if submitted is not None:
            self.event(submitted, "seal_request.submit", target, actor=clerk)
            last = self.steps(district, village, matter, values, submitted, group_index, target)
            values["updated_at"] = last
        self.sink(SealRequest).add(**values)

    def steps(
        self,
        district: District,
        village: _Village,
        matter: _Matter,
        request: dict[str, Any],
        submitted: dt.datetime,
        group_index: int,
        target: tuple[str, int, str],
    ) -> dt.datetime:
        status = request["status"]
        chain = matter.steps
        # Where the request stopped: index of the step deciding its fate, or len(chain).
        if status in (RequestStatus.SUBMITTED, RequestStatus.IN_APPROVAL):
            stop = (
                0
                if status == RequestStatus.SUBMITTED or len(chain) < 2
                else self.rng.randrange(1, len(chain))
            )
            request["status"] = RequestStatus.SUBMITTED if stop == 0 else RequestStatus.IN_APPROVAL
        elif status in (RequestStatus.RETURNED, RequestStatus.REJECTED, RequestStatus.WITHDRAWN):
            stop = self.rng.randrange(len(chain)) if chain else 0
        else:
            stop = len(chain)
        at = submitted
        for position, step in enumerate(chain):
            by = self.decider(village, step, group_index)
            values: dict[str, Any] = {
                "request_id": request["id"],
                "chain_step_id": step.pk,
                "round": 1,
                "position": step.position,
                "name": step.name,
                "role": step.role,
                "scope_level": step.scope_level,
                "district_id": district.pk,
                "village_id": village.pk,
                "group_id": village.groups[group_index] if step.scope_level == "group" else None,
                "approvers_needed": step.approvers_needed,
                "status": "waiting",
            }
            if position < stop or (
                position == stop and status in (RequestStatus.RETURNED, RequestStatus.REJECTED)
            ):
                decided = at + self.duration()
                decision = "approve"
                if position == stop:
                    decision = "return" if status == RequestStatus.RETURNED else "reject"
                values.update(
                    status="done",
                    activated_at=at,
                    deadline=self.deadline(at, step),
                    decided_at=decided,
                    decision=decision,
                    decided_by_id=by,
                    duration=decided - at,
                )
                step_pk = self.row(ApprovalStep, **values)
                self.row(
                    StepDecision,
                    step_id=step_pk,
                    person_id=by,
                    decision=decision,
                    decided_at=decided,
                )
                self.event(
                    decided,
                    f"seal_request.{decision}",
                    target,
                    actor=(by, step.name),
                    role=step.role,
                )
                at = decided
                if decision != "approve":
                    request["outcome_comment"] = "材料不全，请补充后再提交。"
                    break
            elif position == stop and status in (
                RequestStatus.SUBMITTED,
                RequestStatus.IN_APPROVAL,
            ):
                values.update(status="active", activated_at=at, deadline=self.deadline(at, step))
                self.row(ApprovalStep, **values)
            elif status == RequestStatus.WITHDRAWN:
                values.update(status="cancelled")
                self.row(ApprovalStep, **values)
            else:
                self.row(ApprovalStep, **values)
            self.report.steps += 1
        if status == RequestStatus.WITHDRAWN:
            at = at + self.duration()
            request["outcome_comment"] = "申请人撤回。"
            self.event(
                at, "seal_request.withdraw", target, actor=(request["applicant_id"], "经办人")
            )
        if status in (RequestStatus.APPROVED, RequestStatus.COMPLETED):
            request["decided_at"] = at
        if status == RequestStatus.COMPLETED:
            at = at + self.duration() / 3
            custodian = village.staff.custodians[1]  # the one who confirmed never stamps
            request.update(completed_at=at, completed_by_id=custodian)
            self.sealed(request, matter, at, custodian, target)
        elif status in (RequestStatus.REJECTED, RequestStatus.RETURNED):
            request["decided_at"] = at
        return at

    def decider(self, village: _Village, step: ChainStep, group_index: int) -> int:
        if step.role == Role.GROUP_LEADER:
            return village.staff.leaders[group_index]
        if step.role == Role.SECRETARY:
            return village.staff.secretary
        return village.staff.custodians[0]

    def sealed(
        self,
        request: dict[str, Any],
        matter: _Matter,
        at: dt.datetime,
        custodian: int,
        target: tuple[str, int, str],
    ) -> None:
        number = f"{request['number']}-1"
        sealed = self.row(
            SealedDocument,
            number=number,
            sha256=self.document[1],
            file=self.document[0],
            size=self.document[2],
            request_id=request["id"],
            source_document_id=request["_document"],
            matter_name=matter.name,
            organization_name="村民委员会",
            sealed_at=at,
            sealed_by_id=custodian,
            signatures=1,
        )
        self.report.sealed += 1
        self.event(
            at,
            "sealed_document.create",
            ("sealing.sealeddocument", sealed, number),
            actor=(custodian, "印章管理员"),
        )
        self.event(at, "seal_request.complete", target, actor=(custodian, "印章管理员"))
        if matter.bureau is not None:
            webhook = uuid4().hex  # unique across runs of the same seed
            delivered = at + dt.timedelta(seconds=self.rng.uniform(1, 90))
            pk = self.row(
                Delivery,
                webhook_id=f"msg_{webhook}",
                bureau_id=matter.bureau,
                event_type=EVENT_DOCUMENT_SEALED,
                payload={"request": {"number": request["number"]}, "document": {"number": number}},
                title=f"{matter.name} {number}",
                document_path=self.document[0],
                document_sha256=self.document[1],
                document_size=self.document[2],
                source_type="sealing.sealeddocument",
                source_id=str(sealed),
                status=DeliveryStatus.DELIVERED,
                created_at=at,
                delivered_at=delivered,
            )
            self.report.deliveries += 1
            self.event(at, "delivery.create", ("delivery.delivery", pk, number))


def _shares(total: int, villages: list[_Village]) -> list[int]:
    """`total` split by weight, exactly (largest remainders get the odd ones)."""
    weight = sum(v.weight for v in villages)
    exact = [total * v.weight / weight for v in villages]
    counts = [math.floor(x) for x in exact]
    by_remainder = sorted(range(len(exact)), key=lambda i: counts[i] - exact[i])
    for i in by_remainder[: total - sum(counts)]:
        counts[i] += 1
    return counts


def province_load(plan: Plan, *, progress: Callable[[str], None] = print) -> Report:
    """Fill the database as described in the module docstring; returns what was made."""
    loader = _Loader(plan, progress)
    negative_list_demo_load()
    per_district = plan.villages_per_district
    started = timezone.now()
    left_villages, left_requests = plan.villages, plan.requests
    for index in range(plan.districts):
        villages = min(per_district, left_villages)
        requests = (
            round(plan.requests * villages / plan.villages)
            if index < plan.districts - 1
            else left_requests
        )
        loader.district(index, villages, requests)
        left_villages -= villages
        left_requests -= requests
        elapsed = (timezone.now() - started).total_seconds()
        report = loader.report
        progress(
            f"district {index + 1}/{plan.districts}: {report.villages} villages, "
            f"{report.requests:,} requests, {report.events:,} audit events, {elapsed:.0f} s"
        )
    sequences_reset(list(loader.sinks))
    for pk in loader.made:
        checkpoint_create(log=district_log(pk))
    return loader.report
