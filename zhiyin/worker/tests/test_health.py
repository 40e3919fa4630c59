"""/healthz for a load balancer and the admin home page, in Chinese; the admins' alert."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from conftest import World, client_for
from zhiyin.delivery.models import Notification
from zhiyin.worker.models import WorkerAlert, WorkerHeartbeat

pytestmark = pytest.mark.django_db


def _worker(*, age: float, worker_id: str = "web1:100:abcd", error: str = "") -> WorkerHeartbeat:
    now = timezone.now()
    return WorkerHeartbeat.objects.create(
        worker_id=worker_id,
        host="web1",
        pid=100,
        started_at=now - timedelta(hours=1),
        last_beat_at=now - timedelta(seconds=age),
        tasks_done=42,
        last_error=error,
    )


def test_healthz_is_200_while_a_worker_beats(world: World) -> None:
    _worker(age=5)
    answer = client_for(None).get("/healthz")
    assert answer.status_code == 200
    body = answer.json()
    assert body["status"] == "ok"
    assert body["database"] is True
    assert body["workers_alive"] == 1
    assert body["reasons"] == []
    assert body["outbox_oldest_pending_seconds"] is None


def test_healthz_is_503_with_the_reason_when_no_worker_beats(world: World) -> None:
    _worker(age=600)
    answer = client_for(None).get("/healthz")
    assert answer.status_code == 503
    body = answer.json()
    assert body["status"] == "unavailable"
    assert body["workers_alive"] == 0
    assert "没有心跳" in body["reasons"][0]


def test_healthz_is_503_when_no_worker_ever_ran(world: World) -> None:
    answer = client_for(None).get("/healthz")
    assert answer.status_code == 503
    assert "没有后台任务进程在运行" in answer.json()["reasons"][0]


def test_admin_home_shows_background_work_in_chinese(world: World) -> None:
    _worker(age=3, error="OperationalError: database is locked")
    page = client_for(world.district_admin).get("/admin/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "后台任务运行状况" in html
    assert "正常：1 个后台任务进程在运行。" in html
    assert "web1 · 100" in html and "运行中" in html
    assert "database is locked" in html


def test_admin_home_says_when_background_work_has_stopped(world: World) -> None:
    _worker(age=900)
    html = client_for(world.district_admin).get("/admin/").content.decode()
    assert re.search(r"后台任务进程已 9\d\d 秒没有心跳", html)
    assert "无心跳" in html


def test_only_admins_see_the_admin_home(world: World) -> None:
    _worker(age=3)
    assert client_for(world.sn_clerk).get("/admin/").status_code in {302, 403}
    assert client_for(None).get("/admin/").status_code == 302


def test_admins_are_told_once_per_silence_and_when_work_resumes(
    world: World, settings: Any
) -> None:
    settings.WORKER_ALERT_SECONDS = 300
    beat = _worker(age=120)
    client = client_for(None)
    client.get("/healthz")
    assert not Notification.objects.filter(event="worker.silent").exists()  # not long enough
    WorkerHeartbeat.objects.filter(pk=beat.pk).update(
        last_beat_at=timezone.now() - timedelta(seconds=400)
    )
    client.get("/healthz")
    client.get("/healthz")
    alerts = Notification.objects.filter(event="worker.silent")
    assert list(alerts.values_list("person", flat=True)) == [world.district_admin.pk]
    assert "没有心跳" in alerts.get().text
    assert WorkerAlert.objects.count() == 1
    WorkerHeartbeat.objects.filter(pk=beat.pk).update(last_beat_at=timezone.now())
    client.get("/healthz")
    client.get("/healthz")
    assert Notification.objects.filter(event="worker.back").count() == 1
    assert WorkerAlert.objects.get().resolved_at is not None


def test_healthz_and_the_admin_panel_speak_english_too(world: World) -> None:
    _worker(age=600)
    client = client_for(world.district_admin)
    body = client.get("/healthz", HTTP_ACCEPT_LANGUAGE="en").json()
    assert "No background worker has sent a heartbeat" in body["reasons"][0]
    html = client.get("/admin/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Background work" in html and "No heartbeat" in html
