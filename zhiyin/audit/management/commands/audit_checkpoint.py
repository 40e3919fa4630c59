"""`manage.py audit_checkpoint`: sign a checkpoint now (the worker does it every 10 minutes)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from zhiyin.audit.services import checkpoint_create


class Command(BaseCommand):
    help = "Sign a Merkle checkpoint over every audit event so far and print its note."

    def handle(self, *args: Any, **options: Any) -> None:
        checkpoint = checkpoint_create()
        if checkpoint is None:
            self.stdout.write("audit log is empty: no checkpoint")
            return
        self.stdout.write(checkpoint.note, ending="")
