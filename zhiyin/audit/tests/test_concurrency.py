"""Fifty writers at once still make one gap-free chain.

Each thread has its own database connection. On PostgreSQL they truly run in parallel and
meet at the advisory lock; on SQLite the write transaction (BEGIN IMMEDIATE, busy
timeout) makes them queue.
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction

from zhiyin.audit.models import GENESIS_HASH, AuditEvent
from zhiyin.audit.services import audit_record, audit_record_standalone, event_hash
from zhiyin.audit.signing import signing_key
from zhiyin.audit.verify import log_verify

WRITERS = 50


@pytest.mark.django_db(transaction=True)
def test_it_keeps_one_gap_free_chain_under_50_concurrent_appends() -> None:
    start = threading.Barrier(WRITERS)
    errors: list[BaseException] = []

    def write(n: int) -> None:
        try:
            start.wait()
            audit_record_standalone(actor=None, action="test.concurrent", target_label=str(n))
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(WRITERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert errors == []
    events = list(AuditEvent.objects.order_by("seq"))
    assert [e.seq for e in events] == list(range(1, WRITERS + 1))
    assert sorted(e.target_label for e in events) == sorted(str(n) for n in range(WRITERS))
    prev = GENESIS_HASH
    for event in events:
        assert event.prev_hash == prev
        assert event_hash(event) == event.hash
        prev = event.hash


def _writer(log: str, done: threading.Event, errors: list[BaseException]) -> threading.Thread:
    def write() -> None:
        try:
            audit_record_standalone(actor=None, action="test.write", log=log)
            done.set()
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
        finally:
            connection.close()

    return threading.Thread(target=write)


@pytest.mark.django_db(transaction=True)
def test_a_write_in_district_b_completes_while_district_a_holds_an_open_transaction() -> None:
    """PostgreSQL: each district's log has its own lock, so B's write goes through while
    A's transaction is still open, and a second write to A waits for A. SQLite allows one
    writer at a time in the whole database, so there both wait for A (a district runs on
    SQLite; a province on PostgreSQL)."""
    a_open, release = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def hold_a() -> None:
        try:
            with transaction.atomic():
                audit_record(actor=None, action="test.hold", log="A")
                a_open.set()
                release.wait(30)
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_a)
    holder.start()
    assert a_open.wait(10)
    b_done, a_again_done = threading.Event(), threading.Event()
    b_writer = _writer("B", b_done, errors)
    a_writer = _writer("A", a_again_done, errors)
    b_writer.start()
    a_writer.start()
    postgresql = connection.vendor == "postgresql"
    b_while_a_open = b_done.wait(10 if postgresql else 1)
    a_while_a_open = a_again_done.is_set()
    release.set()
    for thread in (holder, b_writer, a_writer):
        thread.join()

    assert errors == []
    assert b_while_a_open is postgresql
    assert a_while_a_open is False
    assert list(AuditEvent.objects.filter(log="A").values_list("seq", "action")) == [
        (1, "test.hold"),
        (2, "test.write"),
    ]
    assert list(AuditEvent.objects.filter(log="B").values_list("seq", flat=True)) == [1]


@pytest.mark.django_db(transaction=True)
def test_each_district_log_stays_gap_free_under_concurrent_appends_to_several_logs() -> None:
    start = threading.Barrier(WRITERS)
    errors: list[BaseException] = []
    logs = ("11", "12", "")

    def write(n: int) -> None:
        try:
            start.wait()
            audit_record_standalone(
                actor=None, action="test.concurrent", target_label=str(n), log=logs[n % 3]
            )
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(WRITERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert errors == []
    for log in logs:
        events = list(AuditEvent.objects.filter(log=log).order_by("seq"))
        assert [e.seq for e in events] == list(range(1, len(events) + 1))
        prev = GENESIS_HASH
        for event in events:
            assert event.prev_hash == prev and event_hash(event) == event.hash
            prev = event.hash
        assert log_verify(vkey=signing_key().vkey, log=log, check_triggers=False).ok
