from __future__ import annotations

import subprocess
import sys
import time
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.utils.module_loading import import_string


class Command(BaseCommand):
    help = (
        "Run the background worker (django-tasks database backend) and enqueue the periodic "
        "tasks listed in settings.PERIODIC_TASKS at their intervals. Safe to run several: "
        "each periodic task claims its own work with row locks or conditional updates."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--once",
            action="store_true",
            help="Enqueue each periodic task once, run the queue, exit.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        periodic: list[tuple[str, int]] = list(getattr(settings, "PERIODIC_TASKS", []))
        # No autoreload: a worker restarted mid-task would leave its claim to expire.
        worker_cmd = [sys.executable, "manage.py", "db_worker", "--no-reload"]
        if options["once"]:
            for path, _ in periodic:
                import_string(path).enqueue()
            subprocess.run([*worker_cmd, "--batch"], check=True)  # noqa: S603  # our own manage.py
            return
        worker = subprocess.Popen(worker_cmd)  # noqa: S603  # our own manage.py
        next_run = dict.fromkeys((p for p, _ in periodic), 0.0)
        next_prune = 0.0
        try:
            while worker.poll() is None:
                now = time.monotonic()
                if now >= next_prune:
                    # Periodic tasks leave a result row each run; keep a day of them.
                    call_command("prune_db_task_results", min_age_days=1, verbosity=0)
                    next_prune = now + 3600
                for path, every in periodic:
                    if now >= next_run[path]:
                        import_string(path).enqueue()
                        next_run[path] = now + every
                time.sleep(1)
        finally:
            worker.terminate()
            worker.wait(timeout=30)
