"""`/healthz`: for a load balancer or a monitor, no login."""

from __future__ import annotations

import contextlib

from django.db import DatabaseError
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from zhiyin.worker.selectors import health_check
from zhiyin.worker.services import worker_silence_check


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database answers and a worker beat within WORKER_LEASE_SECONDS; 503
    with the reasons otherwise. Also raises the admins' alert when workers are silent."""
    health = health_check(recent=1)
    if health.database:
        with contextlib.suppress(DatabaseError):  # a busy database: no 500 for a probe
            worker_silence_check(
                last_beat_at=health.last_beat_at, workers_alive=health.workers_alive
            )
    body = {
        "status": "ok" if health.ok else "unavailable",
        "database": health.database,
        "workers_alive": health.workers_alive,
        "last_beat_seconds": _round(health.last_beat_seconds),
        "outbox_oldest_pending_seconds": _round(health.outbox_oldest_pending_seconds),
        "reasons": health.reasons,
    }
    return JsonResponse(
        body, status=200 if health.ok else 503, json_dumps_params={"ensure_ascii": False}
    )


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)
