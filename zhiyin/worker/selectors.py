"""Reads of `worker`: is background work alive? Shown to admins and to load balancers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import DatabaseError
from django.utils import timezone
from django.utils.translation import gettext as _

from zhiyin.delivery.selectors import outbox_oldest_pending_at
from zhiyin.worker.models import WorkerHeartbeat


@dataclass
class Health:
    """One look at the installation's background work."""

    checked_at: datetime
    database: bool
    workers_alive: int = 0
    last_beat_at: datetime | None = None
    outbox_oldest_pending_at: datetime | None = None
    workers: list[WorkerHeartbeat] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.reasons

    @property
    def last_beat_seconds(self) -> float | None:
        if self.last_beat_at is None:
            return None
        return max(0.0, (self.checked_at - self.last_beat_at).total_seconds())

    @property
    def outbox_oldest_pending_seconds(self) -> float | None:
        if self.outbox_oldest_pending_at is None:
            return None
        return max(0.0, (self.checked_at - self.outbox_oldest_pending_at).total_seconds())


def worker_is_alive(heartbeat: WorkerHeartbeat, now: datetime) -> bool:
    """Whether a worker has beaten within its lease and has not said it stopped."""
    window = settings.WORKER_LEASE_SECONDS
    return heartbeat.stopped_at is None and (now - heartbeat.last_beat_at).total_seconds() < window


def health_check(*, recent: int = 20) -> Health:
    """Database reachable; at least one worker beating within WORKER_LEASE_SECONDS; the age
    of the oldest unsent outbox message. `reasons` says, in the active language, what is
    wrong (empty when all is well)."""
    now = timezone.now()
    try:
        workers = list(WorkerHeartbeat.objects.order_by("-last_beat_at", "pk")[:recent])
        oldest = outbox_oldest_pending_at()
        alive = WorkerHeartbeat.objects.filter(
            stopped_at__isnull=True,
            last_beat_at__gte=now - timedelta(seconds=settings.WORKER_LEASE_SECONDS),
        ).count()
    except DatabaseError:
        return Health(checked_at=now, database=False, reasons=[_("数据库无法连接。")])
    health = Health(
        checked_at=now,
        database=True,
        workers=workers,
        workers_alive=alive,
        last_beat_at=workers[0].last_beat_at if workers else None,
        outbox_oldest_pending_at=oldest,
    )
    if not workers:
        health.reasons.append(_("没有后台任务进程在运行：推送、提醒和超时检查都已停止。"))
    elif not health.workers_alive:
        health.reasons.append(
            _("后台任务进程已 %(seconds)d 秒没有心跳：推送、提醒和超时检查都已停止。")
            % {"seconds": int(health.last_beat_seconds or 0)}
        )
    return health
