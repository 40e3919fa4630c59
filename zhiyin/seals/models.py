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

from zhiyin.orgs.models import Collective, Village, VillageGroup


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
