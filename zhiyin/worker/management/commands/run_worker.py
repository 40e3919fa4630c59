"""`manage.py run_worker`: one background worker process (see zhiyin.worker.loop)."""

from __future__ import annotations

import faulthandler
import signal
import sys
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from zhiyin.worker.dberrors import WorkerConfigurationError
from zhiyin.worker.loop import Worker


class Command(BaseCommand):
    help = (
        "Run a background worker: queued tasks (django-tasks database backend), the "
        "periodic tasks of settings.PERIODIC_TASKS and the duties of WORKER_DUTIES, with a "
        "heartbeat. Safe to run several on several machines. A busy or restarting database "
        "is waited out; only a configuration error stops it."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--once",
            action="store_true",
            help="Do every duty once (enqueue the periodic tasks), run the queue empty, exit.",
        )
        parser.add_argument(
            "--interval", type=float, default=1.0, help="seconds to wait when the queue is empty"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        worker = Worker(interval=float(options["interval"]))

        def shutdown(signum: int, frame: FrameType | None) -> None:
            if worker.stopping.is_set():
                sys.exit(1)  # a second Ctrl-C: leave now, the claim's lease covers the rest
            worker.stopping.set()

        signal.signal(signal.SIGINT, shutdown)
        signal.signal(signal.SIGTERM, shutdown)
        # `kill -USR1 <pid>` prints every thread's stack: what a stuck worker is doing.
        faulthandler.register(signal.SIGUSR1, all_threads=True)
        try:
            worker.run(once=bool(options["once"]))
        except WorkerConfigurationError as exc:
            raise CommandError(f"worker stopped: {exc}") from exc
