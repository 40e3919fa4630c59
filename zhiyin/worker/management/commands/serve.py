"""`manage.py serve`: the web server and the workers under one supervisor (`make run`)."""

from __future__ import annotations

import logging
import os
import shlex
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from zhiyin.lib.supervise import supervise


def gunicorn_argv(*, bind: str, workers: int, threads: int = 4) -> list[str]:
    """The production web server's command line: the one README and docs/operator.md show.

    Threaded workers (gthread): a request that waits for the database leaves the CPU to
    another thread of the same process, and kept-alive connections wait in the worker's
    poller instead of holding a process, so a few processes on a small machine serve
    many users (each thread borrows its connection from the process's pool)."""
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "zhiyin.wsgi:application",
        "--bind",
        bind,
        "--workers",
        str(workers),
        "--worker-class",
        "gthread",
        "--threads",
        str(threads),
        "--keep-alive",
        "5",
        "--timeout",
        "60",
        "--graceful-timeout",
        "30",
        "--access-logfile",
        "-",
        # Several servers may share a machine (tests, a second site): no shared control socket.
        "--no-control-socket",
    ]


def default_web_workers() -> int:
    """Processes: 2 × cores + 1, at most 8 (each runs `default_web_threads` threads)."""
    return min(8, 2 * (os.cpu_count() or 1) + 1)


def default_web_threads() -> int:
    """Threads per process: WEB_THREADS, else 4 (within the pool's DB_POOL_MAX_SIZE)."""
    return max(1, int(os.environ.get("WEB_THREADS", "0") or 0) or 4)


class Command(BaseCommand):
    help = (
        "Serve through gunicorn (static files by WhiteNoise) and run the background workers, "
        "restarting whichever exits; Ctrl-C stops all. --dev uses Django's autoreloading "
        "development server instead."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument(
            "--web-workers",
            type=int,
            default=int(os.environ.get("WEB_CONCURRENCY", "0") or 0) or default_web_workers(),
            help="gunicorn worker processes (default: WEB_CONCURRENCY, else 2 × cores + 1)",
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=int(os.environ.get("RUN_WORKERS", "1") or 1),
            help="background worker processes (default: RUN_WORKERS, else 1)",
        )
        parser.add_argument("--dev", action="store_true", help="runserver with autoreload")

    def handle(self, *args: Any, **options: Any) -> None:
        logging.basicConfig(level=logging.INFO, format="%(message)s")
        bind = f"{options['host']}:{options['port']}"
        manage = [sys.executable, "manage.py"]
        web = (
            [*manage, "runserver", bind]
            if options["dev"]
            else gunicorn_argv(
                bind=bind, workers=max(1, options["web_workers"]), threads=default_web_threads()
            )
        )
        programs = [("web", web)]
        programs += [
            (f"worker-{n + 1}", [*manage, "run_worker"]) for n in range(max(1, options["workers"]))
        ]
        for name, argv in programs:
            self.stdout.write(f"  {name}: {shlex.join(argv)}")
        self.stdout.write(f"智印 Zhiyin: http://{bind}/  (Ctrl-C stops everything)")
        self.stdout.flush()
        code = supervise(programs, health_url=f"http://{bind}/healthz")
        raise SystemExit(code)
