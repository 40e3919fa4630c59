"""Seal requests (用印申请) and their approval steps.

A `SealRequest` asks to use one seal for one catalog `Matter`. Its status moves only
through the service functions in `services.py`:

    draft ──submit──▶ submitted ──approve (first step)──▶ in_approval ──approve (last)──▶ approved
      ▲                 │  │                                 │  │                         │
      │                 │  └──────────── reject (驳回, reason) ┼──┴──▶ rejected (final)     complete
      │                 │                                    │                            ▼
      └── resubmit ◀── returned (退回) ◀──── return ──────────┘                       completed
          (edit first)    │                                                          (sealed/stamped)
                          └─ (from returned; or from submitted or in_approval while no
                              approver of the current step has acted) ── withdraw ──▶ withdrawn (final)

`submitted` means the first step waits and nobody has decided anything yet; a chain
without steps (custodian seals directly) goes from draft straight to approved. Returned
requests are edited and submitted again; each submission starts a new `round` of
`ApprovalStep`s, while the request keeps the chain version it was first submitted with.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import ClassVar

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhiyin.catalog.models import ApprovalChain, ChainStep, Matter
from zhiyin.orgs.models import District, Person, Role, Village, VillageGroup
from zhiyin.seals.models import Seal


class RequestStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("已提交")
    IN_APPROVAL = "in_approval", _("审批中")
    APPROVED = "approved", _("已批准")
    COMPLETED = "completed", _("已用印")
    RETURNED = "returned", _("已退回")
    REJECTED = "rejected", _("已驳回")
    WITHDRAWN = "withdrawn", _("已撤回")


#: Statuses in which a step waits for a decision.
PENDING_STATUSES = frozenset({RequestStatus.SUBMITTED, RequestStatus.IN_APPROVAL})
#: Statuses in which the applicant may edit the request.
EDITABLE_STATUSES = frozenset({RequestStatus.DRAFT, RequestStatus.RETURNED})


class SealRequest(models.Model):
    """One request to use one seal (用印申请).

    `group` is the villagers' group a group-level step is decided in: the seal's own
    group for a group seal, otherwise the group of the resident the request is made for,
    otherwise the one the clerk names. A request with no group cannot go through a chain
    that has a group step.
    """

    number = models.CharField(_("申请编号"), max_length=40, unique=True)
    village = models.ForeignKey(Village, on_delete=models.PROTECT, related_name="seal_requests")
    group = models.ForeignKey(
        VillageGroup,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="seal_requests",
        verbose_name=_("村民小组"),
    )
    matter = models.ForeignKey(
        Matter, on_delete=models.PROTECT, related_name="seal_requests", verbose_name=_("用章事项")
    )
    chain = models.ForeignKey(ApprovalChain, on_delete=models.PROTECT, related_name="seal_requests")
    seal = models.ForeignKey(
        Seal, on_delete=models.PROTECT, related_name="seal_requests", verbose_name=_("印章")
    )
    stamp_count = models.PositiveSmallIntegerField(_("用印次数"), default=1)
    place_of_use = models.CharField(_("用印地点"), max_length=100)
    purpose = models.CharField(_("用印事由"), max_length=500)
    applicant = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="seal_requests", verbose_name=_("经办人")
    )
    on_behalf_of = models.ForeignKey(
        Person,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="seal_requests_for",
        verbose_name=_("代办村民"),
    )
    status = models.CharField(
        _("状态"), max_length=12, choices=RequestStatus.choices, default=RequestStatus.DRAFT
    )
    round = models.PositiveSmallIntegerField(_("提交轮次"), default=0)
    outcome_comment = models.CharField(_("退回/驳回/撤回理由"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    decided_at = models.DateTimeField(_("审批完成时间"), null=True, blank=True)
    completed_at = models.DateTimeField(_("用印时间"), null=True, blank=True)
    completed_by = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("用印申请")
        verbose_name_plural = _("用印申请")
        ordering: ClassVar = ["-created_at", "-pk"]
        indexes: ClassVar = [
            models.Index(fields=["village", "status"], name="sealrequest_village_status"),
            # Oversight's "one applicant, many requests of one matter" rule, at each submit.
            models.Index(
                fields=["applicant", "matter", "submitted_at"], name="sealrequest_applicant_matter"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.matter.name}"

    @property
    def is_editable(self) -> bool:
        return self.status in EDITABLE_STATUSES

    @property
    def is_pending(self) -> bool:
        return self.status in PENDING_STATUSES


def sha256_path(prefix: str, sha256: str, extension: str) -> str:
    """Content-addressed storage name: documents/ab/abcdef….pdf."""
    return f"{prefix}/{sha256[:2]}/{sha256}.{extension}"


class StoredFile(models.Model):
    """Common shape of a file stored under its SHA-256 through Django's storage API."""

    file = models.FileField(_("文件"), max_length=200)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    size = models.PositiveBigIntegerField(_("大小（字节）"))
    content_type = models.CharField(_("文件类型"), max_length=50)
    original_name = models.CharField(_("原文件名"), max_length=200)
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)
    uploaded_by = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.original_name

    def read_bytes(self) -> bytes:
        with self.file.open("rb") as handle:
            data: bytes = handle.read()
        return data

    def content_matches(self) -> bool:
        """True when the stored bytes still hash to the recorded SHA-256."""
        return hashlib.sha256(self.read_bytes()).hexdigest() == self.sha256


class RequestDocument(StoredFile):
    """A document to be sealed: a PDF for the electronic seal, or page images for
    physical stamping. Its hash is bound to the request; the sealed or stamped document
    must match it."""

    request = models.ForeignKey(SealRequest, on_delete=models.PROTECT, related_name="documents")
    superseded_at = models.DateTimeField(_("撤下时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("待用印文件")
        verbose_name_plural = _("待用印文件")
        ordering: ClassVar = ["pk"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["request", "sha256"], name="document_unique_hash"),
        ]


class RequestAttachment(StoredFile):
    """Evidence (佐证附件) that supports a request, e.g. a meeting resolution."""

    request = models.ForeignKey(SealRequest, on_delete=models.PROTECT, related_name="attachments")

    class Meta:
        verbose_name = _("佐证附件")
        verbose_name_plural = _("佐证附件")
        ordering: ClassVar = ["pk"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["request", "sha256"], name="attachment_unique_hash"),
        ]


class DocumentView(models.Model):
    """A person opened a request's document through the scoped download view. An
    approver must have one for every document before approving (no 糊涂章)."""

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    document = models.ForeignKey(RequestDocument, on_delete=models.PROTECT, related_name="views")
    viewed_at = models.DateTimeField(_("查看时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("文件查阅记录")
        verbose_name_plural = _("文件查阅记录")
        indexes: ClassVar = [
            models.Index(fields=["document", "person"], name="documentview_doc_person"),
        ]

    def __str__(self) -> str:
        return f"{self.person} · {self.document}"


class StepStatus(models.TextChoices):
    WAITING = "waiting", _("未开始")
    ACTIVE = "active", _("待审批")
    DONE = "done", _("已办结")
    CANCELLED = "cancelled", _("已取消")


class Decision(models.TextChoices):
    APPROVE = "approve", _("同意")
    RETURN = "return", _("退回")
    REJECT = "reject", _("驳回")


class ApprovalStep(models.Model):
    """One step of one submission round of one request (审批环节).

    Copied from the chain's `ChainStep` at submission, with the scope resolved to places
    (the request's group, village or district), so later edits of people or chains do
    not change who decides a request already in flight. The deadline is stored when the
    step becomes active; "overdue" is derived from it. `overdue_notified_at` and
    `superior_notified_at` are claimed with conditional updates so each breach is told
    exactly once, however many sweep workers run.

        waiting ──activate──▶ active ──decision(s)──▶ done
            └────────────────────┴── return/reject/withdraw elsewhere ──▶ cancelled
    """

    request = models.ForeignKey(SealRequest, on_delete=models.PROTECT, related_name="steps")
    chain_step = models.ForeignKey(ChainStep, on_delete=models.PROTECT, related_name="+")
    round = models.PositiveSmallIntegerField(_("提交轮次"))
    position = models.PositiveSmallIntegerField(_("顺序"))
    name = models.CharField(_("环节名称"), max_length=50)
    role = models.CharField(_("角色"), max_length=20, choices=Role.choices)
    scope_level = models.CharField(_("范围"), max_length=10)
    district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="+")
    village = models.ForeignKey(Village, on_delete=models.PROTECT, related_name="+")
    group = models.ForeignKey(
        VillageGroup, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    approvers_needed = models.PositiveSmallIntegerField(_("所需审批人数"), default=1)
    status = models.CharField(
        _("状态"), max_length=10, choices=StepStatus.choices, default=StepStatus.WAITING
    )
    activated_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    deadline = models.DateTimeField(_("办理时限"), null=True, blank=True)
    decided_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    decision = models.CharField(_("审批结果"), max_length=10, choices=Decision.choices, blank=True)
    decided_by = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    comment = models.CharField(_("意见"), max_length=500, blank=True)
    duration = models.DurationField(_("用时（工作时间）"), null=True, blank=True)
    last_reminded_at = models.DateTimeField(_("最近催办时间"), null=True, blank=True)
    overdue_notified_at = models.DateTimeField(_("超时提醒时间"), null=True, blank=True)
    superior_notified_at = models.DateTimeField(_("上级通报时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("审批环节")
        verbose_name_plural = _("审批环节")
        ordering: ClassVar = ["request", "round", "position"]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["request", "round", "position"], name="approvalstep_unique_position"
            ),
            models.UniqueConstraint(
                fields=["request"],
                condition=Q(status="active"),
                name="approvalstep_one_active_per_request",
            ),
        ]
        indexes: ClassVar = [
            # The inbox: exact scope match, already in deadline order, so LIMIT stops early.
            models.Index(
                fields=["status", "role", "village", "deadline"], name="approvalstep_inbox_village"
            ),
            models.Index(fields=["status", "group", "deadline"], name="approvalstep_inbox_group"),
            models.Index(fields=["status", "deadline"], name="approvalstep_deadline"),
        ]

    def __str__(self) -> str:
        return f"{self.request.number} · {self.name}"

    def is_overdue(self, now: datetime | None = None) -> bool:
        moment = now if now is not None else timezone.now()
        return (
            self.status == StepStatus.ACTIVE
            and self.deadline is not None
            and self.deadline < moment
        )

    @property
    def duration_text(self) -> str:
        if self.duration is None:
            return ""
        minutes = int(self.duration / timedelta(minutes=1))
        hours, minutes = divmod(minutes, 60)
        return _("%(h)d小时%(m)d分") % {"h": hours, "m": minutes}


class StepDecision(models.Model):
    """One person's decision on one step. A step needing two approvers is done when two
    different people approved it; the unique constraint makes "different" a database
    fact."""

    step = models.ForeignKey(ApprovalStep, on_delete=models.PROTECT, related_name="decisions")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    decision = models.CharField(_("审批结果"), max_length=10, choices=Decision.choices)
    comment = models.CharField(_("意见"), max_length=500, blank=True)
    decided_at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("审批意见")
        verbose_name_plural = _("审批意见")
        ordering: ClassVar = ["step", "decided_at"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["step", "person"], name="stepdecision_one_per_person"),
        ]

    def __str__(self) -> str:
        return f"{self.person} · {self.get_decision_display()}"


class CalendarYear(models.Model):
    """A district's own entry of one year's official rest days and make-up workdays (调休),
    typed in from the State Council's notice (published each winter) before the calendar
    package knows the year. For that year it overrides the package when deadlines are
    counted. Dates are kept as the text the admin typed, parsed on every save."""

    district = models.ForeignKey(
        "orgs.District", on_delete=models.PROTECT, related_name="calendar_years"
    )
    year = models.PositiveSmallIntegerField(_("年份"))
    holidays = models.TextField(
        _("放假日期"),
        help_text=_("每行一个日期或一段日期，例如 2027-02-05 至 2027-02-13。周末不用写。"),
    )
    workdays = models.TextField(
        _("调休上班日期"),
        blank=True,
        help_text=_("周末要上班的日期，每行一个，例如 2027-02-14。"),
    )
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("节假日安排")
        verbose_name_plural = _("节假日安排")
        ordering: ClassVar = ["district", "-year"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["district", "year"], name="calendar_year_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.district} {self.year}"
