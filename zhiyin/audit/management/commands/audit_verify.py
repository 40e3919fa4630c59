"""`manage.py audit_verify`: re-walk the chain and the checkpoints of every log (one per
district, and the installation log), or of the one named by `--log`.

Exit 0 with a one-line summary per log when intact; otherwise exit 1 with the first bad sequence
number and what is wrong (see zhiyin.audit.verify).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from zhiyin.audit.services import log_names
from zhiyin.audit.signing import signing_key
from zhiyin.audit.verify import log_verify


class Command(BaseCommand):
    help = "Verify the audit log: every hash, every link, every signed checkpoint."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--vkey",
            help="Verifier key to check checkpoint signatures with (name+keyid+key); "
            "defaults to this server's own key.",
        )
        parser.add_argument(
            "--log",
            help="Verify only this log: a district's log name (its id), or '' for the "
            "installation log. Default: every log.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        vkey = options.get("vkey") or signing_key().vkey
        only = options.get("log")
        logs = [only] if only is not None else (log_names() or [""])
        for index, log in enumerate(logs):
            name = f"audit log district/{log}" if log else "audit log"
            report = log_verify(vkey=vkey, log=log, check_triggers=index == 0)
            if report.problem is not None:
                raise CommandError(f"{name} NOT intact: {report.problem}", returncode=1)
            root = report.root_hash[:16] or "-"
            self.stdout.write(
                f"{name} intact: {report.events} events, chain OK, "
                f"{report.checkpoints} signed checkpoints match, root {root}…"
            )
