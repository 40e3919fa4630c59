"""Resident services (办事服务) and the applications residents file from their phones.

A `Service` is data: its form definition (fields, types, units, validation, prefill
keys), the attachments it asks for, its eligibility rules, an optional `Subsidy` that
computes the amount, and the catalog `Matter` its seal request uses.

An `Application` lives on the resident's side of the seal request it becomes:

    submitted ──clerk accepts (seal request created and submitted)──▶ processing
        │                                                    │   │   │
        └─withdraw─▶ withdrawn ◀─withdraw (no decision yet)──┘   │   └─▶ approved ─▶ completed
                                                                 │
                     returned (退回) ◀────────────────────────────┤──────────▶ rejected
                        │ resident edits (answers kept)
                        ▼
                     resubmitted ──clerk updates and resubmits──▶ processing

`processing`, `approved`, `completed`, `returned` and `rejected` mirror the linked
`SealRequest`; `application_sync` copies them over and tells the resident. The link
is kept here (`Application.seal_request`), so approvals need not know the portal.
"""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from zhiyin.approvals.models import SealRequest
from zhiyin.catalog.models import Matter
from zhiyin.orgs.models import District, Person, Village, VillageGroup

#: Prefill keys a register entry (and a person's profile) can answer.
PREFILL_KEYS = ("real_name", "id_number", "social_security_number", "village", "group", "phone")


class RegisterEntry(models.Model):
    """One resident as the district's register (户籍/社保底册) knows them.

    `fixed_fields` lists the prefill keys a resident may not change on a form (e.g. the
    ID number); everything else is only a suggestion.
    """

    district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="+")
    real_name = models.CharField(_("姓名"), max_length=50)
    id_number = models.CharField(_("身份证号"), max_length=18)
    social_security_number = models.CharField(_("社会保障卡号"), max_length=20, blank=True)
    village = models.ForeignKey(Village, on_delete=models.PROTECT, related_name="+")
    group = models.ForeignKey(
        VillageGroup, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    phone = models.CharField(_("手机号"), max_length=11, blank=True)
    fixed_fields = models.JSONField(_("不可修改的字段"), default=list, blank=True)
    imported_at = models.DateTimeField(_("导入时间"), auto_now=True)

    class Meta:
        verbose_name = _("村民底册")
        verbose_name_plural = _("村民底册")
        ordering: ClassVar = ["village", "group", "real_name"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["district", "id_number"], name="register_unique_id"),
        ]

    def __str__(self) -> str:
        return self.real_name


class PortalSettings(models.Model):
    """A district's choices for the resident portal."""

    district = models.OneToOneField(District, on_delete=models.PROTECT, related_name="+")
    show_official_names = models.BooleanField(
        _("进度中显示审批人姓名"),
        default=False,
        help_text=_("默认只显示岗位（如“支部书记”），不显示工作人员姓名。"),
    )

    class Meta:
        verbose_name = _("村民办事设置")
        verbose_name_plural = _("村民办事设置")

    def __str__(self) -> str:
        return str(self.district)


class ServiceKind(models.TextChoices):
    SUBSIDY = "subsidy", _("补贴申请")
    CERTIFICATE = "certificate", _("证明")
    OTHER = "other", _("其他")


class Service(models.Model):
    """A service residents can apply for (办事服务), defined as data.

    `form` is {"fields": [{"key", "label", "type", "unit", "choices", "min", "max",
    "max_length", "required", "prefill", "page", "help"}]}; types are text, choice,
    integer, decimal, phone and id_number. `attachments` is [{"key", "label",
    "required"}]. `eligibility` is {"season_start": "MM-DD", "season_end": "MM-DD"}
    (a season may run over the new year). `certificate` is the text of the document a
    certificate service generates, with {field} placeholders.
    """

    district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="+")
    code = models.SlugField(_("编码"), max_length=40)
    name = models.CharField(_("名称"), max_length=100)
    description = models.TextField(_("说明"), blank=True)
    kind = models.CharField(_("类型"), max_length=12, choices=ServiceKind.choices)
    matter = models.ForeignKey(
        Matter, on_delete=models.PROTECT, related_name="+", verbose_name=_("用章事项")
    )
    form = models.JSONField(_("表单定义"), default=dict)
    attachments = models.JSONField(_("附件要求"), default=list, blank=True)
    eligibility = models.JSONField(_("申请条件"), default=dict, blank=True)
    certificate = models.JSONField(_("证明文书"), default=dict, blank=True)
    position = models.PositiveSmallIntegerField(_("排序"), default=0)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("办事服务")
        verbose_name_plural = _("办事服务")
        ordering: ClassVar = ["position", "pk"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["district", "code"], name="service_unique_code"),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        """A matter that needs supporting files (必需附件) can only be offered through a
        service that asks the resident for at least one: the clerk could never turn the
        application into a seal request otherwise."""
        super().clean()
        if self.matter_id is None:
            return
        needed = [str(name) for name in (self.matter.required_attachments or [])]
        asked = [a for a in (self.attachments or []) if isinstance(a, dict) and a.get("required")]
        if needed and not asked:
            raise ValidationError(
                {
                    "attachments": _(
                        "用章事项“%(matter)s”需要佐证附件（%(names)s）：请至少设置一项必须上传的附件。"
                    )
                    % {"matter": self.matter.name, "names": "、".join(needed)}
                }
            )


class SubsidyRule(models.TextChoices):
    PER_CROP_AREA = "per_crop_area", _("按茬数和面积")
    PER_CHOICE_AREA = "per_choice_area", _("按类型和面积")


class Subsidy(models.Model):
    """The rule that computes a service's amount (补贴), with the rates as district data.

    `per_crop_area`: amount = area × (rates[0] + … + rates[crops-1]); the n-th crop of a
    season earns the n-th rate, so two crops at 200 and 300 元/亩 earn 500 元/亩. With
    `crop_area_fields` each crop has its own area (farmers often plant the second crop on
    a different plot): amount = area₁ × rates[0] + area₂ × rates[1] + …; a later crop's
    area left blank counts as the first crop's.
    `per_choice_area`: amount = area × rates[choice], e.g. by film type.
    """

    service = models.OneToOneField(Service, on_delete=models.CASCADE, related_name="subsidy")
    rule = models.CharField(_("计算规则"), max_length=20, choices=SubsidyRule.choices)
    area_field = models.CharField(_("面积字段"), max_length=40)
    count_field = models.CharField(_("茬数字段"), max_length=40, blank=True)
    choice_field = models.CharField(_("类型字段"), max_length=40, blank=True)
    rates = models.JSONField(_("标准（元/亩）"))
    crop_area_fields = models.JSONField(
        _("每茬面积字段"),
        default=list,
        blank=True,
        help_text=_("按茬数计算时，每一茬各自的面积字段，依次填写；留空则各茬按同一面积计算。"),
    )
    min_area = models.DecimalField(_("最小面积（亩）"), max_digits=10, decimal_places=2)

    class Meta:
        verbose_name = _("补贴规则")
        verbose_name_plural = _("补贴规则")

    def __str__(self) -> str:
        return str(self.service)


class ExcludedGrower(models.Model):
    """Someone a subsidy does not pay (e.g. growers already rewarded as a core base)."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="excluded")
    id_number = models.CharField(_("身份证号"), max_length=18)
    name = models.CharField(_("姓名/单位"), max_length=100)
    reason = models.CharField(_("原因"), max_length=200)

    class Meta:
        verbose_name = _("不予补贴名单")
        verbose_name_plural = _("不予补贴名单")
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["service", "id_number"], name="excluded_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class LoginCode(models.Model):
    """A one-time login code sent to a phone. Only an HMAC of the code is stored."""

    phone = models.CharField(_("手机号"), max_length=11, db_index=True)
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(_("发送时间"), auto_now_add=True)
    expires_at = models.DateTimeField(_("失效时间"))
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    used_at = models.DateTimeField(_("使用时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("短信验证码")
        verbose_name_plural = _("短信验证码")
        ordering: ClassVar = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.phone


class ApplicationStatus(models.TextChoices):
    SUBMITTED = "submitted", _("已提交，等待村委会受理")
    PROCESSING = "processing", _("审批中")
    RETURNED = "returned", _("已退回，请修改")
    RESUBMITTED = "resubmitted", _("已重新提交")
    APPROVED = "approved", _("已批准，等待盖章")
    COMPLETED = "completed", _("已盖章")
    REJECTED = "rejected", _("未通过")
    WITHDRAWN = "withdrawn", _("已撤回")


FINAL_STATUSES = frozenset(
    {ApplicationStatus.COMPLETED, ApplicationStatus.REJECTED, ApplicationStatus.WITHDRAWN}
)


class Application(models.Model):
    """What a resident submits (办事申请). `answers` keeps every field, so a returned
    application is edited, not retyped; `amount` is always the server's computation."""

    number = models.CharField(_("申请编号"), max_length=40, unique=True)
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="applications")
    resident = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="applications", verbose_name=_("申请人")
    )
    filed_by = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="+", verbose_name=_("填报人")
    )
    village = models.ForeignKey(Village, on_delete=models.PROTECT, related_name="+")
    group = models.ForeignKey(
        VillageGroup, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    answers = models.JSONField(_("填报内容"), default=dict)
    fixed_keys = models.JSONField(_("底册锁定字段"), default=list, blank=True)
    amount = models.DecimalField(
        _("补贴金额（元）"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    status = models.CharField(
        _("状态"),
        max_length=12,
        choices=ApplicationStatus.choices,
        default=ApplicationStatus.SUBMITTED,
    )
    seal_request = models.OneToOneField(
        SealRequest, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    progress_key = models.CharField(max_length=60, blank=True)
    comment = models.CharField(_("退回/驳回意见"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("提交时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("办事申请")
        verbose_name_plural = _("办事申请")
        ordering: ClassVar = ["-created_at", "-pk"]
        indexes: ClassVar = [
            models.Index(fields=["village", "status"], name="application_village_status"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.service.name}"

    @property
    def amount_text(self) -> str:
        return "" if self.amount is None else f"{self.amount.quantize(Decimal('0.01'))}"


class ApplicationFile(models.Model):
    """Evidence (佐证附件) uploaded with an application, stored under its SHA-256."""

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="files")
    label = models.CharField(_("附件名称"), max_length=50)
    file = models.FileField(_("文件"), max_length=200)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveBigIntegerField(_("大小（字节）"))
    content_type = models.CharField(_("文件类型"), max_length=50)
    original_name = models.CharField(_("原文件名"), max_length=200)
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)
    uploaded_by = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("佐证附件")
        verbose_name_plural = _("佐证附件")
        ordering: ClassVar = ["pk"]

    def __str__(self) -> str:
        return self.original_name


class ApplicationEvent(models.Model):
    """A step on the resident's side of the timeline (submitted, accepted, returned…)."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20)
    text = models.CharField(_("内容"), max_length=300)
    at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        ordering: ClassVar = ["at", "pk"]

    def __str__(self) -> str:
        return self.text
