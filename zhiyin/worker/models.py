"""What the background workers say about themselves (后台任务进程).

`worker` is infrastructure like `delivery` and `audit`: it knows no domain app. Each
running `manage.py run_worker` owns one `WorkerHeartbeat` row and refreshes it every
WORKER_HEARTBEAT_SECONDS from a thread of its own, so a worker busy with a long task still
counts as alive. A row whose `last_beat_at` is older than WORKER_LEASE_SECONDS (and not
`stopped_at`) is a worker that is gone: any other worker releases what it held.

    started ──beat, beat, …──▶ stopped_at set (clean exit: Ctrl-C, SIGTERM)
       │
       └── no beat for WORKER_LEASE_SECONDS ──▶ gone: its task rows and claims are released
"""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.utils.translation import gettext_lazy as _


class WorkerHeartbeat(models.Model):
    """One worker process, on one machine, since it started."""

    worker_id = models.CharField(_("进程标识"), max_length=64, unique=True)
    host = models.CharField(_("主机"), max_length=100)
    pid = models.PositiveIntegerField(_("进程号"))
    started_at = models.DateTimeField(_("启动时间"))
    last_beat_at = models.DateTimeField(_("最近心跳"))
    stopped_at = models.DateTimeField(_("停止时间"), null=True, blank=True)
    tasks_done = models.PositiveIntegerField(_("已完成任务数"), default=0)
    current_task = models.CharField(_("正在执行"), max_length=200, blank=True)
    last_error = models.CharField(_("最近错误"), max_length=500, blank=True)
    last_error_at = models.DateTimeField(_("最近错误时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("后台任务进程")
        verbose_name_plural = _("后台任务进程")
        ordering: ClassVar = ["-last_beat_at", "pk"]
        indexes: ClassVar = [
            models.Index(fields=["last_beat_at"], name="worker_heartbeat_last_beat"),
        ]

    def __str__(self) -> str:
        return self.worker_id


class WorkerAlert(models.Model):
    """One stretch of time with no live worker that admins were told about.

    Written by whoever notices first (a `/healthz` probe, the admin page, the supervisor's
    probe); `beat_before` is the last heartbeat seen when it was raised, unique, so two web
    processes noticing the same silence raise it once. `resolved_at` is set when a worker
    beats again."""

    beat_before = models.DateTimeField(_("最后心跳"), unique=True)
    raised_at = models.DateTimeField(_("发出时间"), auto_now_add=True)
    resolved_at = models.DateTimeField(_("恢复时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("后台任务告警")
        verbose_name_plural = _("后台任务告警")
        ordering: ClassVar = ["-raised_at", "pk"]

    def __str__(self) -> str:
        return f"{self.raised_at:%Y-%m-%d %H:%M}"
