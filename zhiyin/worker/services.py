"""Every write the worker machinery makes: heartbeats, releasing what a gone worker held,
pruning, and telling admins when background work has stopped.

Releases are conditional UPDATEs (`… WHERE status = RUNNING AND started_at = <seen>`), so
when several workers notice the same gone worker, exactly one of them re-queues each task.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from secrets import token_hex

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django_tasks_db.models import DBTaskResult

from zhiyin.delivery.services import notify
from zhiyin.worker.models import WorkerAlert, WorkerHeartbeat

logger = logging.getLogger("zhiyin.worker")

READY, RUNNING, SUCCESSFUL, FAILED = "READY", "RUNNING", "SUCCESSFUL", "FAILED"


class WorkerLost(Exception):  # the name a task row shows as its error
    """The worker running this task stopped beating and never finished it."""


def worker_id_new() -> str:
    """`host:pid:random`: unique across machines, readable in logs and claim columns."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{token_hex(4)}"


def lease() -> timedelta:
    """How long a worker's heartbeat or claim holds (`WORKER_LEASE_SECONDS`)."""
    return timedelta(seconds=settings.WORKER_LEASE_SECONDS)


def heartbeat_start(*, worker_id: str) -> WorkerHeartbeat:
    """Record a starting worker (host, pid, times); one row per worker id."""
    now = timezone.now()
    return WorkerHeartbeat.objects.create(
        worker_id=worker_id,
        host=socket.gethostname()[:100],
        pid=os.getpid(),
        started_at=now,
        last_beat_at=now,
    )


@dataclass
class Beat:
    """What a worker reports at each beat (kept in memory between beats)."""

    tasks_done: int = 0
    current_task: str = ""
    last_error: str = ""
    last_error_at: datetime | None = None


def heartbeat_beat(*, worker_id: str, beat: Beat) -> None:
    """Refresh a worker's heartbeat and progress; recreates the row if it was pruned meanwhile."""
    fields = {
        "last_beat_at": timezone.now(),
        "tasks_done": beat.tasks_done,
        "current_task": beat.current_task[:200],
        "last_error": beat.last_error[:500],
        "last_error_at": beat.last_error_at,
    }
    if not WorkerHeartbeat.objects.filter(worker_id=worker_id).update(**fields):
        # Pruned while we were cut off from the database for days: start a new row.
        heartbeat_start(worker_id=worker_id)
        WorkerHeartbeat.objects.filter(worker_id=worker_id).update(**fields)


def heartbeat_stop(*, worker_id: str) -> None:
    """Mark the worker stopped, so it is no longer counted alive before its lease ends."""
    WorkerHeartbeat.objects.filter(worker_id=worker_id).update(stopped_at=timezone.now())


def _process_gone(host: str, pid: int) -> bool:
    """True only when `pid` on this very machine no longer exists."""
    if host != socket.gethostname()[:100] or pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def gone_workers(*, now: datetime | None = None) -> list[str]:
    """Ids of workers that will not finish what they hold: stopped, silent past the lease,
    or (on this machine) whose process no longer exists and that missed two beats, found
    without waiting out the lease."""
    now = now or timezone.now()
    stale = Q(stopped_at__isnull=False) | Q(last_beat_at__lt=now - lease())
    gone = set(WorkerHeartbeat.objects.filter(stale).values_list("worker_id", flat=True))
    # Two missed beats as well: a container elsewhere with the same host name (another pid
    # namespace) keeps beating, so it is never taken for a dead process here.
    missed = timedelta(seconds=2 * settings.WORKER_HEARTBEAT_SECONDS)
    local = WorkerHeartbeat.objects.filter(
        stopped_at__isnull=True,
        last_beat_at__gte=now - lease(),
        last_beat_at__lt=now - missed,
        host=socket.gethostname()[:100],
    ).values_list("worker_id", "host", "pid")
    for worker_id, host, pid in local:
        if _process_gone(host, pid):
            WorkerHeartbeat.objects.filter(worker_id=worker_id, stopped_at__isnull=True).update(
                stopped_at=now, last_error="process no longer exists (killed or crashed)"
            )
            gone.add(worker_id)
    return sorted(gone)


def _claim_releasers() -> Iterable[Callable[..., int]]:
    return [import_string(path) for path in settings.WORKER_CLAIM_RELEASERS]


def stale_claims_release(*, now: datetime | None = None) -> int:
    """Put back what workers that are gone were holding; returns how many rows moved.

    A RUNNING task row is re-queued once per lost worker, up to WORKER_TASK_MAX_ATTEMPTS
    runs in all; after that it is marked FAILED with `WorkerLost`, so a task that kills its
    worker every time cannot take every worker down in turn and nothing stays RUNNING.
    Other apps' claims (the outbox) are released by the functions in
    WORKER_CLAIM_RELEASERS, each called with the gone workers' ids.
    """
    now = now or timezone.now()
    gone = set(gone_workers(now=now))
    live = set(
        WorkerHeartbeat.objects.filter(
            stopped_at__isnull=True, last_beat_at__gte=now - lease()
        ).values_list("worker_id", flat=True)
    )
    moved = 0
    running = DBTaskResult.objects.filter(status=RUNNING).values_list(
        "pk", "worker_ids", "started_at", "task_path"
    )
    for pk, worker_ids, started_at, task_path in running:
        holder = worker_ids[-1] if worker_ids else ""
        if holder in live:
            continue
        unknown_and_old = holder not in gone and (started_at is None or started_at < now - lease())
        if holder not in gone and not unknown_and_old:
            continue
        with transaction.atomic():
            row = DBTaskResult.objects.filter(pk=pk, status=RUNNING, started_at=started_at)
            if len(worker_ids) >= settings.WORKER_TASK_MAX_ATTEMPTS:
                done = row.update(
                    status=FAILED,
                    finished_at=now,
                    exception_class_path=f"{WorkerLost.__module__}.{WorkerLost.__qualname__}",
                    traceback=(
                        f"WorkerLost: worker {holder or '?'} stopped beating while running "
                        f"{task_path}; {len(worker_ids)} runs were lost, not retrying again.\n"
                    ),
                )
            else:
                done = row.update(status=READY)
            if done:
                logger.warning(
                    "task %s (%s) held by gone worker %s: %s",
                    pk,
                    task_path,
                    holder or "?",
                    "re-queued"
                    if len(worker_ids) < settings.WORKER_TASK_MAX_ATTEMPTS
                    else "failed",
                )
            moved += done
    if gone:
        for release in _claim_releasers():
            moved += release(worker_ids=sorted(gone), now=now)
    return moved


def finished_tasks_prune(*, older_than: timedelta) -> int:
    """Delete finished task rows (and stopped worker rows) older than `older_than`.
    READY and RUNNING rows are never touched: they are work not yet done."""
    cutoff = timezone.now() - older_than
    deleted, _ = DBTaskResult.objects.filter(
        status__in=[SUCCESSFUL, FAILED], finished_at__lt=cutoff
    ).delete()
    WorkerHeartbeat.objects.filter(
        Q(stopped_at__lt=cutoff) | Q(stopped_at__isnull=True, last_beat_at__lt=cutoff)
    ).delete()
    return deleted


_NEVER = datetime(2000, 1, 1, tzinfo=UTC)


def worker_silence_check(*, last_beat_at: datetime | None, workers_alive: int) -> bool:
    """Tell the admins (WORKER_ALERT_RECIPIENTS) once per silence when no worker has beaten
    for WORKER_ALERT_SECONDS, and once more when one beats again. Called by whoever looks
    (/healthz, the admin page, the supervisor's probe): when every worker is down, nothing
    else is left to notice. Returns True when it raised an alert now."""
    now = timezone.now()
    if workers_alive:
        _silence_resolve(now)
        return False
    since = last_beat_at or _NEVER
    if last_beat_at is not None and (now - last_beat_at).total_seconds() < (
        settings.WORKER_ALERT_SECONDS
    ):
        return False
    try:
        with transaction.atomic():
            WorkerAlert.objects.create(beat_before=since)
            text = (
                _(
                    "后台任务进程自 %(since)s 起没有心跳：推送、提醒和超时检查都已停止，请检查服务器。"
                )
                % {"since": timezone.localtime(last_beat_at).strftime("%Y-%m-%d %H:%M")}
                if last_beat_at
                else _("没有后台任务进程在运行：推送、提醒和超时检查都已停止，请启动 run_worker。")
            )
            for person in import_string(settings.WORKER_ALERT_RECIPIENTS)():
                notify(person=person, text=text, link="/admin/", event="worker.silent")
    except IntegrityError:
        return False  # another process raised this one
    logger.error("no worker has beaten since %s: admins notified", last_beat_at or "ever")
    return True


def _silence_resolve(now: datetime) -> None:
    if not WorkerAlert.objects.filter(resolved_at__isnull=True).exists():
        return  # the usual case, read-only: a probe every few seconds takes no write lock
    with transaction.atomic():
        open_alerts = WorkerAlert.objects.select_for_update().filter(resolved_at__isnull=True)
        if not open_alerts.exists():
            return
        open_alerts.update(resolved_at=now)
        for person in import_string(settings.WORKER_ALERT_RECIPIENTS)():
            notify(
                person=person,
                text=_("后台任务进程已恢复运行，积压的推送将陆续发出。"),
                link="/admin/",
                event="worker.back",
            )
