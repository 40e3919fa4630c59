"""Django's `flush`, letting the append-only triggers step aside for the wipe.

`flush` empties every table of the database at once; it is how the test runner resets a
database between transactional tests. The triggers refuse row deletes on the audit tables
unless `audit_flush_permit` holds a row, so this sets the permit for the length of the
wipe and removes it afterwards, even when the wipe fails.
"""

from __future__ import annotations

from typing import Any

from django.core.management.commands import flush
from django.db import DEFAULT_DB_ALIAS, connections


class Command(flush.Command):
    def handle(self, **options: Any) -> None:
        connection = connections[options.get("database") or DEFAULT_DB_ALIAS]
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO audit_flush_permit (permitted) VALUES (1)")
        try:
            super().handle(**options)
        finally:
            with connection.cursor() as cursor:
                cursor.execute("DELETE FROM audit_flush_permit")
