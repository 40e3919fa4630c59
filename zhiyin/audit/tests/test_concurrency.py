"""Fifty writers at once still make one gap-free chain.

Each thread has its own database connection. On PostgreSQL they truly run in parallel and
meet at the advisory lock; on SQLite the write transaction (BEGIN IMMEDIATE, busy
timeout) makes them queue.
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from zhiyin.audit.models import GENESIS_HASH, AuditEvent
from zhiyin.audit.services import audit_record_standalone, event_hash

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
