"""The worker loop: run queued tasks, do the periodic duties, keep beating, never die of a
busy database.

One loop per `manage.py run_worker` process. Each turn it runs the duties that are due and
then at most one queued task. A database error that passes by waiting (see `dberrors`)
makes the loop close its connection and wait a growing delay (1 s, 2 s, 4 s … up to
WORKER_BACKOFF_MAX_SECONDS) before the next turn; a task's own exception is recorded on its
task row and the loop goes on; only a configuration error ends it.

Other apps extend the worker through settings, never by editing this file:
- PERIODIC_TASKS: (dotted task path, seconds) enqueued at that interval;
- WORKER_DUTIES: dotted paths of factories returning a `Duty` (or None when the duty is
  switched off, e.g. an MQTT consumer without MQTT_URL). A duty's `start` may open its own
  connections or threads; `run` is called every `every` seconds from the loop; `stop` on
  the way out. A duty's exception is logged and recorded, and never stops the loop.
"""

from __future__ import annotations

import abc
import contextlib
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import close_old_connections, connection
from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction

from zhiyin.worker.dberrors import WorkerConfigurationError, configuration_problem, is_transient
from zhiyin.worker.services import (
    Beat,
    heartbeat_beat,
    heartbeat_start,
    heartbeat_stop,
    worker_id_new,
)

logger = logging.getLogger("zhiyin.worker")


class Duty(abc.ABC):
    """Something a worker does on a schedule besides running queued tasks."""

    name = "duty"
    every: float = 60.0

    def start(self, worker: Worker) -> None:
        """Called once before the loop starts (open connections, start threads)."""
        return None

    @abc.abstractmethod
    def run(self, worker: Worker) -> None:
        """One round of the duty; called every `every` seconds."""

    def stop(self) -> None:
        """Called once when the worker stops."""
        return None


class Backoff:
    """A growing wait after each failure in a row: 1, 2, 4 … capped; reset on success."""

    def __init__(self, *, first: float = 1.0, cap: float = 60.0) -> None:
        self.first, self.cap, self.failures = first, cap, 0

    def next(self) -> float:
        delay = float(min(self.cap, self.first * 2.0**self.failures))
        self.failures += 1
        return delay

    def reset(self) -> None:
        self.failures = 0


def connections_reset() -> None:
    """Drop this thread's connection and, with a PostgreSQL pool, every idle connection the
    pool holds that is dead: after a database restart they all are, and the pool would
    otherwise find them one by one, waiting 1 s, 2 s, 4 s … between them."""
    with contextlib.suppress(Exception):  # a dead connection may refuse to close
        connection.close()
    pool = getattr(connection, "pool", None)
    if pool is not None:
        with contextlib.suppress(Exception):
            pool.check()


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}".strip()[:500]


class Worker:
    """One worker process. `stopping` is set by a signal or by a configuration error."""

    def __init__(self, *, interval: float = 1.0, duties: list[Duty] | None = None) -> None:
        self.worker_id = worker_id_new()
        self.interval = interval
        self.duties = duties if duties is not None else duties_from_settings()
        self.stopping = threading.Event()
        self.beat = Beat()
        self._beat_lock = threading.Lock()
        self._next_run: dict[int, float] = {}
        self.backoff = Backoff(cap=float(settings.WORKER_BACKOFF_MAX_SECONDS))
        self._heart: threading.Thread | None = None

    # --- what the heartbeat reports ------------------------------------------------------
    def note_error(self, text: str) -> None:
        with self._beat_lock:
            self.beat.last_error, self.beat.last_error_at = text[:500], timezone.now()

    def _snapshot(self) -> Beat:
        with self._beat_lock:
            return Beat(**vars(self.beat))

    def _heartbeat_loop(self) -> None:
        every = float(settings.WORKER_HEARTBEAT_SECONDS)
        failing = False
        while not self.stopping.wait(every):
            try:
                heartbeat_beat(worker_id=self.worker_id, beat=self._snapshot())
                if failing:
                    logger.info("worker %s: heartbeat written again", self.worker_id)
                failing = False
            except Exception as exc:
                if not failing:
                    logger.warning("worker %s: heartbeat not written: %s", self.worker_id, exc)
                failing = True
            finally:
                with contextlib.suppress(Exception):  # a dead connection may refuse to close
                    connection.close()
                if failing:
                    connections_reset()

    # --- the loop ------------------------------------------------------------------------
    def _retrying(self, what: str, action: Callable[[], Any]) -> Any:
        """Run `action` until it gets past transient database errors (or we are stopping)."""
        backoff = Backoff(cap=float(settings.WORKER_BACKOFF_MAX_SECONDS))
        while True:
            try:
                return action()
            except Exception as exc:
                self._raise_if_configuration(exc)
                if not is_transient(exc) or self.stopping.is_set():
                    raise
                self._wait_out(what, exc, backoff)

    def _raise_if_configuration(self, exc: BaseException) -> None:
        problem = configuration_problem(exc)
        if problem:
            raise WorkerConfigurationError(f"{problem} ({_describe(exc)})") from exc

    def _wait_out(self, what: str, exc: BaseException, backoff: Backoff) -> None:
        delay = backoff.next()
        logger.warning(
            "worker %s: %s while %s (%s); retrying in %.0f s",
            self.worker_id,
            "database unavailable" if is_transient(exc) else "error",
            what,
            _describe(exc),
            delay,
        )
        self.note_error(_describe(exc))
        connections_reset()
        self.stopping.wait(delay)

    def start(self) -> None:
        self._retrying("registering", lambda: heartbeat_start(worker_id=self.worker_id))
        logger.info("worker %s started", self.worker_id)
        self._heart = threading.Thread(target=self._heartbeat_loop, daemon=True, name="heartbeat")
        self._heart.start()
        for duty in self.duties:
            try:
                duty.start(self)
            except Exception as exc:  # e.g. a broker that is down: the rest of the work goes on
                logger.exception("worker %s: duty %s did not start", self.worker_id, duty.name)
                self.note_error(f"{duty.name}: {_describe(exc)}")

    def stop(self) -> None:
        self.stopping.set()
        for duty in self.duties:
            try:
                duty.stop()
            except Exception:
                logger.exception(
                    "worker %s: duty %s did not stop cleanly", self.worker_id, duty.name
                )
        try:
            heartbeat_beat(worker_id=self.worker_id, beat=self._snapshot())
            heartbeat_stop(worker_id=self.worker_id)
        except Exception as exc:
            logger.warning("worker %s: could not record the stop: %s", self.worker_id, exc)
        logger.info("worker %s stopped", self.worker_id)

    def run(self, *, once: bool = False) -> None:
        """Turn until `stopping` is set (or, with `once`, until the queue is empty)."""
        self.start()
        first = True
        try:
            while not self.stopping.is_set():
                try:
                    close_old_connections()
                    self.run_duties(force=once and first)
                    first = False
                    ran = self.run_one_task()
                    self.backoff.reset()
                except WorkerConfigurationError:
                    raise
                except Exception as exc:
                    self._raise_if_configuration(exc)
                    if not is_transient(exc):
                        # A bug in the machinery, not in a task: say so loudly, go on.
                        logger.exception("worker %s: unexpected error", self.worker_id)
                    self._wait_out("taking work", exc, self.backoff)
                    continue
                if once and not ran:
                    return
                if not ran:
                    self.stopping.wait(self.interval)
        finally:
            self.stop()

    def run_duties(self, *, force: bool = False) -> None:
        now = time.monotonic()
        for index, duty in enumerate(self.duties):
            if not force and now < self._next_run.get(index, 0.0):
                continue
            try:
                duty.run(self)
            except Exception as exc:
                self._raise_if_configuration(exc)
                if is_transient(exc):
                    raise  # the loop backs off; the duty runs again on the next turn
                logger.exception("worker %s: duty %s failed", self.worker_id, duty.name)
                self.note_error(f"{duty.name}: {_describe(exc)}")
            self._next_run[index] = now + duty.every

    def run_one_task(self) -> bool:
        """Claim and run one ready task; False when none is ready."""
        row: DBTaskResult[Any, Any] | None = None
        with exclusive_transaction(DBTaskResult.objects.db):
            row = DBTaskResult.objects.ready().get_locked()
            if row is not None:
                row.claim(self.worker_id)
        if row is None:
            return False
        with self._beat_lock:
            self.beat.current_task = row.task_path
        outcome: tuple[bool, Any] = self._execute(row)
        self._retrying("recording a task result", lambda: self._record(row, outcome))
        with self._beat_lock:
            self.beat.current_task = ""
            self.beat.tasks_done += 1
        return True

    def _execute(self, row: DBTaskResult[Any, Any]) -> tuple[bool, Any]:
        """Run the task; (True, return value) or (False, the exception). A task's failure is
        its own: it is recorded on its row, and its retry policy (the next period, the
        outbox schedule) takes it from there."""
        try:
            task = row.task
            result = row.task_result
            if task.takes_context:
                from django_tasks import TaskContext

                value = task.call(TaskContext(task_result=result), *result.args, **result.kwargs)
            else:
                value = task.call(*result.args, **result.kwargs)
            return True, value
        except Exception as exc:
            logger.warning("task %s (%s) failed: %s", row.pk, row.task_path, _describe(exc))
            self.note_error(f"{row.task_path}: {_describe(exc)}")
            return False, exc

    def _record(self, row: DBTaskResult[Any, Any], outcome: tuple[bool, Any]) -> None:
        ok, value = outcome
        if ok:
            try:
                row.set_successful(value)
                return
            except Exception as exc:
                if is_transient(exc) or configuration_problem(exc):
                    raise
                value = exc  # e.g. a return value JSON cannot hold: the task failed
        row.set_failed(value)


def duties_from_settings() -> list[Duty]:
    duties: list[Duty] = []
    for path in settings.WORKER_DUTIES:
        duty = import_string(path)()
        if duty is not None:
            duties.append(duty)
    return duties
