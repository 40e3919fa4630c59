from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from zhiyin.orgs.demo import DEMO_PASSWORD, RESIDENTS_PER_VILLAGE, demo_load


class Command(BaseCommand):
    help = "Load the demo district 崖州区 (idempotent) and print one login per role."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--residents-per-village", type=int, default=RESIDENTS_PER_VILLAGE)

    def handle(self, *args: Any, **options: Any) -> None:
        logins = demo_load(residents_per_village=options["residents_per_village"])
        self.stdout.write(
            f"演示账号（密码均为 {DEMO_PASSWORD}）/ demo logins (password {DEMO_PASSWORD}):"
        )
        for login in logins:
            self.stdout.write(
                f"  {login.role:<12} {login.username:<16} {login.real_name}  {login.scope}"
            )
