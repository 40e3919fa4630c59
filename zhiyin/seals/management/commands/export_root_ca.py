"""Write a district's root certificate to a file, for readers and other systems to trust."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from django.core.management.base import BaseCommand, CommandError, CommandParser

from zhiyin.orgs.models import District
from zhiyin.seals.keys import certificate_load
from zhiyin.seals.services import district_ca_get_or_create


class Command(BaseCommand):
    help = "Export the district root certificate (PEM, or DER when FILE ends in .crt/.cer/.der)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--out", required=True, help="file to write")
        parser.add_argument("--district", help="district code (needed when there are several)")

    def handle(self, *args: Any, **options: Any) -> None:
        districts = District.objects.all()
        if options["district"]:
            districts = districts.filter(code=options["district"])
        found = list(districts[:2])
        if not found:
            raise CommandError("No such district.")
        if len(found) > 1:
            raise CommandError("Several districts exist; name one with --district CODE.")
        ca = district_ca_get_or_create(district=found[0])
        out = Path(options["out"])
        if out.suffix.lower() in {".crt", ".cer", ".der"}:
            data = certificate_load(ca.certificate_pem).public_bytes(serialization.Encoding.DER)
        else:
            data = ca.certificate_pem.encode("ascii")
        out.write_bytes(data)
        self.stdout.write(f"Wrote the root of {found[0].name} to {out}")
