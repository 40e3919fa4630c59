"""Residents' applications: submit, resubmit, withdraw, the clerk's accept, and the mirror of
the seal request's progress.

An application becomes a seal request only through approvals' own services
(`seal_request_create`, `seal_request_submit`, `seal_request_update`), called by the
clerk who accepts it; the portal keeps the link on its side and mirrors the request's
progress with `application_sync`."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from zhiyin.approvals.files import file_record_fields, files_atomic
from zhiyin.approvals.models import RequestStatus
from zhiyin.approvals.services import (
    seal_request_withdraw,
)
from zhiyin.audit.services import audit_record, district_log
from zhiyin.catalog.selectors import negative_list_check
from zhiyin.core.errors import RuleViolation
from zhiyin.delivery.services import notifications_close, notify
from zhiyin.orgs.models import Person, Role, RoleGrant
from zhiyin.orgs.selectors import access_for
from zhiyin.portal.files import EVIDENCE_PREFIX, evidence_check
from zhiyin.portal.formdef import answers_clean, eligibility_check, fields_of, subsidy_amount
from zhiyin.portal.models import (
    FINAL_STATUSES,
    Application,
    ApplicationEvent,
    ApplicationFile,
    ApplicationStatus,
    Service,
    Subsidy,
)
from zhiyin.portal.prefill import prefill_for


def _link(application: Application) -> str:
    return reverse("portal_application", args=[application.pk])


def _data(application: Application) -> dict[str, Any]:
    return {
        "number": application.number,
        "service": application.service.name,
        "status": application.status,
        "amount": application.amount_text,
        "answers": application.answers,
        "seal_request": application.seal_request_id,
    }


def _event(application: Application, kind: str, text: str, *, tell: bool = True) -> None:
    ApplicationEvent.objects.create(application=application, kind=kind, text=text)
    if tell:
        notify(
            person=application.resident,
            text=f"{application.service.name}（{application.number}）：{text}"[:300],
            link=_link(application),
            event=f"application.{kind}",
        )


def _clerks(application: Application) -> list[Person]:
    ids = (
        RoleGrant.objects.active()
        .filter(role=Role.CLERK, village=application.village, group__isnull=True)
        .values("person_id")
    )
    return list(Person.objects.filter(pk__in=ids, is_active=True))


def _tell_clerks(application: Application, text: str) -> None:
    for clerk in _clerks(application):
        if clerk.pk == application.filed_by_id:
            continue
        notify(
            person=clerk,
            text=text % {"number": application.number, "service": application.service.name},
            link=reverse("portal_clerk_application", args=[application.pk]),
            event="application.to_handle",
        )


def _may_file_for(by: Person, resident: Person) -> bool:
    if by.pk == resident.pk:
        return True
    return resident.home_village_id is not None and any(
        g.role == Role.CLERK and g.village_id == resident.home_village_id and g.group_id is None
        for g in access_for(by).grants
    )


def answers_check(
    *, service: Service, resident: Person, data: Mapping[str, Any]
) -> tuple[dict[str, str], list[str], Decimal | None]:
    """Clean answers against the form, the register's fixed values, the negative list and
    the eligibility rules; return (answers, fixed keys, amount computed here)."""
    fields = fields_of(service)
    prefill = prefill_for(resident)
    fixed = {
        f.key: prefill[f.prefill].value
        for f in fields
        if f.prefill in prefill and prefill[f.prefill].fixed
    }
    known = {f.key: prefill[f.prefill].value for f in fields if f.prefill in prefill}
    answers = answers_clean(fields, {**known, **dict(data)}, fixed=fixed)
    texts = " ".join(
        v for f in fields if f.type == "text" and not f.prefill for v in [answers[f.key]]
    )
    negative_list_check(f"{service.name} {texts}", service.district)
    id_number = answers.get("id_number") or resident.id_number or ""
    eligibility_check(service, id_number=id_number, answers=answers, day=service_day())
    subsidy = Subsidy.objects.filter(service=service).first()
    amount = subsidy_amount(subsidy, answers) if subsidy is not None else None
    if subsidy is not None and amount is None:
        raise RuleViolation(_("无法计算补贴金额，请检查填报内容。"))
    return answers, sorted(fixed), amount


def _files_add(
    application: Application, by: Person, files: Mapping[str, Sequence[UploadedFile]]
) -> None:
    labels = {str(a["key"]): str(a["label"]) for a in application.service.attachments}
    # Every file is checked before the first one is stored.
    checked_files = [
        (labels[key], evidence_check(upload))
        for key, uploads in files.items()
        if key in labels
        for upload in uploads
    ]
    for label, checked in checked_files:
        if application.files.filter(sha256=checked.sha256).exists():
            continue
        ApplicationFile.objects.create(
            application=application,
            label=label,
            **file_record_fields(checked, prefix=EVIDENCE_PREFIX, by=by),
        )
    missing = [
        str(a["label"])
        for a in application.service.attachments
        if a.get("required") and not application.files.filter(label=a["label"]).exists()
    ]
    if missing:
        raise RuleViolation(_("请上传：%(names)s。") % {"names": "、".join(missing)})


def service_day() -> dt.date:
    """The day that service rules (application seasons) are judged on: today, unless the
    operator pinned a date with PORTAL_SERVICE_DATE (a training system, or tests that
    must not depend on the season of the day they run)."""
    pinned: dt.date | None = settings.PORTAL_SERVICE_DATE
    return pinned or timezone.localdate()


@files_atomic()
def application_submit(
    *,
    service: Service,
    resident: Person,
    by: Person,
    answers: Mapping[str, Any],
    files: Mapping[str, Sequence[UploadedFile]],
) -> Application:
    """A resident (or a clerk for them) submits an application; the clerks are told."""
    if not service.is_active:
        raise RuleViolation(_("该服务已停止受理。"))
    if not _may_file_for(by, resident):
        raise RuleViolation(_("只能为本人，或由本村经办人为本村村民代办申请。"))
    village = resident.home_village
    if village is None:
        raise RuleViolation(_("您的账号还没有登记所在村，请联系村委会。"))
    if village.district_id != service.district_id:
        raise RuleViolation(_("该服务不属于您所在的区。"))
    cleaned, fixed, amount = answers_check(service=service, resident=resident, data=answers)
    application = Application.objects.create(
        number=f"tmp-{secrets.token_hex(8)}",
        service=service,
        resident=resident,
        filed_by=by,
        village=village,
        group=resident.home_group,
        answers=cleaned,
        fixed_keys=fixed,
        amount=amount,
    )
    application.number = f"BS-{timezone.localdate().year}-{application.pk:06d}"
    application.save(update_fields=["number"])
    _files_add(application, by, files)
    text = _("已提交，等待村委会受理。")
    if by.pk != resident.pk:
        text = _("村委会工作人员已为您代办提交，等待受理。")
    _event(application, "submitted", text)
    _tell_clerks(application, _("新的村民申请：%(number)s %(service)s，请受理。"))
    audit_record(
        actor=by,
        action="application.submit",
        target=application,
        after=_data(application),
        scope=application.village.name,
        log=district_log(application.village.district_id),
    )
    return application


def _locked(application: Application) -> Application:
    return (
        Application.objects.select_for_update()
        .select_related("service", "resident")
        .get(pk=application.pk)
    )


@files_atomic()
def application_resubmit(
    *,
    application: Application,
    by: Person,
    answers: Mapping[str, Any],
    files: Mapping[str, Sequence[UploadedFile]],
) -> Application:
    """Answer a 退回: the edited answers replace the old ones; the clerk is told."""
    application = _locked(application)
    if not _may_file_for(by, application.resident):
        raise RuleViolation(_("只能修改本人的申请。"))
    if application.status != ApplicationStatus.RETURNED:
        raise RuleViolation(_("只有被退回的申请可以修改后重新提交。"))
    before = _data(application)
    cleaned, fixed, amount = answers_check(
        service=application.service, resident=application.resident, data=answers
    )
    application.answers, application.fixed_keys, application.amount = cleaned, fixed, amount
    application.status = ApplicationStatus.RESUBMITTED
    application.save()
    _files_add(application, by, files)
    _event(application, "resubmitted", _("已修改并重新提交，等待村委会受理。"))
    _tell_clerks(application, _("村民已修改被退回的申请：%(number)s %(service)s，请重新提交审批。"))
    audit_record(
        actor=by,
        action="application.resubmit",
        target=application,
        before=before,
        after=_data(application),
        scope=application.village.name,
        log=district_log(application.village.district_id),
    )
    return application


@transaction.atomic
def application_withdraw(*, application: Application, by: Person) -> Application:
    """The resident takes the application back until the first approval. When a seal
    request already exists it is withdrawn too, in the same transaction (approvals lets
    the resident it was filed for — or its applicant, the accepting clerk — do so; the
    log names whoever withdrew)."""
    application = _locked(application)
    if by.pk not in (application.resident_id, application.filed_by_id):
        raise RuleViolation(_("只能撤回本人的申请。"))
    if application.status in FINAL_STATUSES or application.status == ApplicationStatus.APPROVED:
        raise RuleViolation(
            _("申请当前为“%(s)s”，不能撤回。") % {"s": application.get_status_display()}
        )
    request = application.seal_request
    if request is not None and request.status != RequestStatus.WITHDRAWN:
        if request.status != RequestStatus.RETURNED and (
            request.steps.filter(decision="approve").exists()
            or request.steps.filter(decisions__isnull=False).exists()
        ):
            raise RuleViolation(_("审批已经开始，不能撤回。如需撤回，请联系村委会。"))
        seal_request_withdraw(
            request=request,
            by=by,
            reason=_("村民%(name)s本人在网上撤回申请。") % {"name": application.resident.real_name},
        )
    before = _data(application)
    notifications_close(
        link=reverse("portal_clerk_application", args=[application.pk]),
        events={"application.to_handle"},
    )
    application.status = ApplicationStatus.WITHDRAWN
    application.progress_key = "withdrawn"
    application.save()
    _event(application, "withdrawn", _("已撤回。"))
    audit_record(
        actor=by,
        action="application.withdraw",
        target=application,
        before=before,
        after=_data(application),
        scope=application.village.name,
        log=district_log(application.village.district_id),
    )
    return application
