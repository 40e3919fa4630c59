"""Reads that may be a moment stale go to a read replica; everything else to the primary.

With `DATABASE_REPLICA_URL` set, the settings add a `replica` database (a streaming
standby of the primary) and install `ReplicaRouter`. A read goes to the replica only
when all of these hold:

- the code asked for it: inside `replica_reads()` — views use
  `zhiyin.orgs.auth.replica_view` (statistics, ledgers, the public verification
  look-up, trace pages), which first loads the person and their grants on the primary,
  so who may see what is never decided on a stale copy;
- it is not read inside a write: no transaction is open on the primary (an `atomic`
  block, and so every `select_for_update`, stays on the primary with its reads);
- a replica is configured at all.

Writes always go to the primary, migrations run on the primary only, and without a
replica every read goes to the primary: the same code runs on one database.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections

REPLICA_ALIAS = "replica"

_stale_reads_ok: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "zhiyin_stale_reads_ok", default=False
)


@contextmanager
def replica_reads() -> Iterator[None]:
    """Reads in this block may come from the replica (unless inside a transaction)."""
    token = _stale_reads_ok.set(True)
    try:
        yield
    finally:
        _stale_reads_ok.reset(token)


class ReplicaRouter:
    """Django database router (`DATABASE_ROUTERS`). The aliases can be given for tests
    that route between databases of their own."""

    def __init__(self, primary: str = DEFAULT_DB_ALIAS, replica: str = REPLICA_ALIAS) -> None:
        self.primary = primary
        self.replica = replica

    def db_for_read(self, model: Any, **hints: Any) -> str:
        if (
            _stale_reads_ok.get()
            and self.replica in connections.settings
            and not connections[self.primary].in_atomic_block
        ):
            return self.replica
        return self.primary

    def db_for_write(self, model: Any, **hints: Any) -> str:
        return self.primary

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        return True  # the replica is a copy of the primary: the same rows

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        return db != self.replica
