"""`manage.py audit_export --out bundle.json [--log NAME] [--target TYPE:ID]`: a bundle
for tools/zhiyin_verify.py — a whole log (a district's, or the installation log by
default), or one object's events of that log with their proofs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from zhiyin.audit.export import bundle_for_events, bundle_full
from zhiyin.audit.models import AuditEvent, Checkpoint


class Command(BaseCommand):
    help = "Export audit events, signed checkpoints and proofs for offline verification."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--out", required=True, help="File to write ('-' for stdout).")
        parser.add_argument(
            "--target", help="Only this object's events, e.g. seals.seal:12 (type:id)."
        )
        parser.add_argument(
            "--log",
            help="The log: a district's log name (its id). Default: the installation log "
            "for a whole log, the log of the target's latest event with --target.",
        )
        parser.add_argument(
            "--consistency-from",
            type=int,
            help="Tree size of an older checkpoint to prove the latest one extends.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        target = options.get("target")
        log = options.get("log")
        if target:
            target_type, sep, target_id = str(target).partition(":")
            if not sep or not target_type or not target_id:
                raise CommandError("--target must look like TYPE:ID, e.g. seals.seal:12")
            since = options.get("consistency_from")
            events = AuditEvent.objects.filter(target_type=target_type, target_id=target_id)
            if log is None:
                latest = events.order_by("-created_at").first()
                log = latest.log if latest is not None else ""
            checkpoints = Checkpoint.objects.filter(log=log)
            if since is not None and not checkpoints.filter(tree_size=since).exists():
                raise CommandError(f"no checkpoint with tree size {since}")
            bundle = bundle_for_events(
                events.filter(log=log).order_by("seq"), consistency_from=since, log=log
            )
        else:
            bundle = bundle_full(log=log or "")
        text = json.dumps(bundle, ensure_ascii=False, indent=1)
        if options["out"] == "-":
            self.stdout.write(text)
        else:
            Path(options["out"]).write_text(text + "\n", encoding="utf-8")
            self.stdout.write(f"wrote {len(bundle['events'])} events to {options['out']}")
