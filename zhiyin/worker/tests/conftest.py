"""Real worker processes against the test database, and a live bureau receiver."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.db import connection

from conftest import World
from zhiyin.delivery.models import BureauEndpoint
from zhiyin.delivery.receiver import Receiver
from zhiyin.delivery.services import endpoint_register

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
BASE_DIR = Path(django_settings.BASE_DIR)


def test_database_url() -> str:
    """The database this test runs on, as a URL a child process can be given."""
    db = connection.settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{db['NAME']}"
    user = db.get("USER") or "postgres"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{user}{password}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"


def wait_until(condition: Callable[[], Any], *, timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"not within {timeout} s: {what}")


@dataclass
class Child:
    process: subprocess.Popen[bytes]
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def alive(self) -> bool:
        return self.process.poll() is None


@pytest.fixture
def child_env(tmp_path: Path, settings: Any) -> dict[str, str]:
    """What a worker started by a test gets: this test's database and files, and short
    intervals so that recovery is seen in seconds (the production defaults are minutes)."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.PUBLIC_BASE_URL = "http://testserver"
    settings.WORKER_HEARTBEAT_SECONDS = 1  # this process judges the workers the same way
    settings.WORKER_LEASE_SECONDS = 3
    return {
        **os.environ,
        "DATABASE_URL": test_database_url(),
        "MEDIA_ROOT": settings.MEDIA_ROOT,
        "PUBLIC_BASE_URL": settings.PUBLIC_BASE_URL,
        "PGAPPNAME": "zhiyin-test-worker",  # so that outage tests cut only the children
        "WORKER_HEARTBEAT_SECONDS": "1",
        "WORKER_LEASE_SECONDS": "3",
        "WORKER_BACKOFF_MAX_SECONDS": "2",
        "OUTBOX_DISPATCH_SECONDS": "1",
        "DB_BUSY_TIMEOUT_MS": "500",
        "DELIVERY_TIMEOUT_SECONDS": "10",
        "DELIVERY_RETRY_SCHEDULE": "0,1,1,1,1",
        "PYTHONUNBUFFERED": "1",
    }


@pytest.fixture
def spawn(transactional_db: None, tmp_path: Path) -> Iterator[Callable[..., Child]]:
    """Start a child process (from the project folder); all are stopped after the test,
    before the database is emptied."""
    children: list[Child] = []

    def start(argv: list[str], env: dict[str, str], name: str = "child") -> Child:
        log_path = tmp_path / f"{name}-{len(children)}.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                argv,
                cwd=BASE_DIR,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        child = Child(process, log_path)
        children.append(child)
        return child

    yield start
    for child in children:
        if child.alive():
            _signal_group(child, signal.SIGTERM)
    for child in children:
        try:
            child.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            _signal_group(child, signal.SIGKILL)
            child.process.wait()


def _signal_group(child: Child, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(child.process.pid, signum)


def worker_argv() -> list[str]:
    return [sys.executable, "manage.py", "run_worker", "--interval", "0.2"]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    live = Receiver(secret=SECRET).start()
    yield live
    live.stop()


@pytest.fixture
def endpoint(world: World, receiver: Receiver) -> BureauEndpoint:
    return endpoint_register(
        bureau=world.bureau,
        url=receiver.url,
        by=world.district_admin,
        allow_private=True,
        secret=SECRET,
    )
