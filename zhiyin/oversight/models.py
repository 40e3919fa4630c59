"""Warnings for inspectors (预警), the rules that raise them, and ledger exports.

A `WarningRule` is data: its parameters, severity and basis are edited by admins, each
change bumps `version` and leaves a `WarningRuleVersion` snapshot, so a warning can name
the exact rule text it was raised under. The rule's *logic* is code in `rules.py`, looked
up by `code`.

A `Warning` is raised at most once per fact: `(rule, fact_key)` is unique, and raising is
an insert that ignores a conflict, so a sweep run twice or on two workers adds nothing.

    red (open) ──rectify (village explains, evidence)──▶ yellow ──close (inspector)──▶ closed
      │                                                    │
      └────────────── dismiss request (reason) ────────────┴──▶ dismiss_pending
                                                                 │ confirm (senior) ──▶ dismissed
                                                                 └ refuse (senior)  ──▶ back
"""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.utils.translation import gettext_lazy as _

from zhiyin.orgs.models import District, Person, Village


class Severity(models.TextChoices):
    HIGH = "high", _("严重")
    MEDIUM = "medium", _("一般")
    LOW = "low", _("提示")


class Misuse(models.TextChoices):
    """The kinds of seal misuse supervision platforms name."""

    LATE = "late", _("用印超时")
    IDLE = "idle", _("批而未用")
    FAVOUR = "favour", _("人情章")
    BLANK = "blank", _("空白章")
    STAMP_FIRST = "stamp_first", _("先盖后批")
    MISMATCH = "mismatch", _("审用不符")
    PRIVATE = "private", _("公章变私章")
    OVER_COUNT = "over_count", _("超次数用印")
    NO_RESOLUTION = "no_resolution", _("未经民主决策")
    LOW_RENT = "low_rent", _("低价发包")
    DEVICE = "device", _("设备异常")


class WarningRule(models.Model):
    """One warning rule as data (预警规则). `parameters` are the thresholds the rule's code
    reads; `version` goes up by one on every change (see `WarningRuleVersion`)."""

    code = models.CharField(_("规则编码"), max_length=40, unique=True)
    name = models.CharField(_("规则名称"), max_length=60)
    misuse = models.CharField(_("针对问题"), max_length=20, choices=Misuse.choices)
    severity = models.CharField(_("严重程度"), max_length=10, choices=Severity.choices)
    parameters = models.JSONField(_("参数"), default=dict, blank=True)
    basis = models.CharField(_("政策依据"), max_length=300)
    description = models.CharField(_("说明"), max_length=300, blank=True)
    enabled = models.BooleanField(_("启用"), default=True)
    version = models.PositiveIntegerField(_("版本"), default=1)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("预警规则")
        verbose_name_plural = _("预警规则")
        ordering: ClassVar = ["code"]

    def __str__(self) -> str:
        return f"{self.name}（v{self.version}）"

    def snapshot(self) -> dict[str, object]:
        return {
            "code": self.code,
            "name": self.name,
            "misuse": self.misuse,
            "severity": self.severity,
            "parameters": self.parameters,
            "basis": self.basis,
            "enabled": self.enabled,
            "version": self.version,
        }


class WarningRuleVersion(models.Model):
    """A rule as it stood at one version: what a warning raised under it was judged by."""

    rule = models.ForeignKey(WarningRule, on_delete=models.PROTECT, related_name="versions")
    version = models.PositiveIntegerField(_("版本"))
    snapshot = models.JSONField(_("规则内容"))
    changed_at = models.DateTimeField(_("修改时间"), auto_now_add=True)
    changed_by = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("预警规则版本")
        verbose_name_plural = _("预警规则版本")
        ordering: ClassVar = ["rule", "version"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["rule", "version"], name="warningruleversion_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.rule.code} v{self.version}"


class WarningState(models.TextChoices):
    RED = "red", _("红色（待处置）")
    YELLOW = "yellow", _("黄色（整改中）")
    DISMISS_PENDING = "dismiss_pending", _("撤销待复核")
    CLOSED = "closed", _("已办结")
    DISMISSED = "dismissed", _("已撤销")


OPEN_STATES = frozenset({WarningState.RED, WarningState.YELLOW, WarningState.DISMISS_PENDING})


class Warning(models.Model):
    """One raised warning (预警) with the facts it rests on (对比判别依据).

    `facts` is a list of {"label", "expected", "actual"} comparisons plus free detail,
    frozen when raised; `rule_version` names the rule text used.
    """

    rule = models.ForeignKey(WarningRule, on_delete=models.PROTECT, related_name="warnings")
    rule_version = models.PositiveIntegerField(_("规则版本"))
    fact_key = models.CharField(_("事实标识"), max_length=120)
    district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="+")
    village = models.ForeignKey(
        Village, on_delete=models.PROTECT, related_name="warnings", verbose_name=_("村（社区）")
    )
    severity = models.CharField(_("严重程度"), max_length=10, choices=Severity.choices)
    state = models.CharField(
        _("状态"), max_length=16, choices=WarningState.choices, default=WarningState.RED
    )
    summary = models.CharField(_("摘要"), max_length=300)
    facts = models.JSONField(_("对比判别依据"), default=list)
    request = models.ForeignKey(
        "approvals.SealRequest",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("用印申请"),
    )
    seal = models.ForeignKey(
        "seals.Seal", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    source_event_seq = models.PositiveBigIntegerField(_("来源留痕序号"), null=True, blank=True)
    occurred_at = models.DateTimeField(_("发生时间"))
    raised_at = models.DateTimeField(_("预警时间"))
    explanation = models.TextField(_("整改说明"), blank=True)
    rectified_at = models.DateTimeField(_("提交整改时间"), null=True, blank=True)
    rectified_by = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    conclusion = models.TextField(_("办结结论"), blank=True)
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    closed_by = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    dismiss_reason = models.TextField(_("撤销理由"), blank=True)
    dismiss_from = models.CharField(_("申请撤销前状态"), max_length=16, blank=True)
    dismiss_requested_by = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    dismiss_confirmed_by = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("预警")
        verbose_name_plural = _("预警")
        ordering: ClassVar = ["-raised_at", "-pk"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["rule", "fact_key"], name="warning_once_per_fact"),
        ]
        indexes: ClassVar = [
            models.Index(fields=["village", "state", "raised_at"], name="warning_village_state"),
            models.Index(fields=["district", "state", "raised_at"], name="warning_district_state"),
            models.Index(fields=["request"], name="warning_request"),
        ]

    def __str__(self) -> str:
        return f"{self.rule.name} · {self.summary}"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES


class WarningEvidence(models.Model):
    """A file the village attaches to its rectification (预警消除申请), stored by SHA-256."""

    warning = models.ForeignKey(Warning, on_delete=models.PROTECT, related_name="evidence")
    file = models.FileField(_("文件"), max_length=200)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    size = models.PositiveBigIntegerField(_("大小（字节）"))
    content_type = models.CharField(_("文件类型"), max_length=50)
    original_name = models.CharField(_("原文件名"), max_length=200)
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)
    uploaded_by = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("整改佐证")
        verbose_name_plural = _("整改佐证")
        ordering: ClassVar = ["pk"]

    def __str__(self) -> str:
        return self.original_name


class ExportStatus(models.TextChoices):
    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("生成中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")


class LedgerExport(models.Model):
    """A ledger file built in the background (large periods); `done`/`total` drive the
    progress bar. Claimed with a conditional update, so two workers never build one."""

    requested_by = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    village = models.ForeignKey(Village, on_delete=models.PROTECT, related_name="+")
    start = models.DateField(_("起始日期"))
    end = models.DateField(_("截止日期"))
    file_format = models.CharField(_("格式"), max_length=4)
    public = models.BooleanField(_("村务公开版"), default=False)
    status = models.CharField(
        _("状态"), max_length=10, choices=ExportStatus.choices, default=ExportStatus.QUEUED
    )
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    file = models.FileField(_("文件"), max_length=200, blank=True)
    error = models.CharField(_("错误"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("台账导出")
        verbose_name_plural = _("台账导出")
        ordering: ClassVar = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.village} {self.start}–{self.end} {self.file_format}"

    @property
    def percent(self) -> int:
        if self.status == ExportStatus.DONE:
            return 100
        return int(100 * self.done / self.total) if self.total else 0
