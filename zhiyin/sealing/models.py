"""Sealed documents (电子签章的结果) and the custodians' confirmations that lead to them.

A `SealedDocument` is written once, when the custodian's sealing completes an approved
request, and never changes: its number is the one printed beside the seal and encoded in
the QR code, its SHA-256 is that of the exact bytes handed out, so the public
verification page can say whether a file someone holds is the one that was sealed.

Joint-seal matters (联章联签) need both custodians: each confirms once
(`SealingConfirmation`), and the second confirmation seals.

    approved request ──confirm (custodian A)──▶ waiting for B ──confirm (B)──▶ sealed
          └──────────── (not joint) confirm ────────────────────────────────────┘
"""

from __future__ import annotations

import secrets
from typing import ClassVar

from django.db import models
from django.utils.translation import gettext_lazy as _

from zhiyin.approvals.models import RequestDocument, SealRequest
from zhiyin.orgs.models import Person


def verify_code_new() -> str:
    """22 URL-safe characters (128 bits): the QR code's key to a document's details."""
    return secrets.token_urlsafe(16)


class SealedDocument(models.Model):
    """One sealed PDF, as handed out. `organization_name` and `matter_name` are frozen
    copies of what is printed, so later renames do not change what verification says."""

    number = models.CharField(_("文件编号"), max_length=60, unique=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64, db_index=True)
    file = models.FileField(_("文件"), max_length=200)
    size = models.PositiveBigIntegerField(_("大小（字节）"))
    request = models.ForeignKey(
        SealRequest, on_delete=models.PROTECT, related_name="sealed_documents"
    )
    source_document = models.ForeignKey(
        RequestDocument, on_delete=models.PROTECT, related_name="sealed_versions"
    )
    matter_name = models.CharField(_("用章事项"), max_length=100)
    organization_name = models.CharField(_("盖章单位"), max_length=200)
    sealed_at = models.DateTimeField(_("盖章时间"))
    sealed_by = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    signatures = models.PositiveSmallIntegerField(_("印章数"))
    #: The secret part of the QR code's address. Numbers are sequential, so the number
    #: alone must not open the document's details (anyone could list every document).
    verify_code = models.CharField(_("验真码"), max_length=32, unique=True, default=verify_code_new)

    class Meta:
        verbose_name = _("已盖章文件")
        verbose_name_plural = _("已盖章文件")
        ordering: ClassVar = ["-sealed_at", "-pk"]

    def __str__(self) -> str:
        return self.number

    def read_bytes(self) -> bytes:
        with self.file.open("rb") as handle:
            data: bytes = handle.read()
        return data


class SealingConfirmation(models.Model):
    """A custodian confirmed the sealing of an approved request. One per person; the
    unique constraint makes "both custodians" a database fact."""

    request = models.ForeignKey(
        SealRequest, on_delete=models.PROTECT, related_name="sealing_confirmations"
    )
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    confirmed_at = models.DateTimeField(_("确认时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("用印确认")
        verbose_name_plural = _("用印确认")
        ordering: ClassVar = ["request", "confirmed_at"]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["request", "person"], name="sealingconfirmation_one_per_person"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.request.number} · {self.person}"
