from __future__ import annotations

import inspect
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils.module_loading import import_string

from zhiyin.orgs.demo import DEMO_PASSWORD, DISTRICT_CODE, RESIDENTS_PER_VILLAGE, demo_load
from zhiyin.orgs.models import District


class Command(BaseCommand):
    help = (
        "Load the demo district 崖州区 (idempotent), then each app's demo data listed in "
        "settings.DEMO_LOADERS, and print one login per role."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--residents-per-village", type=int, default=RESIDENTS_PER_VILLAGE)
        parser.add_argument(
            "--places-only",
            action="store_true",
            help="Only places, people and seals (no catalog or requests).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        logins = demo_load(residents_per_village=options["residents_per_village"])
        district = District.objects.get(code=DISTRICT_CODE)
        # Apps above orgs register their demo loaders in settings, so orgs imports none of them.
        loaders = list(settings.DEMO_PLACES_LOADERS)
        if not options["places_only"]:
            loaders += settings.DEMO_LOADERS
        for path in loaders:
            loader = import_string(path)
            result = loader(district) if inspect.signature(loader).parameters else loader()
            self.stdout.write(f"  {path.rsplit('.', 1)[-1]}: {result}")
        self.stdout.write(
            f"演示账号（密码均为 {DEMO_PASSWORD}）/ demo logins (password {DEMO_PASSWORD}):"
        )
        for login in logins:
            self.stdout.write(
                f"  {login.role:<12} {login.username:<16} {login.real_name}  {login.scope}"
            )
