"""The append-only, hash-chained record of everything that happened (留痕).

Each event's `hash` is SHA-256 over its canonical stored text and the previous event's
hash, so changing, deleting or reordering any stored event breaks every hash after it.
Events are written only by `audit_record`, inside the transaction of the change they
record: the change and its record commit together or not at all.
"""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.utils.translation import gettext_lazy as _

GENESIS_HASH = "0" * 64


class AuditEvent(models.Model):
    """One thing that happened: who (frozen at the time), what, to which object, before/after."""

    seq = models.PositiveBigIntegerField(_("序号"), unique=True)
    created_at = models.DateTimeField(_("时间"))
    actor_id = models.BigIntegerField(_("操作人编号"), null=True, blank=True)
    actor_name = models.CharField(_("操作人"), max_length=100, blank=True)
    role = models.CharField(_("角色"), max_length=20, blank=True)
    scope = models.CharField(_("范围"), max_length=100, blank=True)
    action = models.CharField(_("动作"), max_length=60)
    target_type = models.CharField(_("对象类型"), max_length=60, blank=True)
    target_id = models.CharField(_("对象编号"), max_length=64, blank=True)
    target_label = models.CharField(_("对象"), max_length=200, blank=True)
    before = models.TextField(_("变更前"), blank=True)
    after = models.TextField(_("变更后"), blank=True)
    request_id = models.CharField(_("请求号"), max_length=32, blank=True)
    client_ip = models.CharField(_("来源地址"), max_length=45, blank=True)
    prev_hash = models.CharField(_("前一哈希"), max_length=64)
    hash = models.CharField(_("哈希"), max_length=64, unique=True)

    class Meta:
        verbose_name = _("留痕记录")
        verbose_name_plural = _("留痕记录")
        ordering: ClassVar = ["seq"]
        indexes: ClassVar = [
            models.Index(fields=["target_type", "target_id"], name="audit_target"),
            models.Index(fields=["actor_id", "created_at"], name="audit_actor"),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.target_label}"
