"""The worker loop in this process: task failures, duty failures, configuration errors,
releasing what gone workers held, pruning."""

from __future__ import annotations

import socket
import subprocess
import sys
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection, transaction
from django.utils import timezone
from django_tasks import task
from django_tasks_db.models import DBTaskResult

from conftest import World
from zhiyin.delivery.models import BureauEndpoint, OutboxMessage
from zhiyin.delivery.tests.conftest import seal_delivery
from zhiyin.worker.dberrors import WorkerConfigurationError, configuration_problem, is_transient
from zhiyin.worker.loop import Backoff, Duty, Worker
from zhiyin.worker.models import WorkerHeartbeat
from zhiyin.worker.services import finished_tasks_prune, gone_workers, stale_claims_release

pytestmark = pytest.mark.django_db(transaction=True)

done: list[str] = []


@task()
def succeed(word: str) -> str:
    done.append(word)
    return word.upper()


@task()
def explode() -> None:
    raise ValueError("this task is broken")


class BrokenDuty(Duty):
    name = "broken"
    every = 0.0

    def run(self, worker: Worker) -> None:
        raise RuntimeError("duty bug")


class MissingTableDuty(Duty):
    name = "missing_table"

    def run(self, worker: Worker) -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT * FROM table_nobody_migrated")


def _missing_table_error() -> Exception:
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT * FROM table_nobody_migrated")
    except Exception as exc:
        return exc
    raise AssertionError("the query should have failed")


def test_it_records_a_failing_task_and_goes_on_to_the_next() -> None:
    done.clear()
    failing = explode.enqueue()
    ok = succeed.enqueue("next")
    worker = Worker(duties=[])
    worker.run(once=True)
    assert DBTaskResult.objects.get(pk=failing.id).status == "FAILED"
    assert "this task is broken" in DBTaskResult.objects.get(pk=failing.id).traceback
    assert DBTaskResult.objects.get(pk=ok.id).status == "SUCCESSFUL"
    assert done == ["next"]
    beat = WorkerHeartbeat.objects.get(worker_id=worker.worker_id)
    assert beat.tasks_done == 2
    assert "this task is broken" in beat.last_error
    assert beat.stopped_at is not None


def test_a_broken_duty_is_logged_and_never_stops_the_loop() -> None:
    done.clear()
    succeed.enqueue("after the broken duty")
    worker = Worker(duties=[BrokenDuty()])
    worker.run(once=True)
    assert done == ["after the broken duty"]
    assert "duty bug" in WorkerHeartbeat.objects.get(worker_id=worker.worker_id).last_error


def test_a_missing_table_is_a_configuration_error_not_something_to_wait_out() -> None:
    exc = _missing_table_error()
    assert "migrate" in configuration_problem(exc)
    assert not is_transient(exc)
    with pytest.raises(WorkerConfigurationError, match="migrate"):
        Worker(duties=[MissingTableDuty()]).run(once=True)


def test_backoff_grows_to_its_cap_and_starts_over_after_a_success() -> None:
    backoff = Backoff(first=1, cap=10)
    assert [backoff.next() for _ in range(6)] == [1, 2, 4, 8, 10, 10]
    backoff.reset()
    assert backoff.next() == 1


def _heartbeat(worker_id: str, *, age: float, stopped: bool = False) -> WorkerHeartbeat:
    now = timezone.now()
    return WorkerHeartbeat.objects.create(
        worker_id=worker_id,
        host="other-machine",
        pid=4242,
        started_at=now - timedelta(hours=1),
        last_beat_at=now - timedelta(seconds=age),
        stopped_at=now - timedelta(seconds=age) if stopped else None,
    )


def _running(holders: list[str], **extra: Any) -> DBTaskResult[Any, Any]:
    result = succeed.enqueue("again")
    DBTaskResult.objects.filter(pk=result.id).update(
        status="RUNNING", worker_ids=holders, started_at=timezone.now() - timedelta(minutes=5)
    )
    return DBTaskResult.objects.get(pk=result.id)


def test_it_requeues_once_what_a_gone_worker_held_and_fails_it_after_the_last_attempt(
    settings: Any,
) -> None:
    settings.WORKER_LEASE_SECONDS = 60
    settings.WORKER_TASK_MAX_ATTEMPTS = 2
    _heartbeat("live", age=5)
    _heartbeat("silent", age=600)
    _heartbeat("stopped", age=5, stopped=True)
    held_by_live = _running(["live"])
    held_by_silent = _running(["silent"])
    held_by_stopped_twice = _running(["silent", "stopped"])
    assert sorted(gone_workers()) == ["silent", "stopped"]
    assert stale_claims_release() == 2
    assert stale_claims_release() == 0  # a second look (another worker) moves nothing
    assert DBTaskResult.objects.get(pk=held_by_live.pk).status == "RUNNING"
    assert DBTaskResult.objects.get(pk=held_by_silent.pk).status == "READY"
    lost = DBTaskResult.objects.get(pk=held_by_stopped_twice.pk)
    assert lost.status == "FAILED"
    assert lost.exception_class_path == "zhiyin.worker.services.WorkerLost"
    assert lost.finished_at is not None


def test_it_releases_outbox_claims_of_a_gone_worker_before_their_lease_ends(
    world: World, endpoint: BureauEndpoint, settings: Any
) -> None:
    settings.DELIVERY_KICK_WORKER = False
    _heartbeat("silent", age=600)
    _heartbeat("live", age=1)
    seal_delivery(world, ("sealed/none.pdf", "0" * 64), source_id=1)
    seal_delivery(world, ("sealed/none.pdf", "0" * 64), source_id=2)
    first, second = OutboxMessage.objects.order_by("pk")
    until = timezone.now() + timedelta(minutes=1)
    OutboxMessage.objects.filter(pk=first.pk).update(claimed_by="silent", claimed_until=until)
    OutboxMessage.objects.filter(pk=second.pk).update(claimed_by="live", claimed_until=until)
    assert stale_claims_release() == 1
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.claimed_until is not None and first.claimed_until <= timezone.now()
    assert second.claimed_until == until


def test_it_prunes_old_finished_task_rows_and_never_unfinished_ones() -> None:
    old = timezone.now() - timedelta(days=2)
    rows = {}
    for status in ["SUCCESSFUL", "FAILED", "READY", "RUNNING"]:
        result = succeed.enqueue(status)
        DBTaskResult.objects.filter(pk=result.id).update(
            status=status, finished_at=old if status in {"SUCCESSFUL", "FAILED"} else None
        )
        rows[status] = result.id
    recent = succeed.enqueue("recent")
    DBTaskResult.objects.filter(pk=recent.id).update(
        status="SUCCESSFUL", finished_at=timezone.now()
    )
    _heartbeat("long-gone", age=3 * 86400, stopped=True)
    assert finished_tasks_prune(older_than=timedelta(days=1)) == 2
    left = set(DBTaskResult.objects.values_list("status", flat=True))
    assert left == {"READY", "RUNNING", "SUCCESSFUL"}
    assert DBTaskResult.objects.filter(pk=recent.id).exists()
    assert not WorkerHeartbeat.objects.filter(worker_id="long-gone").exists()


def test_the_hourly_prune_runs_as_a_worker_duty(settings: Any) -> None:
    settings.WORKER_TASK_RESULTS_KEEP_SECONDS = 3600
    result = succeed.enqueue("old")
    DBTaskResult.objects.filter(pk=result.id).update(
        status="SUCCESSFUL", finished_at=timezone.now() - timedelta(hours=2)
    )
    Worker().run(once=True)  # the duties from settings, PruneFinished among them
    assert not DBTaskResult.objects.filter(pk=result.id).exists()


def test_a_dead_process_on_this_machine_is_gone_without_waiting_for_the_lease(
    settings: Any,
) -> None:
    settings.WORKER_HEARTBEAT_SECONDS = 1
    settings.WORKER_LEASE_SECONDS = 60
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    alive = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        now = timezone.now()
        for worker_id, pid, age in [
            ("dead", dead.pid, 5),
            ("alive", alive.pid, 5),
            ("fresh", dead.pid, 0),
        ]:
            WorkerHeartbeat.objects.create(
                worker_id=worker_id,
                host=socket.gethostname()[:100],
                pid=pid,
                started_at=now - timedelta(minutes=1),
                last_beat_at=now - timedelta(seconds=age),
            )
        assert gone_workers() == ["dead"]
        assert WorkerHeartbeat.objects.get(worker_id="dead").stopped_at is not None
    finally:
        alive.kill()
        alive.wait()


@task()
def unstorable() -> object:
    return object()  # no JSON for this


def test_a_task_whose_result_cannot_be_stored_is_failed_not_fatal() -> None:
    done.clear()
    bad = unstorable.enqueue()
    succeed.enqueue("still running")
    Worker(duties=[]).run(once=True)
    row = DBTaskResult.objects.get(pk=bad.id)
    assert row.status == "FAILED" and "TypeError" in row.exception_class_path
    assert done == ["still running"]


class UnstartableDuty(Duty):
    name = "unstartable"

    def start(self, worker: Worker) -> None:
        raise ConnectionRefusedError("broker down")

    def run(self, worker: Worker) -> None:
        return None


def test_a_duty_that_cannot_start_leaves_the_rest_of_the_work_running() -> None:
    done.clear()
    succeed.enqueue("despite the broker")
    worker = Worker(duties=[UnstartableDuty()])
    worker.run(once=True)
    assert done == ["despite the broker"]
    assert "broker down" in WorkerHeartbeat.objects.get(worker_id=worker.worker_id).last_error
