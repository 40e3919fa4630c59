"""`manage.py audit_checkpoint`: sign a checkpoint now (the worker does it every 10 minutes)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from zhiyin.audit.services import checkpoints_create


class Command(BaseCommand):
    help = "Sign a Merkle checkpoint over every event so far of every log; print their notes."

    def handle(self, *args: Any, **options: Any) -> None:
        checkpoints = checkpoints_create()
        if not checkpoints:
            self.stdout.write("audit log is empty: no checkpoint")
            return
        for checkpoint in checkpoints:
            self.stdout.write(checkpoint.note, ending="")
