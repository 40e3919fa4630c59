"""`manage.py load_province --villages 3000 --requests 1000000`: fill the database with a
province of test data (see zhiyin.province.generator), showing progress per district."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from zhiyin.province.generator import PASSWORD, Plan, province_load


class Command(BaseCommand):
    help = "Load a province of test data: districts, villages, people, requests, audit logs."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--villages", type=int, default=3000)
        parser.add_argument("--requests", type=int, default=1_000_000)
        parser.add_argument("--villages-per-district", type=int, default=30)
        parser.add_argument("--groups-per-village", type=int, default=8)
        parser.add_argument("--residents-per-village", type=int, default=10)
        parser.add_argument(
            "--real-sealed", type=int, default=2, help="Requests really sealed (PAdES)."
        )
        parser.add_argument("--seed", type=int, default=2026)

    def handle(self, *args: Any, **options: Any) -> None:
        for name in ("villages", "villages_per_district", "groups_per_village"):
            if options[name] < 1:
                raise CommandError(f"--{name.replace('_', '-')} must be at least 1")
        for name in ("requests", "residents_per_village", "real_sealed"):
            if options[name] < 0:
                raise CommandError(f"--{name.replace('_', '-')} must not be negative")
        plan = Plan(
            villages=options["villages"],
            requests=options["requests"],
            villages_per_district=options["villages_per_district"],
            groups_per_village=options["groups_per_village"],
            residents_per_village=options["residents_per_village"],
            real_sealed=options["real_sealed"],
            seed=options["seed"],
        )
        started = time.perf_counter()
        report = province_load(plan, progress=self.stdout.write)
        elapsed = time.perf_counter() - started
        self.stdout.write(
            f"province loaded in {elapsed:.0f} s: {report.districts} districts, "
            f"{report.villages} villages, {report.people:,} people, {report.requests:,} "
            f"requests, {report.steps:,} steps, {report.sealed:,} sealed documents "
            f"({report.real_sealed} really sealed), {report.deliveries:,} deliveries, "
            f"{report.notifications:,} notifications, "
            f"{report.events:,} audit events"
        )
        code = report.first_district
        self.stdout.write(
            f"logins (password {PASSWORD}): v{code}001-secretary, v{code}001-clerk, "
            f"v{code}001-g1-leader, v{code}001-r1 (resident), d{code}-inspector, "
            f"d{code}-bureau1"
        )
