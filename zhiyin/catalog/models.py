"""The district's catalog of matters (用章事项目录), their approval chains, and the
negative list of certificates villages must not issue.

A `Matter` says what a seal may be used for and which `ApprovalChain` its requests go
through. Chains are versioned: editing a chain creates a new version and points the
matter at it, while requests in flight keep the version they started with.
"""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.utils.translation import gettext_lazy as _

from zhiyin.orgs.models import Bureau, District, Role


class MatterCategory(models.TextChoices):
    CERTIFICATE = "certificate", _("证明")
    CONTRACT = "contract", _("合同协议")
    FINANCE = "finance", _("财务")
    REPORT = "report", _("上报材料")
    PARTY = "party", _("党务")
    OTHER = "other", _("其他")


class MatterTier(models.TextChoices):
    """Approval tiers of the national guidance on village seals (国办发〔2001〕52号)."""

    CUSTODIAN_DIRECT = "custodian_direct", _("印章管理员核实后直接用印")
    DIRECTOR_SIGNS = "director_signs", _("村主任（书记）签字后用印")
    MEETING_DECIDES = "meeting_decides", _("村民（代表）会议决定后用印")
    JOINT_SEAL = "joint_seal", _("联章联签")


class OwnerLevel(models.TextChoices):
    VILLAGE = "village", _("村（社区）")
    GROUP = "group", _("村民小组")
    COLLECTIVE = "collective", _("集体经济组织")


class TimeUnit(models.TextChoices):
    WORKING_HOURS = "hours", _("工作小时")
    WORKING_DAYS = "days", _("工作日")


class ApprovalChain(models.Model):
    """One version of an ordered list of steps. Never edited once a request uses it."""

    district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="approval_chains")
    name = models.CharField(_("名称"), max_length=100)
    version = models.PositiveIntegerField(_("版本"), default=1)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("审批链")
        verbose_name_plural = _("审批链")
        ordering: ClassVar = ["name", "-version"]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["district", "name", "version"], name="chain_unique_version"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"


class ChainStep(models.Model):
    """One step of a chain: who decides (role at a scope level), within what time, how many."""

    chain = models.ForeignKey(ApprovalChain, on_delete=models.PROTECT, related_name="steps")
    position = models.PositiveSmallIntegerField(_("顺序"))
    name = models.CharField(_("环节名称"), max_length=50)
    role = models.CharField(_("角色"), max_length=20, choices=Role.choices)
    scope_level = models.CharField(
        _("范围"),
        max_length=10,
        choices=[("group", _("村民小组")), ("village", _("村")), ("district", _("区"))],
    )
    time_limit = models.PositiveIntegerField(_("时限"))
    time_unit = models.CharField(
        _("时限单位"), max_length=5, choices=TimeUnit.choices, default=TimeUnit.WORKING_HOURS
    )
    approvers_needed = models.PositiveSmallIntegerField(_("所需审批人数"), default=1)

    class Meta:
        verbose_name = _("审批环节定义")
        verbose_name_plural = _("审批环节定义")
        ordering: ClassVar = ["chain", "position"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["chain", "position"], name="chainstep_unique_position"),
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.name}"


class Matter(models.Model):
    """A catalog entry (用章事项): what a seal may be used for, and how it is approved."""

    district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="matters")
    code = models.CharField(_("事项编码"), max_length=20)
    name = models.CharField(_("事项名称"), max_length=100)
    category = models.CharField(_("类别"), max_length=15, choices=MatterCategory.choices)
    tier = models.CharField(_("审批层级"), max_length=20, choices=MatterTier.choices)
    legal_basis = models.CharField(_("依据"), max_length=300)
    seal_kinds = models.JSONField(_("可用印章种类"), default=list)
    owner_levels = models.JSONField(_("可用印章所属"), default=list)
    required_attachments = models.JSONField(_("必需附件"), default=list)
    electronic_allowed = models.BooleanField(_("允许电子印章"), default=True)
    target_bureau = models.ForeignKey(
        Bureau,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="matters",
        verbose_name=_("送达部门"),
    )
    chain = models.ForeignKey(
        ApprovalChain, on_delete=models.PROTECT, related_name="matters", verbose_name=_("审批链")
    )
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("用章事项")
        verbose_name_plural = _("用章事项")
        ordering: ClassVar = ["code"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["district", "code"], name="matter_unique_code"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class NegativeListItem(models.Model):
    """A certificate or demand villages must not issue (负面清单), with where to go instead."""

    district = models.ForeignKey(
        District,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="negative_list",
        help_text=_("留空表示全国统一清单。"),
    )
    name = models.CharField(_("名称"), max_length=100)
    aliases = models.JSONField(_("别称"), default=list, blank=True)
    reason = models.TextField(_("不再出具的理由"))
    where_instead = models.TextField(_("替代办理途径"))
    source = models.CharField(_("来源"), max_length=100, default="民发〔2020〕20号")

    class Meta:
        verbose_name = _("负面清单事项")
        verbose_name_plural = _("负面清单")
        ordering: ClassVar = ["pk"]

    def __str__(self) -> str:
        return self.name


class NegativeListAlias(models.Model):
    """A district's own wording for a negative-list item, national or its own: how its
    residents ask for that certificate. A plain phrase is found as written (e.g. 开个在世
    证明); a phrase with `+` is a cue whose parts must all appear as words, `|` between
    alternatives (e.g. 狗|犬+上户口)."""

    district = models.ForeignKey(
        District, on_delete=models.PROTECT, related_name="negative_list_aliases"
    )
    item = models.ForeignKey(
        NegativeListItem,
        on_delete=models.CASCADE,
        related_name="district_aliases",
        verbose_name=_("负面清单事项"),
    )
    phrase = models.CharField(
        _("说法"),
        max_length=100,
        help_text=_("群众的原话或关键词。用“+”连接必须同时出现的词，用“|”分隔可以互换的词。"),
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("负面清单群众说法")
        verbose_name_plural = _("负面清单群众说法")
        ordering: ClassVar = ["item", "phrase"]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["district", "item", "phrase"], name="negative_alias_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item.name}：{self.phrase}"
