"""`manage.py audit_verify`: re-walk the chain and the checkpoints.

Exit 0 with a one-line summary when intact; otherwise exit 1 with the first bad sequence
number and what is wrong (see zhiyin.audit.verify).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

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

    def handle(self, *args: Any, **options: Any) -> None:
        vkey = options.get("vkey") or signing_key().vkey
        report = log_verify(vkey=vkey)
        if report.problem is not None:
            raise CommandError(f"audit log NOT intact: {report.problem}", returncode=1)
        root = report.root_hash[:16] or "-"
        self.stdout.write(
            f"audit log intact: {report.events} events, chain OK, "
            f"{report.checkpoints} signed checkpoints match, root {root}…"
        )
