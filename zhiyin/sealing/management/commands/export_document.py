"""Write a sealed document, by its number, to a file (for an office without web access)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from zhiyin.audit.services import audit_record_standalone
from zhiyin.sealing.models import SealedDocument


class Command(BaseCommand):
    help = "Export a sealed document by its number."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("number", help="document number, as printed beside the seal")
        parser.add_argument("--out", required=True, help="file to write")

    def handle(self, *args: Any, **options: Any) -> None:
        document = SealedDocument.objects.filter(number=options["number"]).first()
        if document is None:
            raise CommandError(f"No sealed document numbered {options['number']!r}.")
        out = Path(options["out"])
        out.write_bytes(document.read_bytes())
        audit_record_standalone(
            actor=None,
            action="sealed_document.export",
            target=document,
            after={"number": document.number, "sha256": document.sha256},
        )
        self.stdout.write(f"Wrote {document.number} ({document.size} bytes) to {out}")
