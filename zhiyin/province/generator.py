"""A province's worth of data, for measuring what one machine holds.

`province_load` fills the database with districts of about 30 villages each: groups,
village staff, group leaders, residents and their role grants, one committee seal per
village, the demo catalog (128 matters, 4 approval chains) per district, and seal requests
spread over the last two years in every state — with their approval steps (realistic,
skewed durations), decisions, documents, sealed documents, deliveries to bureaus, the
in-app notifications the services send (step holders, applicants, custodians), and each
district's audit log holding an event for every one of those changes, hash-chained in
time order so `audit_verify` passes.

Speed comes from writing rows in bulk (COPY on PostgreSQL, see `sink`) with ids numbered
ahead of the database, one district at a time in its own transaction: memory stays
bounded and the district's audit log is locked for exactly the time its events are
chained and written. The tables with rows per request are loaded without their foreign
keys and secondary indexes, which are built again (and the keys checked over every row)
at the end, as `pg_restore` does; then the database is ANALYZEd. The districts and their
bureaus go through the ordinary services, as does the first district's catalog (the
others get a bulk copy of it, with the same audit events) and a few requests per run
that are really sealed (a real PAdES signature a verifier accepts); the bulk rows share
one stored PDF.

Deadlines are the step's time limit on a plain clock (8 working hours a day, working days
×1.4): close to what the official calendar gives, and computed in no time.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from django.db import transaction
from django.utils import timezone

from zhiyin.approvals.models import ApprovalStep, RequestDocument, SealRequest, StepDecision
from zhiyin.audit.models import AuditEvent
from zhiyin.audit.services import audit_events_chain, checkpoint_create, district_log
from zhiyin.catalog.demo import catalog_demo_load, negative_list_demo_load
from zhiyin.delivery.models import Delivery, Notification
from zhiyin.orgs.demo import BUREAUS
from zhiyin.orgs.models import Bureau, District, Village
from zhiyin.orgs.services import place_create
from zhiyin.province.loader import (
    PASSWORD,
    Plan,
    Report,
    VillageRow,
)
from zhiyin.province.places import PlacesLoader
from zhiyin.province.seal_requests import RequestsLoader
from zhiyin.province.sink import database_analyze, indexes_deferred, sequences_reset
from zhiyin.sealing.demo import sealing_demo_village_load
from zhiyin.sealing.models import SealedDocument

__all__ = ["PASSWORD", "Plan", "Report", "province_load"]

#: The tables with a row (or several) per request: loaded without their foreign keys and
#: secondary indexes, which are built again at the end (`indexes_deferred`).
BULK = [
    SealRequest,
    RequestDocument,
    ApprovalStep,
    StepDecision,
    SealedDocument,
    Delivery,
    Notification,
    AuditEvent,
]


class _Loader(PlacesLoader, RequestsLoader):
    """One run: each district in its own transaction."""

    def district(self, index: int, villages: int, requests: int) -> None:
        code = f"9{self.first_number + index:05d}"
        with transaction.atomic():
            district = place_create(
                place=District(name=f"容量测试第{self.first_number + index}区", code=code),
                by=None,
            )
            for _slug, bureau_name in BUREAUS:
                place_create(place=Bureau(name=bureau_name, district=district), by=None)
            if self.catalog_template is None:
                catalog_demo_load(district)
                self.catalog_template = district.pk
        if not self.report.first_district:
            self.report.first_district = code
        self.made.append(district.pk)
        log = district_log(district.pk)
        self.ids.refresh()
        with transaction.atomic():
            if self.catalog_template != district.pk:
                assert self.catalog_template is not None
                self.catalog_copy(district, self.catalog_template)
                self.flush()
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


def _shares(total: int, villages: list[VillageRow]) -> list[int]:
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
    with indexes_deferred(BULK):
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
        progress("building the indexes and checking the foreign keys…")
    sequences_reset(list(loader.sinks))
    progress(f"indexes and foreign keys done, {(timezone.now() - started).total_seconds():.0f} s")
    for pk in loader.made:
        checkpoint_create(log=district_log(pk))
    database_analyze()
    progress(
        f"checkpoints signed and statistics gathered, "
        f"{(timezone.now() - started).total_seconds():.0f} s"
    )
    return loader.report
