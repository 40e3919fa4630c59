"""`manage.py deliver_outbox`: one pass over the outbox, in the foreground."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from zhiyin.delivery.outbox import outbox_run


class Command(BaseCommand):
    help = "Send every due outbox message once (what the periodic outbox_dispatch task does)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--max", type=int, default=1000, help="stop after this many")

    def handle(self, *args: Any, **options: Any) -> None:
        handled = outbox_run(max_messages=int(options["max"]))
        self.stdout.write(f"outbox: {handled} message(s) handled")
