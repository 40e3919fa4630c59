"""The province loader's plumbing: the plan and report, the rows it remembers while it
writes a district (villages with their staff, matters with their chain steps), and the
`Loader` base that buffers rows per model (`sink`), numbers ids ahead of the database and
collects the audit events to chain. See `zhiyin.province.generator`."""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.hashers import make_password
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from zhiyin.approvals.models import (
    RequestStatus,
)
from zhiyin.catalog.models import ChainStep
from zhiyin.lib import pdfdoc
from zhiyin.orgs.models import District
from zhiyin.province.sink import Ids, Sink, sequences_reset

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
    notifications: int = 0
    events: int = 0
    real_sealed: int = 0
    first_district: str = ""


@dataclass
class Staff:
    clerk: int
    secretary: int
    custodians: tuple[int, int]
    leaders: list[int]


@dataclass
class VillageRow:
    pk: int
    name: str
    groups: list[int]
    staff: Staff
    seal: int
    weight: float


@dataclass
class MatterRow:
    pk: int
    name: str
    chain: int
    steps: list[ChainStep]
    bureau: int | None


class Loader:
    """Buffers rows and audit events for one run; `places` and `seal_requests` add what they
    write."""

    def __init__(self, plan: Plan, progress: Callable[[str], None]) -> None:
        self.plan = plan
        self.progress = progress
        self.rng = random.Random(plan.seed)  # noqa: S311  # test data, not secrets
        self.ids = Ids()
        self.report = Report()
        self.password = make_password(PASSWORD)
        self.made: list[int] = []
        #: Staff whose password has its history row (see PlacesLoader.grant).
        self.password_dated: set[int] = set()
        # Districts of an earlier run keep their codes: this run numbers on after them.
        self.first_number = District.objects.filter(code__regex=r"^9[0-9]{5}$").count() + 1
        self.start = plan.now - dt.timedelta(days=365 * YEARS)
        self.sinks: dict[type[Any], Sink] = {}
        self.events: list[dict[str, Any]] = []
        self.document = self.stored_pdf()
        #: The catalog `catalog_copy` copies: (district id, chains with steps and audit
        #: data, matters), read once.
        self.catalog: tuple[int, list[tuple[Any, list[Any], dict[str, Any]]], list[Any]] | None = (
            None
        )
        #: The district of this run whose catalog went through the services.
        self.catalog_template: int | None = None

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

    def stored_pdf(self) -> tuple[str, str, int]:
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
