"""Restoring a backup into a new, empty database and document storage.

In this order, and nothing is changed until the first three have passed:

1. **Check the backup**: the manifest's HMAC under a configured `SEAL_KEK` (a changed
   manifest, or a key that is not the one the backup was made with, is refused), then every
   file's size and SHA-256 against the manifest (a changed, missing or added file is
   refused, named).
2. **Check the target**: the database is new (no migrations applied yet) or migrated to
   exactly the backup's migrations and holding no people and no audit events; the
   document storage is empty; this machine's audit signing key is the backup's.
3. **Schema**: a new database is migrated to the backup's migrations (not further: the
   rows are loaded into the schema they were read from).
4. **Files**, then **rows** in one transaction: each table's rows as stored (primary keys
   kept; foreign keys are checked at commit, so order does not matter), then the
   sequences are set past the highest key. The audit tables take the inserts (their
   triggers refuse only changes and deletes).
5. **Audit chain check** (`audit_verify`'s logic, every log) inside that transaction: a
   broken chain or a checkpoint that does not match rolls everything back and removes the
   files written.
6. Later migrations of this code, if any, run on the restored data.
"""

from __future__ import annotations

import gzip
import hashlib
import hmac
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.db.migrations.executor import MigrationExecutor
from django.utils.translation import gettext as _

from zhiyin.audit.models import AuditEvent, Checkpoint
from zhiyin.audit.services import log_names
from zhiyin.audit.signing import signing_key
from zhiyin.audit.verify import log_verify
from zhiyin.backup.crypto import BackupDamaged, BackupKeys, keys_for
from zhiyin.backup.snapshot import FORMAT, MANIFEST, BackupRefused, storage_files, stored_fields

_INSERT_BATCH = 1000


@dataclass(frozen=True)
class CheckedBackup:
    directory: Path
    manifest: dict[str, Any]
    keys: BackupKeys

    def read(self, relative: str) -> bytes:
        try:
            return self.keys.open((self.directory / relative).read_bytes(), relative)
        except BackupDamaged as exc:
            raise BackupRefused(
                _("备份文件 %(name)s 无法解密：它被改动过。未做任何更改。") % {"name": relative}
            ) from exc

    @property
    def migrations(self) -> set[tuple[str, str]]:
        return {(app, name) for app, names in self.manifest["migrations"].items() for name in names}


def _safe_relative(name: str) -> bool:
    path = PurePosixPath(name)
    return bool(name) and not path.is_absolute() and ".." not in path.parts and "\\" not in name


def backup_check(directory: Path) -> CheckedBackup:
    """The backup in `directory` if it is whole and untouched; `BackupRefused` naming the
    first thing wrong otherwise. Reads only."""
    manifest_path = directory / MANIFEST
    if not manifest_path.is_file():
        raise BackupRefused(
            _("%(path)s 里没有备份清单 manifest.json：这不是智印备份，或清单丢失了。")
            % {"path": directory}
        )
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise BackupRefused(_("备份清单无法读取：它被改动过或已损坏。未做任何更改。")) from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupRefused(_("备份清单的格式不认识（应为 %(format)s）。") % {"format": FORMAT})
    keys = keys_for(str(manifest.get("key_id", "")))
    if keys is None:
        raise BackupRefused(
            _(
                "本机配置的 SEAL_KEK 中没有这份备份所用的密钥（编号 %(key_id)s）："
                "请配置备份时的 SEAL_KEK（可与新密钥一并列出）。未做任何更改。"
            )
            % {"key_id": manifest.get("key_id", "")}
        )
    if not hmac.compare_digest(str(manifest.get("mac", "")), keys.manifest_mac(manifest)):
        raise BackupRefused(_("备份清单的校验码不符：清单被改动过。未做任何更改。"))
    files: dict[str, dict[str, Any]] = manifest["files"]
    for relative, expected in sorted(files.items()):
        path = directory / relative
        if not _safe_relative(relative):
            raise BackupRefused(_("备份清单里有不安全的文件名 %(name)s。") % {"name": relative})
        if not path.is_file():
            raise BackupRefused(
                _("备份缺少文件 %(name)s：备份不完整。未做任何更改。") % {"name": relative}
            )
        digest = hashlib.sha256()
        with path.open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
        if path.stat().st_size != expected["size"] or digest.hexdigest() != expected["sha256"]:
            raise BackupRefused(
                _("备份文件 %(name)s 与清单不符：它被改动过。未做任何更改。") % {"name": relative}
            )
    present = {
        path.relative_to(directory).as_posix() for path in directory.rglob("*") if path.is_file()
    }
    extra = sorted(present - set(files) - {MANIFEST})
    if extra:
        raise BackupRefused(
            _("备份目录里有清单之外的文件 %(name)s：备份被改动过。未做任何更改。")
            % {"name": extra[0]}
        )
    return CheckedBackup(directory=directory, manifest=manifest, keys=keys)


def _table_has_rows(model: type[models.Model]) -> bool:
    table = model._meta.db_table
    if table not in connection.introspection.table_names():
        return False
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT 1 FROM {connection.ops.quote_name(table)} LIMIT 1")  # noqa: S608  # a model's table name
        return cursor.fetchone() is not None


def _graph_nodes(wanted: set[tuple[str, str]], executor: MigrationExecutor) -> set[tuple[str, str]]:
    """The backup's migrations as nodes of this code's migration graph.

    The recorder keeps a squashed migration's name beside the names it replaces; the graph
    holds only the squashed one, so a replaced name counts as its squashed migration.
    Names this code does not know at all are refused (the backup is from a newer version).
    """
    loader = executor.loader
    nodes = set(loader.graph.nodes)
    replaced_by = {
        (str(old[0]), str(old[1])): key
        for key, migration in loader.replacements.items()
        for old in migration.replaces
    }
    found: set[tuple[str, str]] = set()
    unknown: list[tuple[str, str]] = []
    for key in sorted(wanted):
        if key in nodes:
            found.add(key)
        elif replaced_by.get(key) in nodes:
            found.add(replaced_by[key])
        else:
            unknown.append(key)
    if unknown:
        app, name = unknown[0]
        raise BackupRefused(
            _("这份备份来自更新的智印版本（本机没有迁移 %(app)s.%(name)s）：请先升级本机的智印。")
            % {"app": app, "name": name}
        )
    return found


def _target_check(backup: CheckedBackup, executor: MigrationExecutor) -> bool:
    """Refuses a target that is not new; True when its schema must still be created."""
    wanted = backup.migrations
    _graph_nodes(wanted, executor)
    applied = set(executor.loader.applied_migrations)
    if applied and applied != wanted:
        raise BackupRefused(
            _("目标数据库已迁移到另一版本：请恢复到一个新建的空数据库。未做任何更改。")
        )
    user_model = django_user_model()
    for model in (AuditEvent, Checkpoint, user_model):
        if _table_has_rows(model):
            raise BackupRefused(
                _("目标数据库里已有数据（%(table)s）：恢复只写入新建的空数据库。未做任何更改。")
                % {"table": model._meta.db_table}
            )
    if storage_files():
        raise BackupRefused(
            _("目标文件存储（MEDIA_ROOT 或 S3 桶）不是空的：请用一个空目录。未做任何更改。")
        )
    if backup.manifest["audit"]["vkey"] != signing_key().vkey:
        raise BackupRefused(
            _(
                "本机的留痕签名密钥（AUDIT_SIGNING_KEY）与备份时不同，恢复后的检查点将无法核验："
                "请配置备份时的密钥。未做任何更改。"
            )
        )
    return not applied


def django_user_model() -> type[models.Model]:
    from django.contrib.auth import get_user_model

    return get_user_model()


def backup_restore(directory: Path, *, progress: Callable[[str], None] | None = None) -> list[str]:
    """Restore the backup in `directory`; returns the audit check's line per log."""
    say = progress or (lambda _line: None)
    backup = backup_check(directory)
    say(
        _("备份完整：清单校验码与 %(count)d 个文件的 SHA-256 均相符。")
        % {"count": len(backup.manifest["files"])}
    )
    executor = MigrationExecutor(connection)
    if _target_check(backup, executor):
        wanted = _graph_nodes(backup.migrations, executor)
        graph = executor.loader.graph
        leaves = [
            node
            for node in sorted(wanted)
            if not any(child.key in wanted for child in graph.node_map[node].children)
        ]
        executor.migrate(leaves)
        executor = MigrationExecutor(connection)
    state_apps = executor.loader.project_state(
        sorted(_graph_nodes(backup.migrations, executor)), at_end=True
    ).apps
    by_table = {
        model._meta.db_table: model
        for model in state_apps.get_models(include_auto_created=True)
        if model._meta.managed and not model._meta.proxy
    }
    written: list[str] = []
    try:
        for relative in sorted(backup.manifest["files"]):
            if relative.startswith("media/"):
                name = relative.removeprefix("media/")
                saved = default_storage.save(name, ContentFile(backup.read(relative)))
                written.append(saved)
                if saved != name:
                    raise BackupRefused(_("文件 %(name)s 无法按原名写入。") % {"name": name})
        say(_("已写入 %(count)d 个文件。") % {"count": len(written)})
        with transaction.atomic():
            restored = [
                _table_load(backup, table, by_table, say) for table in backup.manifest["tables"]
            ]
            with connection.cursor() as cursor:
                for statement in connection.ops.sequence_reset_sql(no_style(), restored):
                    cursor.execute(statement)
            lines = _audit_check(backup)
    except BaseException:
        for name in written:
            default_storage.delete(name)
        raise
    call_command("migrate", verbosity=0, interactive=False)
    return lines


def _table_load(
    backup: CheckedBackup,
    table: dict[str, Any],
    by_table: dict[str, type[models.Model]],
    say: Callable[[str], None],
) -> type[models.Model]:
    model = by_table.get(table["table"])
    if model is None:
        raise BackupRefused(
            _("备份里的表 %(table)s 在本机的结构里没有。") % {"table": table["table"]}
        )
    fields_by_name = {f.attname: f for f in stored_fields(model)}
    fields = [fields_by_name[name] for name in table["fields"]]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {quote(table['table'])} ({columns}) VALUES ({marks})"  # noqa: S608  # names from the schema
    with connection.cursor() as cursor:
        if table["table"] not in {AuditEvent._meta.db_table, Checkpoint._meta.db_table}:
            # Rows a migration put in (starter warning rules) give way to the backup's.
            cursor.execute(f"DELETE FROM {quote(table['table'])}")  # noqa: S608  # a table name
        for relative in table["parts"]:
            text = gzip.decompress(backup.read(relative)).decode("utf-8")
            batch: list[list[Any]] = []
            for line in text.splitlines():
                values = json.loads(line)
                batch.append([_value_decode(f, v) for f, v in zip(fields, values, strict=True)])
                if len(batch) >= _INSERT_BATCH:
                    cursor.executemany(sql, batch)
                    batch.clear()
            if batch:
                cursor.executemany(sql, batch)
    say(f"{table['table']}: {table['rows']}")
    return model


def _value_decode(model_field: models.Field[Any, Any], value: Any) -> Any:
    if value is not None and not isinstance(model_field, models.JSONField):
        value = model_field.to_python(value)
    return model_field.get_db_prep_save(value, connection)


def _audit_check(backup: CheckedBackup) -> list[str]:
    vkey = signing_key().vkey
    expected: dict[str, int] = backup.manifest["audit"]["events"]
    lines: list[str] = []
    logs = log_names()
    if sorted(logs) != sorted(expected):
        raise BackupRefused(_("恢复后的留痕日志与备份清单不符。已全部撤销。"))
    for index, log in enumerate(logs):
        name = f"district/{log}" if log else _("全局")
        report = log_verify(vkey=vkey, log=log, check_triggers=index == 0)
        if report.problem is not None or report.events != expected[log]:
            raise BackupRefused(
                _("留痕日志 %(name)s 校验不通过：%(problem)s。已全部撤销，未做任何更改。")
                % {"name": name, "problem": report.problem or _("事件数与清单不符")}
            )
        lines.append(
            _("留痕日志 %(name)s 完好：%(events)d 条事件，%(checkpoints)d 个签名检查点相符。")
            % {"name": name, "events": report.events, "checkpoints": report.checkpoints}
        )
    return lines
