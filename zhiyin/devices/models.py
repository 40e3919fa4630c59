"""Smart seal terminals (智能印章终端), what they may do, and what they report.

A `SealDevice` holds physical seals in `DeviceSlot`s. It is registered by an admin with a
one-time enrolment code, generates its own key pair and receives a certificate from the
district's `DeviceCA` (separate from the seal CA). Its state moves

    active ──suspend──▶ suspended ──activate──▶ active
      │                     │
      └──────retire─────────┴──▶ retired   (final)

A `StampAuthorization` (用印授权) lets one slot stamp k times inside a window:

    pending (waits for the second custodian) ──confirm──▶ active ──k stamps──▶ used
                                                             ├──revoke──▶ revoked
                                                             └──window ends──▶ expired

Every message a terminal sends is a `DeviceEvent`, stored once per (device, boot, seq);
stamps are `StampEvent`s, alarms `DeviceAlarm`s. Evidence is never dropped: a stamp the
rules did not allow is stored with its status, not refused.
"""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from zhiyin.approvals.models import SealRequest
from zhiyin.orgs.models import District, Person, Village
from zhiyin.seals.models import Seal


class DeviceCA(models.Model):
    """The district's CA for terminals (设备根证书). Its key signs device certificates and
    the commands the server sends, which terminals check against the CA certificate they
    received at enrolment. The key is stored encrypted under ``SEAL_KEK``."""

    district = models.OneToOneField(District, on_delete=models.PROTECT, related_name="device_ca")
    certificate_pem = models.TextField(_("根证书（PEM）"))
    key_blob = models.BinaryField(_("加密私钥"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("设备根证书")
        verbose_name_plural = _("设备根证书")

    def __str__(self) -> str:
        return str(self.district)


class DeviceState(models.TextChoices):
    ACTIVE = "active", _("在用")
    SUSPENDED = "suspended", _("暂停")
    RETIRED = "retired", _("已停用")


class SealDevice(models.Model):
    """One terminal. Before enrolment it has only an enrolment code's hash; after, the
    public key and certificate of the key it generated itself. Live figures (battery, ink,
    last seen) are a cache of its latest hello; the events are the record."""

    village = models.ForeignKey(Village, on_delete=models.PROTECT, related_name="seal_devices")
    serial = models.CharField(_("终端序列号"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=60)
    firmware = models.CharField(_("固件版本"), max_length=40, blank=True)
    state = models.CharField(
        _("状态"), max_length=10, choices=DeviceState.choices, default=DeviceState.ACTIVE
    )
    enrol_code_hash = models.CharField(max_length=64, blank=True)
    enrol_code_expires_at = models.DateTimeField(_("注册码有效期"), null=True, blank=True)
    enrolled_at = models.DateTimeField(_("注册时间"), null=True, blank=True)
    key_alg = models.CharField(_("签名算法"), max_length=10, blank=True)
    public_key_pem = models.TextField(_("终端公钥"), blank=True)
    certificate_pem = models.TextField(_("终端证书"), blank=True)
    command_seq = models.PositiveIntegerField(default=0)
    last_seen_at = models.DateTimeField(_("最近联系"), null=True, blank=True)
    online = models.BooleanField(_("在线"), default=False)
    offline_alarmed_at = models.DateTimeField(null=True, blank=True)
    battery = models.PositiveSmallIntegerField(_("电量（%）"), null=True, blank=True)
    ink = models.PositiveSmallIntegerField(_("印油（%）"), null=True, blank=True)
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("智能印章终端")
        verbose_name_plural = _("智能印章终端")
        ordering: ClassVar = ["village", "serial"]

    def __str__(self) -> str:
        return f"{self.name}（{self.serial}）"

    @property
    def is_enrolled(self) -> bool:
        return bool(self.public_key_pem)


class DeviceSlot(models.Model):
    """One seal's place in a terminal (终端槽位), e.g. 党组织 / 村委会 / 经联社. A physical
    seal sits in at most one slot of all terminals."""

    device = models.ForeignKey(SealDevice, on_delete=models.PROTECT, related_name="slots")
    code = models.CharField(_("槽位编号"), max_length=20)
    seal = models.OneToOneField(Seal, on_delete=models.PROTECT, related_name="device_slot")

    class Meta:
        verbose_name = _("终端槽位")
        verbose_name_plural = _("终端槽位")
        ordering: ClassVar = ["device", "code"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["device", "code"], name="deviceslot_unique_code"),
        ]

    def __str__(self) -> str:
        return f"{self.device.serial}/{self.code}"


class AuthorizationStatus(models.TextChoices):
    PENDING = "pending", _("待第二位管理员确认")
    ACTIVE = "active", _("有效")
    USED = "used", _("已用完")
    REVOKED = "revoked", _("已撤销")
    EXPIRED = "expired", _("已过期")


class StampAuthorization(models.Model):
    """Permission for one slot to stamp `count` times between `not_before` and
    `not_after` (用印授权). `used` counts authorized stamps only; the check constraint
    makes "never more than k" a database fact, and the service raises it with a
    conditional UPDATE so racing reports cannot pass it either.

    The one-time code is printed as a QR code on the approved sheet; only its SHA-256 is
    kept (the terminal gets the same hash and compares the scanned code offline).
    An emergency authorization (先行用章) has no request yet and must be approved
    afterwards by `approve_by`.
    """

    device = models.ForeignKey(SealDevice, on_delete=models.PROTECT, related_name="authorizations")
    slot = models.ForeignKey(DeviceSlot, on_delete=models.PROTECT, related_name="authorizations")
    request = models.ForeignKey(
        SealRequest,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="stamp_authorizations",
    )
    count = models.PositiveSmallIntegerField(_("授权次数"))
    used = models.PositiveSmallIntegerField(_("已盖次数"), default=0)
    not_before = models.DateTimeField(_("开始时间"))
    not_after = models.DateTimeField(_("截止时间"))
    document_sha256 = models.CharField(_("文件 SHA-256"), max_length=64, blank=True)
    code_hash = models.CharField(max_length=64, unique=True)
    code = models.CharField(_("一次性用印码"), max_length=20)
    status = models.CharField(
        _("状态"),
        max_length=10,
        choices=AuthorizationStatus.choices,
        default=AuthorizationStatus.ACTIVE,
    )
    needs_second = models.BooleanField(_("需两位管理员"), default=False)
    created_by = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    confirmed_by = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("授权时间"), auto_now_add=True)
    confirmed_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    ended_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    ended_by = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    end_reason = models.CharField(_("撤销理由"), max_length=200, blank=True)
    emergency = models.BooleanField(_("先行用章"), default=False)
    emergency_reason = models.CharField(_("紧急用章理由"), max_length=500, blank=True)
    approve_by = models.DateTimeField(_("补批截止时间"), null=True, blank=True)
    emergency_approved_at = models.DateTimeField(_("补批时间"), null=True, blank=True)
    emergency_approved_by = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("用印授权")
        verbose_name_plural = _("用印授权")
        ordering: ClassVar = ["-created_at", "-pk"]
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(used__lte=F("count")), name="authorization_used_le_count"
            ),
            models.CheckConstraint(
                condition=Q(request__isnull=False) | Q(emergency=True),
                name="authorization_request_or_emergency",
            ),
        ]

    def __str__(self) -> str:
        label = self.request.number if self.request_id and self.request else _("先行用章")
        return f"{label} · {self.slot}"

    @property
    def remaining(self) -> int:
        return max(self.count - self.used, 0)


class DeviceEvent(models.Model):
    """One signed message a terminal sent, stored exactly once per (device, boot, seq).

    `message` is the canonical JSON text as received (with its signature), so the record
    can be re-verified against the device's public key at any time."""

    device = models.ForeignKey(SealDevice, on_delete=models.PROTECT, related_name="events")
    boot = models.CharField(max_length=36)
    seq = models.PositiveBigIntegerField()
    event_id = models.CharField(max_length=36)
    type = models.CharField(max_length=20)
    device_time = models.DateTimeField(_("终端时间"))
    server_time = models.DateTimeField(_("接收时间"), auto_now_add=True)
    hash = models.CharField(max_length=64)
    prev = models.CharField(max_length=64)
    message = models.TextField()
    via = models.CharField(max_length=10, default="https")

    class Meta:
        verbose_name = _("终端事件")
        verbose_name_plural = _("终端事件")
        ordering: ClassVar = ["device", "boot", "seq"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["device", "boot", "seq"], name="deviceevent_once"),
        ]
        indexes: ClassVar = [
            models.Index(fields=["device", "-server_time"], name="deviceevent_latest"),
        ]

    def __str__(self) -> str:
        return f"{self.device_id}/{self.boot[:8]}/{self.seq} {self.type}"


class DeviceBoot(models.Model):
    """Per boot of a terminal: the highest sequence number up to which every event is
    stored (the cumulative acknowledgement) and the highest seen (a gap lies between)."""

    device = models.ForeignKey(SealDevice, on_delete=models.PROTECT, related_name="boots")
    boot = models.CharField(max_length=36)
    acked_seq = models.PositiveBigIntegerField(default=0)
    max_seq = models.PositiveBigIntegerField(default=0)
    started_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["device", "boot"], name="deviceboot_once"),
        ]

    def __str__(self) -> str:
        return f"{self.device_id}/{self.boot}"


class StampStatus(models.TextChoices):
    AUTHORIZED = "authorized", _("已授权")
    OVER_COUNT = "over_count", _("超次数")
    NO_GRANT = "no_grant", _("无授权（先盖后批）")
    OUTSIDE_WINDOW = "outside_window", _("超出授权时间")
    CODE_MISMATCH = "code_mismatch", _("审用不符")


class DevicePhoto(models.Model):
    """A photo a terminal took of a stamped page, stored under its own SHA-256."""

    device = models.ForeignKey(SealDevice, on_delete=models.PROTECT, related_name="photos")
    sha256 = models.CharField(max_length=64, unique=True)
    file = models.FileField(max_length=200)
    size = models.PositiveIntegerField()
    content_type = models.CharField(max_length=40)
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("盖章照片")
        verbose_name_plural = _("盖章照片")

    def __str__(self) -> str:
        return self.sha256


class StampEvent(models.Model):
    """One physical stamp (盖章记录): who, when (device and server time), with which
    code, the photo's hash, and how it was judged."""

    event = models.OneToOneField(DeviceEvent, on_delete=models.PROTECT, related_name="stamp")
    device = models.ForeignKey(SealDevice, on_delete=models.PROTECT, related_name="stamps")
    slot = models.ForeignKey(
        DeviceSlot, on_delete=models.PROTECT, null=True, blank=True, related_name="stamps"
    )
    authorization = models.ForeignKey(
        StampAuthorization,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="stamps",
    )
    request = models.ForeignKey(
        SealRequest,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="stamp_events",
    )
    status = models.CharField(_("判定"), max_length=16, choices=StampStatus.choices)
    operator = models.CharField(_("盖章人"), max_length=60, blank=True)
    photo_sha256 = models.CharField(_("照片 SHA-256"), max_length=64, blank=True)
    device_time = models.DateTimeField(_("终端时间"))
    server_time = models.DateTimeField(_("接收时间"))

    class Meta:
        verbose_name = _("盖章记录")
        verbose_name_plural = _("盖章记录")
        ordering: ClassVar = ["device_time", "pk"]

    def __str__(self) -> str:
        return f"{self.device_id} {self.device_time:%Y-%m-%d %H:%M} {self.status}"


class DeviceAlarm(models.Model):
    """A terminal's alarm (告警), reported by it or raised by the server."""

    device = models.ForeignKey(SealDevice, on_delete=models.PROTECT, related_name="alarms")
    kind = models.CharField(_("类型"), max_length=24)
    detail = models.JSONField(_("详情"), default=dict)
    event = models.ForeignKey(
        DeviceEvent, on_delete=models.PROTECT, null=True, blank=True, related_name="alarms"
    )
    raised_at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("终端告警")
        verbose_name_plural = _("终端告警")
        ordering: ClassVar = ["-raised_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.device_id} {self.kind}"


class DeviceCommand(models.Model):
    """A signed command for a terminal (grant, revoke), numbered per device. HTTPS
    terminals fetch it by long-polling; the MQTT bridge publishes it and sets
    `published_at`. The terminal's `ack` event sets `acked_at` and `result`."""

    device = models.ForeignKey(SealDevice, on_delete=models.PROTECT, related_name="commands")
    seq = models.PositiveIntegerField()
    type = models.CharField(max_length=20)
    authorization = models.ForeignKey(
        StampAuthorization, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    message = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    acked_at = models.DateTimeField(null=True, blank=True)
    result = models.CharField(max_length=20, blank=True)

    class Meta:
        ordering: ClassVar = ["device", "seq"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["device", "seq"], name="devicecommand_once"),
        ]

    def __str__(self) -> str:
        return f"{self.device_id}#{self.seq} {self.type}"
