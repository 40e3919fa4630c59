"""`{% worker_health_panel %}`: background-work health on the admin home page."""

from __future__ import annotations

import contextlib
from typing import Any

from django import template
from django.db import DatabaseError

from zhiyin.worker.selectors import health_check, worker_is_alive
from zhiyin.worker.services import worker_silence_check

register = template.Library()


@register.inclusion_tag("worker/_health_panel.html")
def worker_health_panel() -> dict[str, Any]:
    health = health_check()
    if health.database:
        with contextlib.suppress(DatabaseError):  # the page still shows what it read
            worker_silence_check(
                last_beat_at=health.last_beat_at, workers_alive=health.workers_alive
            )
    rows = [(w, worker_is_alive(w, health.checked_at)) for w in health.workers[:10]]
    return {"health": health, "rows": rows}
