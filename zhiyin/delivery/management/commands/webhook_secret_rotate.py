"""`manage.py webhook_secret_rotate ENDPOINT_ID [--days 7]`: give a bureau endpoint a new
webhook secret and print it once; the old one keeps signing and verifying beside it for
`--days` (see zhiyin.delivery.rotation)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _

from zhiyin.core.errors import RuleViolation
from zhiyin.delivery.models import BureauEndpoint
from zhiyin.delivery.rotation import endpoint_secret_rotate


class Command(BaseCommand):
    help = "Rotate a bureau endpoint's webhook secret; the old one stays valid for --days."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("endpoint", type=int, help="The endpoint's id (see the admin).")
        parser.add_argument("--days", type=float, default=7.0, help="How long both are valid.")

    def handle(self, *args: Any, **options: Any) -> None:
        endpoint = BureauEndpoint.objects.filter(pk=options["endpoint"]).first()
        if endpoint is None:
            raise CommandError(_("没有编号为 %(pk)s 的接收地址。") % {"pk": options["endpoint"]})
        try:
            rotated = endpoint_secret_rotate(
                endpoint=endpoint, by=None, overlap=timedelta(days=options["days"])
            )
        except RuleViolation as exc:
            raise CommandError(exc.message) from exc
        until = timezone.localtime(rotated.previous_secret_until)
        self.stdout.write(rotated.secret)
        self.stderr.write(
            _("新密钥只显示这一次；旧密钥有效至 %(until)s。") % {"until": f"{until:%Y-%m-%d %H:%M}"}
        )
