"""`manage.py backup --out DIR`: write an encrypted, signed snapshot of the database and
the stored documents into DIR (see zhiyin.backup.snapshot and docs/operator.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from zhiyin.backup.snapshot import BackupRefused, backup_write


class Command(BaseCommand):
    help = "Back up the database and the stored documents (encrypted, with a signed manifest)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--out", required=True, help="A new (or empty) folder to write to.")

    def handle(self, *args: Any, **options: Any) -> None:
        out = Path(options["out"]).resolve()
        verbose = int(options.get("verbosity", 1)) > 1
        try:
            summary = backup_write(out, progress=self.stdout.write if verbose else None)
        except BackupRefused as exc:
            raise CommandError(str(exc)) from exc
        for name in summary.missing_media:
            self.stderr.write(
                _("警告：数据库引用的文件 %(name)s 不在文件存储中。") % {"name": name}
            )
        self.stdout.write(
            _("备份完成：%(tables)d 张表 %(rows)d 行，%(files)d 个文件，写入 %(path)s。")
            % {
                "tables": summary.tables,
                "rows": summary.rows,
                "files": summary.files,
                "path": summary.directory,
            }
        )
