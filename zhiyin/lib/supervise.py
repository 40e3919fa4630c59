"""A small process supervisor for `make run`: keep the web server and the workers up.

A program that exits while we are not stopping is started again after a growing delay
(1 s, 2 s, 4 s … 60 s; back to 1 s once it has stayed up a minute), with a log line each
time. Ctrl-C or SIGTERM stops every program (SIGTERM, then SIGKILL after a grace period)
and ends the supervisor. Children run in their own process groups, so a Ctrl-C in the
terminal reaches only the supervisor, which stops them in order.

Optionally the supervisor probes a health URL (the web server's /healthz) and logs when
it answers anything but 200, so a stopped worker shows up in the same terminal.
No Django here: production uses systemd (docs/operator.md) and this is its small sibling.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field
from types import FrameType

logger = logging.getLogger("zhiyin.supervise")


@dataclass
class Program:
    name: str
    argv: list[str]
    process: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    restart_at: float | None = None
    failures: int = 0
    restarts: int = 0


@dataclass
class Supervisor:
    programs: list[Program]
    health_url: str = ""
    health_every: float = 30.0
    grace_seconds: float = 20.0
    max_delay: float = 60.0
    stable_after: float = 60.0
    stopping: threading.Event = field(default_factory=threading.Event)

    def start(self, program: Program) -> None:
        program.process = subprocess.Popen(program.argv, start_new_session=True)  # noqa: S603
        program.started_at = time.monotonic()
        program.restart_at = None
        logger.info("supervisor: %s started (pid %d)", program.name, program.process.pid)

    def delay_for(self, program: Program) -> float:
        return min(self.max_delay, 2.0**program.failures)

    def check(self, program: Program, now: float) -> None:
        if program.restart_at is not None:
            if now >= program.restart_at:
                program.restarts += 1
                self.start(program)
            return
        assert program.process is not None
        code = program.process.poll()
        if code is None:
            return
        if now - program.started_at >= self.stable_after:
            program.failures = 0
        delay = self.delay_for(program)
        program.failures += 1
        program.restart_at = now + delay
        logger.warning(
            "supervisor: %s (pid %d) exited with %s; restarting in %.0f s",
            program.name,
            program.process.pid,
            _exit_text(code),
            delay,
        )

    def probe(self) -> None:
        if not self.health_url:
            return
        try:
            with urllib.request.urlopen(self.health_url, timeout=10) as answer:  # noqa: S310  # our own loopback URL
                answer.read()
        except urllib.error.HTTPError as exc:
            try:
                reasons = json.loads(exc.read() or b"{}").get("reasons") or []
            except ValueError:
                reasons = []
            logger.warning(
                "supervisor: %s answered %d: %s", self.health_url, exc.code, "; ".join(reasons)
            )
        except OSError as exc:
            logger.warning("supervisor: %s did not answer: %s", self.health_url, exc)

    def stop_all(self) -> None:
        for program in self.programs:
            if program.process is not None and program.process.poll() is None:
                _signal(program.process, signal.SIGTERM)
        deadline = time.monotonic() + self.grace_seconds
        for program in self.programs:
            process = program.process
            if process is None:
                continue
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                logger.warning("supervisor: %s did not stop in time; killing it", program.name)
                _signal(process, signal.SIGKILL)
                process.wait()
        logger.info("supervisor: all stopped")

    def run(self) -> int:
        def on_signal(signum: int, frame: FrameType | None) -> None:
            self.stopping.set()

        signal.signal(signal.SIGINT, on_signal)
        signal.signal(signal.SIGTERM, on_signal)
        for program in self.programs:
            self.start(program)
        next_probe = time.monotonic() + min(self.health_every, 10.0)
        try:
            while not self.stopping.wait(0.2):
                now = time.monotonic()
                for program in self.programs:
                    self.check(program, now)
                if self.health_url and now >= next_probe:
                    threading.Thread(target=self.probe, daemon=True).start()
                    next_probe = now + self.health_every
        finally:
            self.stop_all()
        return 0


def _signal(process: subprocess.Popen[bytes], signum: int) -> None:
    """Signal the child's whole process group (gunicorn's and its workers)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signum)


def _exit_text(code: int) -> str:
    if code < 0:
        try:
            return f"signal {signal.Signals(-code).name}"
        except ValueError:
            return f"signal {-code}"
    return f"code {code}"


def supervise(programs: Sequence[tuple[str, list[str]]], *, health_url: str = "") -> int:
    return Supervisor([Program(name, argv) for name, argv in programs], health_url=health_url).run()
