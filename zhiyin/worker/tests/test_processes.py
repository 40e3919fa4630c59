"""Real worker processes: a database taken away, a worker killed mid-send, `make run`'s
supervisor restarting a killed worker. Each test starts `manage.py run_worker` (or the
whole `make run`) as a child process against this test's database."""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest
from django.db import connection
from django_tasks_db.models import DBTaskResult

from conftest import World
from zhiyin.delivery.models import BureauEndpoint, DeliveryStatus, OutboxMessage
from zhiyin.delivery.receiver import Receiver
from zhiyin.delivery.tests.conftest import seal_delivery
from zhiyin.worker.loop import connections_reset
from zhiyin.worker.models import WorkerHeartbeat
from zhiyin.worker.services import gone_workers
from zhiyin.worker.tests.conftest import Child, wait_until, worker_argv

pytestmark = pytest.mark.django_db(transaction=True)

Spawn = Callable[..., Child]


def _document() -> tuple[str, str]:
    import hashlib

    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    pdf = b"%PDF-1.7\n% sealed test document\n%%EOF\n"
    return default_storage.save("sealed/test.pdf", ContentFile(pdf)), hashlib.sha256(
        pdf
    ).hexdigest()


def _beating(since: float = 0.0) -> list[WorkerHeartbeat]:
    from datetime import timedelta

    from django.utils import timezone

    recent = timezone.now() - timedelta(seconds=3)
    return list(WorkerHeartbeat.objects.filter(stopped_at__isnull=True, last_beat_at__gte=recent))


def _disrupt_sqlite(seconds: float) -> None:
    """Hold SQLite's write lock (another writer in another connection) for `seconds`,
    far longer than the worker's busy timeout (0.5 s in these tests)."""
    raw = sqlite3.connect(connection.settings_dict["NAME"], timeout=5, isolation_level=None)
    try:
        raw.execute("BEGIN IMMEDIATE")
        raw.execute("UPDATE worker_workerheartbeat SET current_task = current_task")
        time.sleep(seconds)
        raw.execute("ROLLBACK")
    finally:
        raw.close()


def _disrupt_postgresql(seconds: float) -> None:
    """Cut every other connection to this database, again and again, for `seconds`: what
    a database restart or a network drop looks like to the worker."""
    deadline = time.monotonic() + seconds
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND application_name = 'zhiyin-test-worker'"
            )
            time.sleep(0.3)
    # This test process's own pooled connections were cut too: close the whole pool so
    # that later tests (and their live-server threads) start on fresh connections.
    connections_reset()
    close_pool = getattr(connection, "close_pool", None)
    if close_pool is not None:
        close_pool()


def test_it_waits_out_a_database_taken_away_and_delivers_once_it_is_back(
    world: World,
    endpoint: BureauEndpoint,
    receiver: Receiver,
    spawn: Spawn,
    child_env: dict[str, str],
) -> None:
    worker = spawn(worker_argv(), child_env, name="worker")
    wait_until(_beating, timeout=60, what="the worker beats")
    delivery = seal_delivery(world, _document())
    receiver.behaviour.status = 503  # not yet: keep the message pending during the outage
    if connection.vendor == "sqlite":
        _disrupt_sqlite(4.0)
    else:
        _disrupt_postgresql(6.0)
    assert worker.alive(), worker.log()
    receiver.behaviour.status = 200
    wait_until(
        lambda: delivery.webhook_id in receiver.messages,
        timeout=30,
        what="delivery after the outage",
    )
    log = worker.log()
    if connection.vendor == "sqlite":
        # On PostgreSQL the pool may hand the worker a connection opened between two cuts,
        # so whether it meets the outage is a matter of timing; what must hold is that it
        # lives, delivers and beats again.
        assert "database unavailable" in log, log
    assert worker.alive(), log
    delivery.refresh_from_db()
    wait_until(
        lambda: type(delivery).objects.get(pk=delivery.pk).status == DeliveryStatus.DELIVERED,
        timeout=10,
        what="delivery marked delivered",
    )
    # On PostgreSQL the connection pool backs off too (1 s, 2 s, 4 s … within its timeout).
    wait_until(_beating, timeout=45, what="the worker beats again after the outage")


def test_it_leaves_nothing_running_and_one_delivery_when_a_worker_dies_mid_send(
    world: World,
    endpoint: BureauEndpoint,
    receiver: Receiver,
    spawn: Spawn,
    child_env: dict[str, str],
) -> None:
    receiver.behaviour.delay_seconds = 4.0  # the bureau is slow: the worker waits on the POST
    first = spawn(worker_argv(), child_env, name="first")
    wait_until(_beating, timeout=60, what="the first worker beats")
    delivery = seal_delivery(world, _document())
    wait_until(lambda: receiver.calls >= 1, timeout=20, what="the first POST under way")
    held = OutboxMessage.objects.get(delivery=delivery)
    assert held.claimed_by.startswith(socket.gethostname()[:40])
    first.process.send_signal(signal.SIGKILL)
    first.process.wait()
    receiver.behaviour.delay_seconds = 0.0
    second = spawn(worker_argv(), child_env, name="second")
    wait_until(
        lambda: OutboxMessage.objects.get(pk=held.pk).status == "sent",
        timeout=60,
        what="the second worker sends the message again",
    )
    wait_until(
        lambda: not DBTaskResult.objects.filter(status="RUNNING").exists(),
        timeout=20,
        what="no task row left RUNNING",
    )
    time.sleep(1.5)  # any late repeat would arrive now
    assert list(receiver.messages) == [delivery.webhook_id]
    assert receiver.calls >= 2 and receiver.duplicates == receiver.calls - 1
    assert DBTaskResult.objects.filter(status="RUNNING").count() == 0
    assert WorkerHeartbeat.objects.get(pid=first.process.pid).worker_id in gone_workers()
    assert second.alive(), second.log()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_make_run_restarts_a_killed_worker_which_beats_and_delivers_again(
    world: World,
    endpoint: BureauEndpoint,
    receiver: Receiver,
    spawn: Spawn,
    child_env: dict[str, str],
) -> None:
    port = _free_port()
    # The test's own district is already there: no demo district on top of it.
    env = {**child_env, "PORT": str(port), "WEB_CONCURRENCY": "2", "LOAD_DEMO": "false"}
    run = spawn(["make", "--no-print-directory", "run"], env, name="make-run")
    wait_until(
        lambda: _healthz(port) == 200,
        timeout=150,
        what=f"make run serving /healthz with a live worker\n{run.log()}",
    )
    first = wait_until(_beating, timeout=10, what="the first worker beats")[0]
    assert "gunicorn" in run.log() and "Booting worker" in run.log()
    with urllib.request.urlopen(
        f"http://127.0.0.1:{port}/static/css/zhiyin.css", timeout=10
    ) as css:
        assert css.status == 200 and b"{" in css.read()  # static files through WhiteNoise
    _kill(first.pid)
    wait_until(
        lambda: [w for w in _beating() if w.pid != first.pid],
        timeout=30,
        what=f"a new worker beating\n{run.log()}",
    )
    assert "worker-1 (pid" in run.log() and "exited with signal SIGKILL" in run.log()
    delivery = seal_delivery(world, _document(), source_id=7)
    wait_until(
        lambda: delivery.webhook_id in receiver.messages,
        timeout=30,
        what="the new worker delivers",
    )
    os.killpg(run.process.pid, signal.SIGINT)  # Ctrl-C in the terminal: the whole group
    run.process.wait(timeout=60)
    assert "supervisor: all stopped" in run.log()
    assert not _beating()


def _kill(pid: int) -> None:
    os.kill(pid, signal.SIGKILL)


def _healthz(port: int) -> int:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)
    except OSError:
        return 0


def test_it_stops_with_a_clear_message_on_a_database_that_was_never_migrated(
    tmp_path: Path, spawn: Spawn, child_env: dict[str, str]
) -> None:
    env = {**child_env, "DATABASE_URL": f"sqlite:///{tmp_path / 'empty.sqlite3'}"}
    child = spawn(worker_argv(), env, name="unmigrated")
    code = child.process.wait(timeout=90)
    assert code != 0
    assert "run `manage.py migrate`" in child.log()
