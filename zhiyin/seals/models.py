"""The seals registry: every official seal a village, group or collective owns.

A seal is physical, electronic or both. Its status moves

    active ──suspend──▶ suspended ──reinstate──▶ active
      │                     │
      └──────retire─────────┴──▶ retired   (final)

and every move is a service call that records who did it and why. The custodians who
hold a village's seals are `RoleGrant`s (role custodian, scope the village), two per
village.
"""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from zhiyin.orgs.models import Collective, District, Village, VillageGroup


class SealKind(models.TextChoices):
    """The kinds of seal a village keeps (REFERENCE.md, Seals)."""

    PARTY = "party", _("党组织章")
    COMMITTEE = "committee", _("村民委员会章")
    COLLECTIVE = "collective", _("村集体经济组织章")
    GROUP = "group", _("村民小组章")
    FINANCE = "finance", _("财务专用章")
    CONTRACT = "contract", _("合同专用章")
    CERTIFICATE = "certificate", _("证明专用章")


#: Special-purpose seals: 40 mm, with their purpose printed straight near the bottom.
SPECIAL_PURPOSE_KINDS = frozenset({SealKind.FINANCE, SealKind.CONTRACT, SealKind.CERTIFICATE})


class SealOwnerLevel(models.TextChoices):
    VILLAGE = "village", _("村（社区）")
    GROUP = "group", _("村民小组")
    COLLECTIVE = "collective", _("集体经济组织")


class SealStatus(models.TextChoices):
    ACTIVE = "active", _("在用")
    SUSPENDED = "suspended", _("暂停使用")
    RETIRED = "retired", _("已停用")


class Seal(models.Model):
    """One official seal. `village` is always set (it is where the seal is kept); a group's
    or collective's seal also names its owner."""

    village = models.ForeignKey(Village, on_delete=models.PROTECT, related_name="seals")
    group = models.ForeignKey(
        VillageGroup, on_delete=models.PROTECT, null=True, blank=True, related_name="seals"
    )
    collective = models.ForeignKey(
        Collective, on_delete=models.PROTECT, null=True, blank=True, related_name="seals"
    )
    kind = models.CharField(_("用章种类"), max_length=20, choices=SealKind.choices)
    name = models.CharField(_("印文（单位名称）"), max_length=60)
    purpose = models.CharField(_("专用章用途"), max_length=20, blank=True)
    code = models.CharField(_("印章编码"), max_length=32, unique=True)
    is_physical = models.BooleanField(_("实物印章"), default=True)
    is_electronic = models.BooleanField(_("电子印章"), default=False)
    status = models.CharField(
        _("状态"), max_length=10, choices=SealStatus.choices, default=SealStatus.ACTIVE
    )
    status_reason = models.CharField(_("状态说明"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    status_changed_at = models.DateTimeField(_("状态变更时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("印章")
        verbose_name_plural = _("印章")
        ordering: ClassVar = ["village", "kind", "code"]
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(group__isnull=True) | Q(collective__isnull=True),
                name="seal_one_owner",
            ),
            models.CheckConstraint(
                condition=Q(is_physical=True) | Q(is_electronic=True),
                name="seal_physical_or_electronic",
            ),
        ]

    def __str__(self) -> str:
        label = f"{self.name}{self.purpose}" if self.purpose else self.name
        return f"{label}（{self.get_kind_display()}）"

    @property
    def owner_level(self) -> str:
        if self.group_id:
            return SealOwnerLevel.GROUP
        if self.collective_id:
            return SealOwnerLevel.COLLECTIVE
        return SealOwnerLevel.VILLAGE

    @property
    def is_special_purpose(self) -> bool:
        return self.kind in SPECIAL_PURPOSE_KINDS

    @property
    def diameter_mm(self) -> int:
        return 40 if self.is_special_purpose else 42


class DistrictCA(models.Model):
    """A district's root certificate authority for electronic seals (one per district).

    Created on first use by ``district_ca_get_or_create`` or imported with
    ``manage.py import_root_ca``. The private key is stored encrypted with the
    key-encryption key from settings (``SEAL_KEK``) and is never handed out. The latest
    CRL is kept here so that serving it is a read; it is rebuilt with a higher
    ``crl_number`` whenever a seal certificate is revoked or the list nears expiry.
    """

    district = models.OneToOneField(District, on_delete=models.PROTECT, related_name="seal_ca")
    certificate_pem = models.TextField(_("根证书（PEM）"))
    key_blob = models.BinaryField(_("加密私钥"))
    crl_number = models.PositiveBigIntegerField(_("吊销列表序号"), default=0)
    crl_der = models.BinaryField(_("吊销列表（DER）"), default=b"")
    crl_next_update = models.DateTimeField(_("吊销列表下次更新"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("区电子印章根证书")
        verbose_name_plural = _("区电子印章根证书")

    def __str__(self) -> str:
        return str(self.district)


class RevocationReason(models.TextChoices):
    SUSPENDED = "suspended", _("印章暂停使用")
    RETIRED = "retired", _("印章停用")
    SUPERSEDED = "superseded", _("已换发新证书")


class ElectronicSeal(models.Model):
    """One key and certificate of a seal (电子印章). A seal may get a new certificate
    later (renewal, reinstatement after suspension), so this is a foreign key; at most one
    row per seal is active — not revoked — which the partial unique constraint enforces.

        active ──revoke (suspend / retire / superseded)──▶ revoked  (final)
    """

    seal = models.ForeignKey(Seal, on_delete=models.PROTECT, related_name="electronic_seals")
    ca = models.ForeignKey(DistrictCA, on_delete=models.PROTECT, related_name="seal_certificates")
    certificate_pem = models.TextField(_("印章证书（PEM）"))
    serial = models.CharField(_("证书序列号"), max_length=50, unique=True)
    key_blob = models.BinaryField(_("加密私钥"))
    not_before = models.DateTimeField(_("生效时间"))
    not_after = models.DateTimeField(_("失效时间"))
    issued_at = models.DateTimeField(_("签发时间"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("注销时间"), null=True, blank=True)
    revocation_reason = models.CharField(
        _("注销原因"), max_length=12, choices=RevocationReason.choices, blank=True
    )

    class Meta:
        verbose_name = _("电子印章")
        verbose_name_plural = _("电子印章")
        ordering: ClassVar = ["seal", "-issued_at"]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["seal"],
                condition=Q(revoked_at__isnull=True),
                name="electronicseal_one_active_per_seal",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.seal.name} #{self.serial}"

    @property
    def serial_int(self) -> int:
        return int(self.serial)
