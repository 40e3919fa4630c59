"""`manage.py audit_key_rotate --new-key-file PATH`: hand every audit log over from the
configured signing key to a new one with a checkpoint signed by both (see
zhiyin.audit.handover and docs/audit.md); then configure the new key everywhere."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser

from zhiyin.audit.handover import HandoverError, key_handover
from zhiyin.audit.signing import load_key, signing_key


class Command(BaseCommand):
    help = "Rotate the audit signing key: a hand-over checkpoint signed by the old and the new key."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--new-key-file",
            required=True,
            help="The new Ed25519 key (PEM, or base64 of a 32-byte seed).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            new = load_key(Path(options["new_key_file"]).read_text(encoding="utf-8"))
        except (OSError, ImproperlyConfigured, ValueError) as exc:
            raise CommandError(f"cannot read the new key: {exc}") from exc
        old = signing_key()
        try:
            made = key_handover(new)
        except HandoverError as exc:
            raise CommandError(str(exc)) from exc
        for checkpoint in made:
            self.stdout.write(f"hand-over {checkpoint.origin} @ {checkpoint.tree_size}")
        self.stdout.write(f"old verifier key: {old.vkey}")
        self.stdout.write(f"new verifier key: {new.vkey}")
        self.stdout.write(
            "The old key signs nothing more. Set AUDIT_SIGNING_KEY to the new key on every "
            "machine now, restart, and give inspectors the new verifier key."
        )
