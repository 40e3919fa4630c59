"""The append-only, hash-chained record of everything that happened (留痕).

Each event's `hash` is SHA-256 over its canonical stored text and the previous event's
hash, so changing, deleting or reordering any stored event breaks every hash after it.
Events are written only by `audit_record`, inside the transaction of the change they
record: the change and its record commit together or not at all.

There is one log per district (`log` is the district's log name, see `audit_record`) and
one installation log (`log` empty) for what belongs to no district: logins, refused
requests, the national negative list. Each log is its own chain from the genesis hash,
its own sequence from 1, its own Merkle tree and signed checkpoints, so appends to two
districts never wait for each other and a district's log can be verified, exported and
later sharded on its own.
"""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.utils.translation import gettext_lazy as _

GENESIS_HASH = "0" * 64


class AuditEvent(models.Model):
    """One thing that happened: who (frozen at the time), what, to which object, before/after."""

    log = models.CharField(_("日志"), max_length=40, blank=True, default="")
    seq = models.PositiveBigIntegerField(_("序号"))
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

    #: Not stored: the object itself as the recording service held it, set by
    #: `audit_record` for the log's subscribers, which then need not read it again.
    target_object: models.Model | None = None

    class Meta:
        verbose_name = _("留痕记录")
        verbose_name_plural = _("留痕记录")
        ordering: ClassVar = ["log", "seq"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["log", "seq"], name="audit_event_log_seq"),
        ]
        indexes: ClassVar = [
            models.Index(fields=["target_type", "target_id"], name="audit_target"),
            models.Index(fields=["actor_id", "created_at"], name="audit_actor"),
        ]

    def __str__(self) -> str:
        return f"{self.log}#{self.seq} {self.action} {self.target_label}"


class Checkpoint(models.Model):
    """A signed statement "the first `tree_size` events of log `log` have Merkle root
    `root_hash`"; the origin line names the log.

    The Merkle tree follows RFC 6962/9162 over the events in `seq` order; leaf number
    `seq` is the event's 32-byte `hash` (raw bytes, not hex), hashed as
    SHA-256(0x00 || hash). `note` is the C2SP signed note (tlog-checkpoint body: origin,
    tree size, base64 root, then the Ed25519 signature line), exactly as an inspector
    would save and later compare it. Checkpoints are append-only like the events.
    """

    log = models.CharField(_("日志"), max_length=40, blank=True, default="")
    tree_size = models.PositiveBigIntegerField(_("树大小"))
    root_hash = models.CharField(_("根哈希"), max_length=64)
    created_at = models.DateTimeField(_("时间"))
    origin = models.CharField(_("日志名称"), max_length=200)
    key_id = models.CharField(_("密钥编号"), max_length=8)
    note = models.TextField(_("签名文本"))

    class Meta:
        verbose_name = _("检查点")
        verbose_name_plural = _("检查点")
        ordering: ClassVar = ["log", "tree_size"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["log", "tree_size"], name="audit_checkpoint_log_size"),
        ]

    def __str__(self) -> str:
        return f"{self.origin} @ {self.tree_size}"
