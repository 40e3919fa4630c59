"""Writing a backup: one consistent snapshot of the database and the stored documents.

A backup is a folder:

- `manifest.json` — the format, when, from which database, the applied migrations, each
  table with its columns, row count and parts, the SHA-256 and size of every file, the
  audit verifier key and the number of events per log, and an HMAC over all of it;
- `database/<table>.<n>.jsonl.gz` — the rows of each table, one JSON array per row in the
  manifest's column order, in parts of `ROWS_PER_PART` rows; values in a portable form
  (times in ISO 8601, binary in base64, JSON as JSON), so a backup taken on PostgreSQL
  restores on SQLite and back;
- `media/<name>` — every stored file (documents, sealed documents, photos, exports)
  under its storage name.

Each file is encrypted (see `zhiyin.backup.crypto`). The database part is read in one
transaction — REPEATABLE READ on PostgreSQL, a deferred read transaction on SQLite (in WAL
mode writers carry on) — so every row belongs to the same moment; the files are copied
afterwards, and as stored files are never rewritten, each one a row names is there (one
that is not is listed in the manifest as missing and reported). The folder is written
under a temporary name and renamed when complete: a backup that was cut off never looks
like a finished one.
"""

from __future__ import annotations

import base64
import datetime as dt
import gzip
import hashlib
import json
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.apps import apps as django_apps
from django.apps.registry import Apps
from django.core.files.storage import default_storage
from django.db import connection, models, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.db.models import Count
from django.utils import timezone
from django.utils.duration import duration_string
from django.utils.translation import gettext as _

from zhiyin.audit.models import AuditEvent
from zhiyin.audit.signing import signing_key
from zhiyin.backup.crypto import current_keys

FORMAT = "zhiyin-backup/1"
MANIFEST = "manifest.json"
ROWS_PER_PART = 5000


class BackupRefused(Exception):
    """A backup or restore that cannot go ahead; the message says why, in Chinese."""


@dataclass
class BackupSummary:
    directory: Path
    tables: int = 0
    rows: int = 0
    files: int = 0
    missing_media: list[str] = field(default_factory=list)


def restorable_models(registry: Apps = django_apps) -> list[type[models.Model]]:
    """Every model that owns a table, many-to-many tables included, each table once."""
    found: list[type[models.Model]] = []
    seen: set[str] = set()
    for model in registry.get_models(include_auto_created=True):
        meta = model._meta
        if meta.proxy or not meta.managed or meta.swapped or meta.db_table in seen:
            continue
        seen.add(meta.db_table)
        found.append(model)
    return found


def stored_fields(model: type[models.Model]) -> list[models.Field[Any, Any]]:
    """The columns of the model's own table (generated columns are computed, not stored)."""
    return [f for f in model._meta.local_concrete_fields if not getattr(f, "generated", False)]


def value_encode(model_field: models.Field[Any, Any], value: Any) -> Any:
    """A column value as JSON that `Field.to_python` turns back into the same value."""
    if value is None or isinstance(model_field, models.JSONField):
        return value
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return duration_string(value)
    if isinstance(value, Decimal | uuid.UUID):
        return str(value)
    return value


def _storage_files(folder: str = "") -> Iterator[str]:
    folders = [folder]
    while folders:
        current = folders.pop()
        try:
            subfolders, files = default_storage.listdir(current)
        except (FileNotFoundError, NotADirectoryError):
            continue
        prefix = f"{current}/" if current else ""
        folders.extend(f"{prefix}{sub}" for sub in sorted(subfolders))
        yield from (f"{prefix}{name}" for name in sorted(files))


def storage_files() -> list[str]:
    """Every file in the document storage (local folder or S3 bucket), by storage name."""
    return sorted(_storage_files())


@contextmanager
def _snapshot() -> Iterator[None]:
    """Every read inside sees the database as of one moment."""
    if connection.in_atomic_block:
        # Already inside a transaction (a test, or a caller's own): its view is the snapshot.
        yield
        return
    if connection.vendor == "sqlite":
        # Django opens SQLite transactions IMMEDIATE (the write lock); a backup only reads,
        # so it opens a deferred one: in WAL mode it keeps its snapshot while writers go on.
        connection.ensure_connection()
        with connection.cursor() as cursor:
            cursor.execute("BEGIN DEFERRED")
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute("ROLLBACK")
        return
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        yield


def backup_write(out: Path, *, progress: Callable[[str], None] | None = None) -> BackupSummary:
    """Write a backup of this installation into the folder `out` (new or empty)."""
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise BackupRefused(
            _("备份目录 %(path)s 已存在且不是空的；请换一个新目录。") % {"path": out}
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    work = out.parent / f".{out.name}.partial-{os.getpid()}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    keys = current_keys()
    files: dict[str, dict[str, Any]] = {}
    summary = BackupSummary(directory=out)

    def put(relative: str, data: bytes) -> None:
        blob = keys.seal(data, relative)
        path = work / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(blob)
        files[relative] = {"sha256": hashlib.sha256(blob).hexdigest(), "size": len(blob)}

    try:
        with _snapshot():
            taken_at = timezone.now()
            migrations: dict[str, list[str]] = {}
            for app, name in sorted(MigrationRecorder(connection).applied_migrations()):
                migrations.setdefault(app, []).append(name)
            tables: list[dict[str, Any]] = []
            referenced: set[str] = set()
            for model in restorable_models():
                table = _table_write(model, put, referenced)
                tables.append(table)
                summary.tables += 1
                summary.rows += table["rows"]
                if progress:
                    progress(f"{table['table']}: {table['rows']}")
            logs = {
                row["log"]: row["n"]
                for row in AuditEvent.objects.values("log").annotate(n=Count("id")).order_by()
            }
        copied: set[str] = set()
        for name in storage_files():
            with default_storage.open(name, "rb") as handle:
                put(f"media/{name}", handle.read())
            copied.add(name)
        summary.files = len(copied)
        summary.missing_media = sorted(referenced - copied)
        manifest: dict[str, Any] = {
            "format": FORMAT,
            "created_at": taken_at.isoformat(),
            "database": connection.vendor,
            "migrations": migrations,
            "tables": tables,
            "files": files,
            "missing_media": summary.missing_media,
            "audit": {"vkey": signing_key().vkey, "events": logs},
            "key_id": keys.key_id,
        }
        manifest["mac"] = keys.manifest_mac(manifest)
        (work / MANIFEST).write_text(
            json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True), encoding="utf-8"
        )
        if out.exists():
            out.rmdir()
        work.rename(out)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return summary


def _table_write(
    model: type[models.Model], put: Callable[[str, bytes], None], referenced: set[str]
) -> dict[str, Any]:
    meta = model._meta
    fields = stored_fields(model)
    file_positions = [i for i, f in enumerate(fields) if isinstance(f, models.FileField)]
    parts: list[str] = []
    lines: list[str] = []
    rows = 0

    def flush() -> None:
        relative = f"database/{meta.db_table}.{len(parts) + 1:04d}.jsonl.gz"
        text = "\n".join(lines) + "\n"
        put(relative, gzip.compress(text.encode("utf-8"), mtime=0))
        parts.append(relative)
        lines.clear()

    query = model._base_manager.order_by("pk").values_list(*(f.attname for f in fields))
    for row in query.iterator(chunk_size=2000):
        encoded = [value_encode(f, v) for f, v in zip(fields, row, strict=True)]
        lines.append(json.dumps(encoded, ensure_ascii=False, separators=(",", ":")))
        referenced.update(row[i] for i in file_positions if row[i])
        rows += 1
        if len(lines) >= ROWS_PER_PART:
            flush()
    if lines:
        flush()
    return {
        "table": meta.db_table,
        "model": meta.label_lower,
        "columns": [f.column for f in fields],
        "fields": [f.attname for f in fields],
        "rows": rows,
        "parts": parts,
    }
