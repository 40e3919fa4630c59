"""The worker's own duties, listed in settings.WORKER_DUTIES (see `loop` for the protocol)."""

from __future__ import annotations

import logging
import time
from datetime import timedelta

from django.conf import settings
from django.utils.module_loading import import_string

from zhiyin.core.pageimages import page_images_prune
from zhiyin.worker.loop import Duty, Worker
from zhiyin.worker.services import finished_tasks_prune, stale_claims_release

logger = logging.getLogger("zhiyin.worker")


class PeriodicTasks(Duty):
    """Enqueue each task of settings.PERIODIC_TASKS at its interval. Every worker does
    this; each periodic task claims its own work, so N workers only mean N wake-ups."""

    name = "periodic_tasks"
    every = 1.0

    def __init__(self) -> None:
        self.schedule: list[tuple[str, int]] = list(settings.PERIODIC_TASKS)
        self.next_run: dict[str, float] = {}

    def run(self, worker: Worker) -> None:
        now = time.monotonic()
        for path, every in self.schedule:
            if now >= self.next_run.get(path, 0.0):
                import_string(path).enqueue()
                self.next_run[path] = now + every


class StaleClaims(Duty):
    """Release task rows and claims held by workers that are gone (see services)."""

    name = "stale_claims"

    def __init__(self) -> None:
        self.every = float(settings.WORKER_HEARTBEAT_SECONDS)

    def run(self, worker: Worker) -> None:
        moved = stale_claims_release()
        if moved:
            logger.info(
                "worker %s released %d row(s) held by gone workers", worker.worker_id, moved
            )


class PruneFinished(Duty):
    """Hourly: finished task rows older than WORKER_TASK_RESULTS_KEEP_SECONDS go (periodic
    tasks leave one row per run, thousands a day)."""

    name = "prune_finished"
    every = 3600.0

    def run(self, worker: Worker) -> None:
        keep = timedelta(seconds=settings.WORKER_TASK_RESULTS_KEEP_SECONDS)
        deleted = finished_tasks_prune(older_than=keep)
        if deleted:
            logger.info("worker %s pruned %d finished task row(s)", worker.worker_id, deleted)


class PrunePageImages(Duty):
    """Hourly: the page-image cache is kept within PAGE_IMAGE_CACHE_MAX_AGE_DAYS and
    PAGE_IMAGE_CACHE_MAX_MB (see `zhiyin.core.pageimages`). Each worker does it; the
    second finds nothing left to remove."""

    name = "prune_page_images"
    every = 3600.0

    def run(self, worker: Worker) -> None:
        result = page_images_prune(
            max_age_seconds=settings.PAGE_IMAGE_CACHE_MAX_AGE_DAYS * 86400,
            max_bytes=settings.PAGE_IMAGE_CACHE_MAX_MB * 1024 * 1024,
        )
        if result.documents:
            logger.info(
                "worker %s pruned the page images of %d document(s), %d bytes (%d kept)",
                worker.worker_id,
                result.documents,
                result.freed_bytes,
                result.kept_bytes,
            )


def periodic_tasks() -> Duty:
    return PeriodicTasks()


def stale_claims() -> Duty:
    return StaleClaims()


def prune_finished() -> Duty:
    return PruneFinished()


def prune_page_images() -> Duty:
    return PrunePageImages()
