"""The read-replica router against a real streaming replica (PostgreSQL only).

The test starts its own pair of PostgreSQL servers: a primary in a temporary directory
and a standby made from it with `pg_basebackup -R`, streaming its WAL. It does not take
the base backup of the machine's shared cluster: that would copy every database on it,
and the cluster's pg_hba.conf need not allow replication connections (a stock Debian
one does not) — the test changes no configuration of the machine.

On SQLite the router's rules are checked without a replica; the streaming test is
skipped there and runs in the PostgreSQL leg of CI.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, router, transaction
from django.test.utils import CaptureQueriesContext

from zhiyin.core.replica import ReplicaRouter, replica_reads
from zhiyin.orgs.models import District

PRIMARY = "replica_test_primary"
REPLICA = "replica_test_standby"
ON_POSTGRESQL = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"


def test_without_a_replica_every_read_goes_to_the_primary() -> None:
    routing = ReplicaRouter(replica="no_such_alias")
    with replica_reads():
        assert routing.db_for_read(District) == DEFAULT_DB_ALIAS
    assert routing.db_for_write(District) == DEFAULT_DB_ALIAS


def test_migrations_run_on_the_primary_only() -> None:
    routing = ReplicaRouter()
    assert routing.allow_migrate(DEFAULT_DB_ALIAS, "orgs")
    assert not routing.allow_migrate("replica", "orgs")


# --- a real streaming replica ----------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def streaming_pair() -> Iterator[tuple[int, int]]:
    """(primary port, standby port) of two fresh servers, the standby streaming."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    assert found, "PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin"
    bindir = Path(found[-1]).parent
    base = Path(tempfile.mkdtemp(prefix="zhiyin-replica-"))
    # PostgreSQL refuses to run as root: run its programs as the postgres account then.
    as_root = os.geteuid() == 0
    if as_root:
        shutil.chown(base, user="postgres", group="postgres")

    def run(*command: str) -> None:
        argv = [str(bindir / command[0]), *command[1:]]
        if as_root:
            argv = ["runuser", "-u", "postgres", "--", *argv]
        done = subprocess.run(argv, capture_output=True, text=True, timeout=180, check=False)
        assert done.returncode == 0, f"{command[0]} failed: {done.stdout}\n{done.stderr}"

    primary_port, standby_port = _free_port(), _free_port()
    primary, standby = base / "primary", base / "standby"
    server_options = f"-k {base} -c listen_addresses=127.0.0.1 -c fsync=off -c shared_buffers=16MB"
    started: list[Path] = []
    try:
        # initdb's pg_hba.conf lets local replication connections in with -A trust.
        run("initdb", "-D", str(primary), "-U", "postgres", "-A", "trust", "-E", "UTF8",
            "--locale=C.UTF-8", "--no-sync")  # fmt: skip
        run("pg_ctl", "-D", str(primary), "-l", str(base / "primary.log"), "-w", "-o",
            f"-p {primary_port} {server_options} -c wal_level=replica -c max_wal_senders=4",
            "start")  # fmt: skip
        started.append(primary)
        run("pg_basebackup", "-h", "127.0.0.1", "-p", str(primary_port), "-U", "postgres",
            "-D", str(standby), "-R", "-X", "stream", "--no-sync")  # fmt: skip
        run("pg_ctl", "-D", str(standby), "-l", str(base / "standby.log"), "-w", "-o",
            f"-p {standby_port} {server_options} -c hot_standby=on", "start")  # fmt: skip
        started.append(standby)
        yield primary_port, standby_port
    finally:
        for data in reversed(started):
            run("pg_ctl", "-D", str(data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def routed(
    streaming_pair: tuple[int, int], django_db_blocker: Any, monkeypatch: pytest.MonkeyPatch
) -> Iterator[ReplicaRouter]:
    """Django connections to the pair under their own aliases, routed by ReplicaRouter,
    with `District`'s table made on the primary (and so streamed to the standby)."""
    primary_port, standby_port = streaming_pair
    base = {
        **settings.DATABASES["default"],
        "HOST": "127.0.0.1",
        "USER": "postgres",
        "PASSWORD": "",
        "NAME": "postgres",
        "OPTIONS": {},
        "CONN_MAX_AGE": 0,
    }
    configured = connections.configure_settings(
        {
            DEFAULT_DB_ALIAS: settings.DATABASES["default"],
            PRIMARY: {**base, "PORT": str(primary_port)},
            REPLICA: {**base, "PORT": str(standby_port)},
        }
    )
    for alias in (PRIMARY, REPLICA):
        connections.settings[alias] = configured[alias]
    routing = ReplicaRouter(primary=PRIMARY, replica=REPLICA)
    monkeypatch.setattr(router, "routers", [routing])
    with django_db_blocker.unblock():
        try:
            with connections[PRIMARY].schema_editor() as editor:
                editor.create_model(District)
            _wait_for_table_on_replica(District._meta.db_table)
            yield routing
        finally:
            for alias in (PRIMARY, REPLICA):
                connections[alias].close()
                del connections[alias]
                del connections.settings[alias]


def _wait_for_table_on_replica(table: str) -> None:
    """Streaming is asynchronous: the standby may not have replayed the CREATE TABLE yet."""
    deadline = time.monotonic() + 60
    with connections[REPLICA].cursor() as cursor:
        while True:
            cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [table])
            row = cursor.fetchone()
            if row is not None and row[0]:
                return
            assert time.monotonic() < deadline, f"the standby never replayed table {table}"
            time.sleep(0.05)


def _replay(paused: bool) -> None:
    with connections[REPLICA].cursor() as cursor:
        cursor.execute(f"SELECT pg_wal_replay_{'pause' if paused else 'resume'}()")


@pytest.mark.skipif(not ON_POSTGRESQL, reason="a streaming replica needs PostgreSQL")
def test_stale_reads_come_from_the_replica_and_writes_never_read_it(
    routed: ReplicaRouter,
) -> None:
    with connections[REPLICA].cursor() as cursor:
        cursor.execute("SELECT pg_is_in_recovery()")
        assert cursor.fetchone() == (True,)

    # Replay stopped: what the primary gets from now on is not on the replica yet.
    _replay(paused=True)
    try:
        with replica_reads():
            # A write inside the replica-reads block still goes to the primary (the
            # standby is read-only and would refuse it).
            District.objects.create(name="崖州区", code="460205")
            assert not District.objects.filter(code="460205").exists(), (
                "a stale read must come from the (paused) replica"
            )
            # Anything read inside a write is read on the primary, never the replica.
            with (
                CaptureQueriesContext(connections[REPLICA]) as on_replica,
                transaction.atomic(using=PRIMARY),
            ):
                assert District.objects.filter(code="460205").exists()
                locked = District.objects.select_for_update().get(code="460205")
                locked.name = "三亚市崖州区"
                locked.save()
            assert len(on_replica) == 0
        # Outside the block every read is the primary's.
        assert District.objects.get(code="460205").name == "三亚市崖州区"
    finally:
        _replay(paused=False)

    # Once replayed, the row is visible through the router's replica reads.
    deadline = time.monotonic() + 60
    with replica_reads():
        while not District.objects.filter(code="460205", name="三亚市崖州区").exists():
            assert time.monotonic() < deadline, "the replica never caught up"
            time.sleep(0.1)
        with CaptureQueriesContext(connections[REPLICA]) as on_replica:
            assert District.objects.filter(code="460205").count() == 1
        assert len(on_replica) == 1
