"""Bulk rows straight into tables: COPY on PostgreSQL, executemany on SQLite.

The loader hands in rows as {attname: value}; a `Sink` fills every other column with the
field's default, adapts the few types that need it (datetimes for SQLite, JSON as text)
and writes in batches. Primary keys are given by the caller (`Ids`), so rows can refer
to each other before anything is written; `sequences_reset` moves the tables' id
sequences past them at the end.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.core.management.color import no_style
from django.db import connection, models


class Ids:
    """The next free primary key of each model, counted from what is already stored.

    Services may insert rows between bulk batches (they take ids from the table's own
    sequence): call `sequences_reset` after writing a batch and `refresh` after the
    services ran, so neither hands out an id the other used."""

    def __init__(self) -> None:
        self._next: dict[type[models.Model], int] = {}

    @staticmethod
    def _stored(model: type[models.Model]) -> int:
        return int(model._default_manager.aggregate(last=models.Max("pk"))["last"] or 0) + 1

    def take(self, model: type[models.Model], count: int = 1) -> int:
        """The first of `count` fresh ids."""
        if model not in self._next:
            self._next[model] = self._stored(model)
        first = self._next[model]
        self._next[model] = first + count
        return first

    def refresh(self) -> None:
        """Move past rows that services stored since the last look."""
        for model, following in self._next.items():
            self._next[model] = max(following, self._stored(model))


class Sink:
    """Rows of one model, written `batch` at a time."""

    def __init__(self, model: type[models.Model], *, batch: int = 20_000) -> None:
        self.model = model
        self.batch = batch
        self.fields = [f for f in model._meta.concrete_fields]
        self.columns = [f.column for f in self.fields]
        self.names = [f.attname for f in self.fields]
        #: Column of each attname: a row starts as a copy of `template` (every default)
        #: and only the given values are put in.
        self.at = {name: i for i, name in enumerate(self.names)}
        self.json_at = {i for i, f in enumerate(self.fields) if isinstance(f, models.JSONField)}
        self.template = [self._default(f) for f in self.fields]
        for i in self.json_at:
            self.template[i] = json.dumps(self.template[i], ensure_ascii=False)
        # Callable defaults (random codes, uuids) are evaluated for every row, as Django
        # does: one value shared by a whole batch breaks unique columns. (A JSON field's
        # callable default, dict or list, is the same text every time: the template's.)
        self.per_row = [
            (i, f.attname, f.get_default)
            for i, f in enumerate(self.fields)
            if f.has_default() and callable(f.default) and i not in self.json_at
        ]
        # Types SQLite stores as something else (datetimes as text, durations as µs).
        self.prep_at = {
            i
            for i, f in enumerate(self.fields)
            if isinstance(f, models.DateTimeField | models.DurationField)
        }
        self.rows: list[list[Any]] = []
        self.written = 0

    @staticmethod
    def _default(field: models.Field[Any, Any]) -> Any:
        if field.has_default():
            return field.get_default()
        return None if field.null else ("" if field.empty_strings_allowed else None)

    def add(self, **values: Any) -> None:
        row = self.template.copy()
        at = self.at
        for name, value in values.items():
            row[at[name]] = value
        for i, name, default in self.per_row:
            if name not in values:
                row[i] = default()
        for i in self.json_at:
            if self.fields[i].attname in values:
                row[i] = json.dumps(row[i], ensure_ascii=False)
        self.rows.append(row)
        if len(self.rows) >= self.batch:
            self.flush()

    def flush(self) -> None:
        if not self.rows:
            return
        table = connection.ops.quote_name(self.model._meta.db_table)
        columns = ", ".join(connection.ops.quote_name(c) for c in self.columns)
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    for row in self.rows:
                        copy.write_row(row)
            else:
                fields, prep = self.fields, self.prep_at
                rows: list[tuple[Any, ...]] = [
                    tuple(
                        fields[i].get_db_prep_value(v, connection) if i in prep else v
                        for i, v in enumerate(row)
                    )
                    for row in self.rows
                ]
                marks = ", ".join(["%s"] * len(self.columns))
                cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows)  # noqa: S608  # names from the model
        self.written += len(self.rows)
        self.rows.clear()


def sequences_reset(model_list: list[type[models.Model]]) -> None:
    """Move each table's id sequence past the ids the loader gave (PostgreSQL; SQLite
    follows the largest id by itself)."""
    statements = connection.ops.sequence_reset_sql(no_style(), model_list)
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


@contextmanager
def indexes_deferred(model_list: list[type[models.Model]]) -> Iterator[None]:
    """PostgreSQL: load the tables without their foreign keys and non-unique indexes, then
    build them again in one pass each, as `pg_restore` does (checking a foreign key row by
    row at commit, and growing a dozen indexes a row at a time, cost more than the COPY).

    Primary keys and unique constraints stay, so a duplicate still fails at once; every
    foreign key comes back with its own definition (deferrable as Django made it) and is
    checked over all rows when it is added, so a dangling reference fails the load. They
    come back however the block ends. SQLite: nothing to do."""
    if connection.vendor != "postgresql":
        yield
        return
    tables = [m._meta.db_table for m in model_list]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid)"
            " FROM pg_constraint WHERE contype = 'f' AND conrelid = ANY(%s::regclass[])"
            " ORDER BY conrelid, conname",
            [tables],
        )
        keys = [(str(t), str(n), str(d)) for t, n, d in cursor.fetchall()]
        cursor.execute(
            "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index i"
            " WHERE indrelid = ANY(%s::regclass[]) AND NOT indisunique AND NOT indisprimary"
            " AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)"
            " ORDER BY indexrelid",
            [tables],
        )
        indexes = [(str(n), str(d)) for n, d in cursor.fetchall()]
        _pending_checks_run(cursor)
        for table, name, _definition in keys:
            cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {connection.ops.quote_name(name)}")
        for name, _definition in indexes:
            cursor.execute(f"DROP INDEX {name}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            _pending_checks_run(cursor)
            cursor.execute("SET maintenance_work_mem = '256MB'")
            for _name, definition in indexes:
                cursor.execute(definition)
            for table, name, definition in keys:
                cursor.execute(
                    f"ALTER TABLE {table} ADD CONSTRAINT {connection.ops.quote_name(name)} {definition}"
                )
            cursor.execute("RESET maintenance_work_mem")


def _pending_checks_run(cursor: Any) -> None:
    """Inside an outer transaction (a test), run the deferred foreign-key checks of rows
    written so far: PostgreSQL alters no table that has checks pending. The constraints
    are deferred again afterwards, as Django declares them."""
    if connection.in_atomic_block:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def database_analyze() -> None:
    """Fresh planner statistics after a load (PostgreSQL's autovacuum would get there later;
    a load test right after the load should not plan on empty-table estimates)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
