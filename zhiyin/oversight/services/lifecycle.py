"""A warning's lifecycle: the village's rectification (red → yellow), the inspector's
close, a request to dismiss it and the district inspector's decision. Each locks the
warning row, is audited in the district's log and tells the village's secretary."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zhiyin.approvals.files import file_record_fields, files_atomic, upload_check
from zhiyin.audit.services import audit_record, district_log
from zhiyin.core.errors import RuleViolation
from zhiyin.orgs.models import Person, Role
from zhiyin.oversight.models import (
    Warning,
    WarningEvidence,
    WarningState,
)
from zhiyin.oversight.selectors import (
    inspects,
    is_senior_inspector,
    is_village_secretary,
)
from zhiyin.oversight.services.raising import village_tell

MAX_TEXT = 2000


def _locked(warning: Warning) -> Warning:
    return Warning.objects.select_for_update().select_related("rule", "village").get(pk=warning.pk)


def _text(value: str, what: str) -> str:
    value = value.strip()
    if not value:
        raise RuleViolation(_("请填写%(what)s。") % {"what": what})
    if len(value) > MAX_TEXT:
        raise RuleViolation(_("%(what)s不能超过 %(n)d 字。") % {"what": what, "n": MAX_TEXT})
    return value


def _state_data(warning: Warning) -> dict[str, Any]:
    return {"state": warning.state, "rule": warning.rule.code, "rule_version": warning.rule_version}


@files_atomic()
def warning_rectify(
    *, warning: Warning, by: Person, explanation: str, evidence: Sequence[UploadedFile] = ()
) -> Warning:
    """The village explains and attaches evidence (预警消除申请): red → yellow."""
    warning = _locked(warning)
    if not is_village_secretary(by, warning.village_id):
        raise RuleViolation(_("只有本村的支部书记（主任）可以提交整改说明。"))
    if warning.state != WarningState.RED:
        raise RuleViolation(
            _("该预警当前为“%(state)s”，不能提交整改说明。")
            % {"state": warning.get_state_display()}
        )
    text = _text(explanation, _("整改说明"))
    checked = [upload_check(upload) for upload in evidence]
    before = _state_data(warning)
    for item in checked:
        WarningEvidence.objects.create(
            warning=warning, **file_record_fields(item, prefix="warnings", by=by)
        )
    warning.state = WarningState.YELLOW
    warning.explanation = text
    warning.rectified_at = timezone.now()
    warning.rectified_by = by
    warning.save()
    audit_record(
        actor=by,
        action="warning.rectify",
        target=warning,
        before=before,
        after={
            **_state_data(warning),
            "explanation": text,
            "evidence": [c.sha256 for c in checked],
        },
        role=Role.SECRETARY,
        scope=warning.village.name,
        log=district_log(warning.district_id),
    )
    village_tell(
        warning,
        _("预警“%(summary)s”的整改说明已提交，等待纪检监察审核。") % {"summary": warning.summary},
        "warning.rectify",
    )
    return warning


@transaction.atomic
def warning_close(*, warning: Warning, by: Person, conclusion: str) -> Warning:
    """An inspector closes the warning with a conclusion (办结)."""
    warning = _locked(warning)
    if not inspects(by, warning):
        raise RuleViolation(_("只有负责该村的纪检监察人员可以办结预警。"))
    if warning.state not in (WarningState.RED, WarningState.YELLOW):
        raise RuleViolation(
            _("该预警当前为“%(state)s”，不能办结。") % {"state": warning.get_state_display()}
        )
    text = _text(conclusion, _("办结结论"))
    before = _state_data(warning)
    warning.state = WarningState.CLOSED
    warning.conclusion = text
    warning.closed_at = timezone.now()
    warning.closed_by = by
    warning.save()
    audit_record(
        actor=by,
        action="warning.close",
        target=warning,
        before=before,
        after={**_state_data(warning), "conclusion": text},
        role=Role.INSPECTOR,
        scope=warning.village.name,
        log=district_log(warning.district_id),
    )
    village_tell(
        warning,
        _("预警“%(summary)s”已办结：%(text)s") % {"summary": warning.summary, "text": text},
        "warning.close",
    )
    return warning


@transaction.atomic
def warning_dismiss_request(*, warning: Warning, by: Person, reason: str) -> Warning:
    """An inspector proposes that the warning was raised wrongly; a senior confirms."""
    warning = _locked(warning)
    if not inspects(by, warning):
        raise RuleViolation(_("只有负责该村的纪检监察人员可以申请撤销预警。"))
    if warning.state not in (WarningState.RED, WarningState.YELLOW):
        raise RuleViolation(
            _("该预警当前为“%(state)s”，不能申请撤销。") % {"state": warning.get_state_display()}
        )
    text = _text(reason, _("撤销理由"))
    before = _state_data(warning)
    warning.dismiss_from = warning.state
    warning.state = WarningState.DISMISS_PENDING
    warning.dismiss_reason = text
    warning.dismiss_requested_by = by
    warning.save()
    audit_record(
        actor=by,
        action="warning.dismiss_request",
        target=warning,
        before=before,
        after={**_state_data(warning), "reason": text},
        role=Role.INSPECTOR,
        scope=warning.village.name,
        log=district_log(warning.district_id),
    )
    village_tell(
        warning,
        _("预警“%(summary)s”已申请撤销，待上级复核。") % {"summary": warning.summary},
        "warning.dismiss_request",
    )
    return warning


@transaction.atomic
def warning_dismiss_decide(
    *, warning: Warning, by: Person, confirm: bool, comment: str = ""
) -> Warning:
    """A senior inspector, not the one who asked, confirms the dismissal or refuses it
    (the warning then goes back to the state it was in)."""
    warning = _locked(warning)
    if not is_senior_inspector(by, warning):
        raise RuleViolation(_("撤销预警须由区级纪检监察人员复核。"))
    if by.pk == warning.dismiss_requested_by_id:
        raise RuleViolation(_("申请撤销的人不能复核自己的申请，请由另一位纪检监察人员复核。"))
    if warning.state != WarningState.DISMISS_PENDING:
        raise RuleViolation(_("该预警没有待复核的撤销申请。"))
    if not confirm:
        _text(comment, _("不同意撤销的理由"))
    before = _state_data(warning)
    if confirm:
        warning.state = WarningState.DISMISSED
        warning.dismiss_confirmed_by = by
        warning.closed_at = timezone.now()
        warning.closed_by = by
        action, text = "warning.dismiss_confirm", _("预警“%(summary)s”经复核已撤销。")
    else:
        warning.state = warning.dismiss_from or WarningState.RED
        warning.dismiss_requested_by = None
        action, text = (
            "warning.dismiss_refuse",
            _("预警“%(summary)s”的撤销申请未获同意，请继续整改。"),
        )
    warning.dismiss_from = ""
    warning.save()
    audit_record(
        actor=by,
        action=action,
        target=warning,
        before=before,
        after={**_state_data(warning), "comment": comment.strip()[:MAX_TEXT]},
        role=Role.INSPECTOR,
        scope=warning.village.name,
        log=district_log(warning.district_id),
    )
    village_tell(warning, text % {"summary": warning.summary}, action)
    return warning
