"""Print the current second-factor code of the demo accounts (DEBUG only)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from zhiyin.accounts.testing import totp_code_now


class Command(BaseCommand):
    help = "Print the demo accounts' current authenticator code (development only)."

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("demo_code is for development systems (DEBUG=true) only.")
        self.stdout.write(totp_code_now())
