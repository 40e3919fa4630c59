"""`manage.py restore DIR`: check the backup in DIR (manifest HMAC, every file's SHA-256),
restore it into this installation's new, empty database and document storage, and check
every audit log (see zhiyin.backup.restore). A damaged or altered backup is refused
before anything is changed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from zhiyin.backup.restore import backup_restore
from zhiyin.backup.snapshot import BackupRefused


class Command(BaseCommand):
    help = (
        "Restore a backup made by `backup` into a new, empty database, then verify the audit log."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("directory", help="The backup folder.")

    def handle(self, *args: Any, **options: Any) -> None:
        verbose = int(options.get("verbosity", 1)) > 1
        say = self.stdout.write if verbose else None
        try:
            lines = backup_restore(Path(options["directory"]).resolve(), progress=say)
        except BackupRefused as exc:
            raise CommandError(str(exc)) from exc
        for line in lines:
            self.stdout.write(line)
        self.stdout.write(_("恢复完成。"))
