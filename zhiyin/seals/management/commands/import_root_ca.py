"""Adopt an existing root certificate and key as a district's electronic-seal CA."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from zhiyin.core.errors import RuleViolation
from zhiyin.orgs.models import District
from zhiyin.seals.services import district_ca_import


class Command(BaseCommand):
    help = "Import a root CA (PEM certificate and unencrypted PEM P-256 key) for a district."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--district", required=True, help="district code")
        parser.add_argument("--cert", required=True, help="root certificate, PEM")
        parser.add_argument("--key", required=True, help="root private key, PEM")

    def handle(self, *args: Any, **options: Any) -> None:
        district = District.objects.filter(code=options["district"]).first()
        if district is None:
            raise CommandError(f"No district with code {options['district']!r}.")
        try:
            district_ca_import(
                district=district,
                certificate_pem=Path(options["cert"]).read_bytes(),
                key_pem=Path(options["key"]).read_bytes(),
                by=None,
            )
        except OSError as exc:
            raise CommandError(f"Cannot read a file: {exc}") from exc
        except RuleViolation as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"Imported the root CA of {district.name}; the key is stored encrypted.")
