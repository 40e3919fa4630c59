"""What the platform tells people: in-app notifications (站内通知).

`delivery` is infrastructure: it knows people (the auth user model) but no domain app.
Domain services hand it a person, a text, a link and an event name inside their own
transaction; a notification exists exactly when the change that caused it committed.
"""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Notification(models.Model):
    """One message shown in a person's notification list until they read it."""

    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="notifications"
    )
    text = models.CharField(_("内容"), max_length=300)
    link = models.CharField(_("链接"), max_length=300, blank=True)
    event = models.CharField(_("事件"), max_length=60, blank=True)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("站内通知")
        verbose_name_plural = _("站内通知")
        ordering: ClassVar = ["-created_at", "-pk"]
        indexes: ClassVar = [
            models.Index(fields=["person", "read_at"], name="notification_person_unread"),
        ]

    def __str__(self) -> str:
        return self.text


class NotificationPreference(models.Model):
    """Which outside channels one person wants notices on. In-app is always on: it is the
    record. Staff with no row get the defaults below (e-mail and SMS off, staff platform
    on); a resident with no row gets SMS on and no staff platform (`preference_for`):
    villagers read texts, not the government's staff app."""

    person = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="notification_preference"
    )
    email = models.BooleanField(_("电子邮件"), default=False)
    sms = models.BooleanField(_("短信"), default=False)
    staff_platform = models.BooleanField(_("政务工作平台（工作通知）"), default=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("通知偏好")
        verbose_name_plural = _("通知偏好")

    def __str__(self) -> str:
        return str(self.person)


class BureauEndpoint(models.Model):
    """A URL in a bureau's own system that receives signed deliveries (Standard Webhooks).

    `secret` is `whsec_` + base64 of 24 random bytes; it signs every delivery and
    authenticates the bureau's acknowledgements. During a rotation `previous_secret` signs
    and authenticates too, until `previous_secret_until` (see `delivery.rotation`).
    `allow_private` lets the endpoint sit on a
    private or loopback address (a bureau system inside the government network); only a
    district admin may set it. An endpoint whose every attempt has failed since
    `failing_since` for longer than DELIVERY_DISABLE_AFTER_SECONDS is switched off
    (`disabled_at`, `disabled_reason`) and the district admins are told.
    """

    bureau = models.ForeignKey(
        "orgs.Bureau",
        on_delete=models.PROTECT,
        related_name="endpoints",
        verbose_name=_("职能部门"),
    )
    url = models.URLField(_("接收地址"), max_length=500)
    secret = models.CharField(_("签名密钥"), max_length=80)
    previous_secret = models.CharField(_("轮换前的签名密钥"), max_length=80, blank=True)
    previous_secret_until = models.DateTimeField(_("旧密钥有效至"), null=True, blank=True)
    event_types = models.JSONField(_("订阅事件"), default=list)
    active = models.BooleanField(_("启用"), default=True)
    inline_pdf = models.BooleanField(_("PDF 内嵌于消息（否则为限时下载链接）"), default=False)
    allow_private = models.BooleanField(_("允许内网地址"), default=False)
    description = models.CharField(_("说明"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    failing_since = models.DateTimeField(_("连续失败起始"), null=True, blank=True)
    disabled_at = models.DateTimeField(_("停用时间"), null=True, blank=True)
    disabled_reason = models.CharField(_("停用原因"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("职能部门接收地址")
        verbose_name_plural = _("职能部门接收地址")
        ordering: ClassVar = ["bureau", "pk"]

    def __str__(self) -> str:
        return f"{self.bureau} · {self.url}"

    def subscribes(self, event_type: str) -> bool:
        return not self.event_types or event_type in self.event_types


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("推送中")
    DELIVERED = "delivered", _("已送达")
    FAILED = "failed", _("推送失败")


class Delivery(models.Model):
    """One event (usually a sealed document) sent to one bureau (推送).

    `webhook_id` is the Standard Webhooks message id: the same on every attempt and every
    endpoint, so a receiver that has seen it can drop a repeat (idempotency key).

        pending ──(2xx from an endpoint, or an acknowledgement)──▶ delivered
           │
           └──(every endpoint's outbox message failed)──▶ failed ──(replay)──▶ pending

    A bureau without endpoints still sees the delivery in its inbox in Zhiyin and
    acknowledges it there. The document is referred to by storage path and SHA-256; the
    bytes stay where the domain app stored them.
    """

    webhook_id = models.CharField(_("消息编号"), max_length=40, unique=True)
    bureau = models.ForeignKey(
        "orgs.Bureau",
        on_delete=models.PROTECT,
        related_name="deliveries",
        verbose_name=_("职能部门"),
    )
    event_type = models.CharField(_("事件"), max_length=60)
    payload = models.JSONField(_("内容"), default=dict)
    title = models.CharField(_("标题"), max_length=200, blank=True)
    document_path = models.CharField(_("文件"), max_length=300, blank=True)
    document_sha256 = models.CharField(_("文件 SHA-256"), max_length=64, blank=True)
    document_size = models.PositiveBigIntegerField(_("文件大小"), null=True, blank=True)
    source_type = models.CharField(_("来源类型"), max_length=60)
    source_id = models.CharField(_("来源编号"), max_length=40)
    status = models.CharField(
        _("状态"), max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    delivered_at = models.DateTimeField(_("送达时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("推送")
        verbose_name_plural = _("推送")
        ordering: ClassVar = ["-created_at", "-pk"]
        indexes: ClassVar = [
            models.Index(fields=["source_type", "source_id"], name="delivery_source"),
            models.Index(fields=["bureau", "created_at"], name="delivery_bureau_created"),
        ]

    def __str__(self) -> str:
        return f"{self.webhook_id} {self.title or self.event_type}"


class Channel(models.TextChoices):
    WEBHOOK = "webhook", _("职能部门接口")
    EMAIL = "email", _("电子邮件")
    SMS = "sms", _("短信")
    STAFF_PLATFORM = "staff_platform", _("政务工作平台")


class OutboxStatus(models.TextChoices):
    PENDING = "pending", _("待发送")
    SENT = "sent", _("已发送")
    FAILED = "failed", _("失败")


class OutboxMessage(models.Model):
    """One thing a worker must send to the outside world, written in the transaction of
    the change that caused it, so it exists exactly when the change committed.

        pending ──claim (claimed_by, claimed_until = now + lease)──▶ pending, claimed
           ▲                 │
           │   failure, attempts left: next_attempt_at = now + schedule[attempts]
           ├─────────────────┤
           │                 ├── 2xx / sent ─────────────────────────▶ sent
           │                 └── failure, schedule exhausted ────────▶ failed
           │                                                         │
           └──────── replay (attempts = 0) ◀─────────────────────────┘

    A worker that dies while holding a claim leaves the lease to run out: once
    `claimed_until` passes, any worker may claim the row again. Claims are taken with
    `SELECT … FOR UPDATE SKIP LOCKED` where the database has it, and always confirmed by a
    conditional UPDATE on the lease, so two workers never hold the same row.
    """

    channel = models.CharField(_("渠道"), max_length=20, choices=Channel.choices)
    delivery = models.ForeignKey(
        Delivery, on_delete=models.PROTECT, null=True, blank=True, related_name="messages"
    )
    endpoint = models.ForeignKey(
        BureauEndpoint, on_delete=models.PROTECT, null=True, blank=True, related_name="messages"
    )
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    text = models.CharField(_("内容"), max_length=300, blank=True)
    link = models.CharField(_("链接"), max_length=300, blank=True)
    event = models.CharField(_("事件"), max_length=60, blank=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=OutboxStatus.choices, default=OutboxStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("已尝试次数"), default=0)
    next_attempt_at = models.DateTimeField(_("下次尝试时间"))
    claimed_by = models.CharField(_("处理进程"), max_length=80, blank=True)
    claimed_until = models.DateTimeField(_("占用至"), null=True, blank=True)
    last_error = models.CharField(_("最近错误"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("发件箱消息")
        verbose_name_plural = _("发件箱消息")
        ordering: ClassVar = ["-created_at", "-pk"]
        indexes: ClassVar = [
            models.Index(fields=["status", "next_attempt_at"], name="outbox_due"),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} #{self.pk}"


class DeliveryAttempt(models.Model):
    """One try at sending an outbox message: written when the worker claims the row and
    completed when it returns. One left without `finished_at` is a worker that died."""

    message = models.ForeignKey(OutboxMessage, on_delete=models.PROTECT, related_name="attempt_log")
    number = models.PositiveSmallIntegerField(_("第几次"))
    worker = models.CharField(_("处理进程"), max_length=80)
    started_at = models.DateTimeField(_("开始时间"))
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    status_code = models.PositiveSmallIntegerField(_("HTTP 状态码"), null=True, blank=True)
    latency_ms = models.PositiveIntegerField(_("耗时（毫秒）"), null=True, blank=True)
    response_excerpt = models.CharField(_("响应摘录"), max_length=500, blank=True)
    error = models.CharField(_("错误"), max_length=500, blank=True)
    success = models.BooleanField(_("成功"), default=False)

    class Meta:
        verbose_name = _("推送尝试")
        verbose_name_plural = _("推送尝试")
        ordering: ClassVar = ["-started_at", "-pk"]

    def __str__(self) -> str:
        return f"#{self.message_id}/{self.number}"


class ReceiptVia(models.TextChoices):
    RESPONSE = "response", _("接口应答 2xx")
    ACKNOWLEDGEMENT = "ack", _("回执接口确认")
    INBOX = "inbox", _("部门收件箱签收")


class DeliveryReceipt(models.Model):
    """Evidence that a bureau received a delivery: its endpoint's 2xx answer, a signed
    call to the acknowledge API, or an officer's sign-off in the bureau inbox."""

    delivery = models.ForeignKey(Delivery, on_delete=models.PROTECT, related_name="receipts")
    via = models.CharField(_("方式"), max_length=10, choices=ReceiptVia.choices)
    endpoint = models.ForeignKey(
        BureauEndpoint, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    evidence = models.JSONField(_("凭据"), default=dict)
    received_at = models.DateTimeField(_("签收时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("送达回执")
        verbose_name_plural = _("送达回执")
        ordering: ClassVar = ["received_at", "pk"]

    def __str__(self) -> str:
        return f"{self.delivery.webhook_id} {self.get_via_display()}"
