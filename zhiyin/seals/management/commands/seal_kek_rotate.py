"""`manage.py seal_kek_rotate [--check]`: re-encrypt every stored private key under the
current (first) `SEAL_KEK`; `--check` only counts and exits 1 while any key is still under
an older KEK (see zhiyin.seals.rotation and docs/operator.md)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from zhiyin.lib import pki
from zhiyin.seals.keys import seal_keks
from zhiyin.seals.rotation import kek_rotate


class Command(BaseCommand):
    help = "Re-encrypt every stored private key under the current SEAL_KEK (the first listed)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--check",
            action="store_true",
            help="Change nothing; exit 1 while any key is still under an older SEAL_KEK.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        check = bool(options["check"])
        keks = seal_keks()
        self.stdout.write(
            _("当前密钥 %(current)s；仍可解密的旧密钥：%(old)s。")
            % {
                "current": pki.kek_id(keks[0]),
                "old": "、".join(pki.kek_id(k) for k in keks[1:]) or _("无"),
            }
        )
        report = kek_rotate(check_only=check)
        for label in sorted(report.current):
            self.stdout.write(
                (
                    _("%(table)s：%(current)d 个已在当前密钥下，%(rotated)d 个待重新加密。")
                    if check
                    else _("%(table)s：%(current)d 个已在当前密钥下，%(rotated)d 个已重新加密。")
                )
                % {
                    "table": label,
                    "current": report.current[label],
                    "rotated": report.rotated[label],
                }
            )
        if report.unreadable:
            rows = "；".join(f"{label} {ids}" for label, ids in sorted(report.unreadable.items()))
            raise CommandError(
                _("以下私钥用任何已配置的 SEAL_KEK 都无法解密（密钥缺失或数据损坏）：%(rows)s。")
                % {"rows": rows}
            )
        if check and report.pending:
            raise CommandError(
                _("还有 %(count)d 个私钥在旧密钥下：请先运行 seal_kek_rotate。")
                % {"count": report.pending},
                returncode=1,
            )
