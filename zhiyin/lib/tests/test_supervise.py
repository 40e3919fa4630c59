"""The `make run` supervisor with real child processes."""

from __future__ import annotations

import sys
import time

from zhiyin.lib.supervise import Program, Supervisor


def _wait_exit(program: Program) -> None:
    assert program.process is not None
    program.process.wait(timeout=10)


def test_it_restarts_a_program_that_exits_with_a_growing_delay() -> None:
    crash = Program("crash", [sys.executable, "-c", "raise SystemExit(3)"])
    supervisor = Supervisor([crash], max_delay=4, stable_after=60)
    supervisor.start(crash)
    delays = []
    for _ in range(4):
        _wait_exit(crash)
        now = time.monotonic()
        supervisor.check(crash, now)
        assert crash.restart_at is not None
        delays.append(round(crash.restart_at - now))
        supervisor.check(crash, crash.restart_at)  # the delay has passed: started again
        assert crash.restart_at is None
    assert delays == [1, 2, 4, 4]
    assert crash.restarts == 4
    _wait_exit(crash)


def test_a_program_that_stayed_up_starts_over_at_the_shortest_delay() -> None:
    program = Program("web", [sys.executable, "-c", "pass"])
    supervisor = Supervisor([program], stable_after=0.0)
    program.failures = 5
    supervisor.start(program)
    _wait_exit(program)
    now = time.monotonic()
    supervisor.check(program, now)
    assert program.restart_at is not None and round(program.restart_at - now) == 1


def test_stopping_ends_every_program_and_kills_one_that_ignores_sigterm() -> None:
    stubborn = Program(
        "stubborn",
        [
            sys.executable,
            "-c",
            "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
            "print('ready', flush=True); time.sleep(60)",
        ],
    )
    polite = Program("polite", [sys.executable, "-c", "import time; time.sleep(60)"])
    supervisor = Supervisor([stubborn, polite], grace_seconds=1.0)
    supervisor.start(stubborn)
    supervisor.start(polite)
    time.sleep(1.0)  # let the stubborn one install its handler
    started = time.monotonic()
    supervisor.stop_all()
    assert stubborn.process is not None and stubborn.process.returncode == -9
    assert polite.process is not None and polite.process.returncode == -15
    assert time.monotonic() - started < 10
