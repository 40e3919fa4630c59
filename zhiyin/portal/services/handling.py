"""The clerk's side of an application: `application_accept` turns it into a seal request
through approvals' own services, and `application_sync` mirrors that request's progress
back to the application and the resident."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from zhiyin.approvals.files import files_atomic
from zhiyin.approvals.models import RequestStatus, SealRequest, StepStatus
from zhiyin.approvals.selectors import request_timeline
from zhiyin.approvals.services import (
    seal_request_create,
    seal_request_submit,
    seal_request_update,
)
from zhiyin.audit.services import audit_record, district_log
from zhiyin.catalog.models import MatterCategory
from zhiyin.core.errors import RuleViolation
from zhiyin.delivery.services import notifications_close
from zhiyin.orgs.models import Person
from zhiyin.portal.documents import application_pdf
from zhiyin.portal.models import (
    Application,
    ApplicationStatus,
    ServiceKind,
)
from zhiyin.portal.selectors import seals_for_application
from zhiyin.portal.services.applications import _data, _event, _locked
from zhiyin.seals.models import Seal


def _is_certificate(application: Application) -> bool:
    return (
        application.service.kind == ServiceKind.CERTIFICATE
        and application.service.matter.category == MatterCategory.CERTIFICATE
    )


def _purpose(application: Application) -> str:
    """用印事由. For a certificate it is the sentence the certificate states, from the
    service's `certificate["purpose"]` template filled with the answers."""
    template = str(application.service.certificate.get("purpose", ""))
    if _is_certificate(application) and template:
        values = {**application.answers, "village": application.village.name}
        return template.format_map(defaultdict(str, values))[:500]
    text = f"{application.service.name}（{application.resident.real_name}，{application.number}"
    if application.amount is not None:
        text += f"，补贴 {application.amount_text} 元"
    return text + "）"


def _attachments(application: Application) -> list[SimpleUploadedFile]:
    uploads = []
    for f in application.files.all():
        with f.file.open("rb") as handle:
            uploads.append(
                SimpleUploadedFile(f.original_name, handle.read(), content_type=f.content_type)
            )
    return uploads


def _pdf_upload(application: Application, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(f"{application.number}.pdf", data, content_type="application/pdf")


@files_atomic()
def application_accept(
    *, application: Application, by: Person, seal: Seal | None = None
) -> SealRequest:
    """The clerk's one action: the application becomes a seal request, created (or, after
    a 退回, updated) and submitted. Its document is the application's generated form; for
    a certificate matter it is the certificate sealing builds from the request
    (`certificate_document_build`), so it carries the number the sealed file will have."""
    from zhiyin.sealing.services import certificate_document_build

    application = _locked(application)
    if application.status not in (ApplicationStatus.SUBMITTED, ApplicationStatus.RESUBMITTED):
        raise RuleViolation(
            _("申请当前为“%(s)s”，无需受理。") % {"s": application.get_status_display()}
        )
    if seal is None:
        candidates = seals_for_application(application)
        if not candidates:
            raise RuleViolation(_("本村没有可用于该事项的在用印章，请先登记印章。"))
        seal = candidates[0]
    certificate = _is_certificate(application)
    documents = [] if certificate else [_pdf_upload(application, application_pdf(application))]
    before = _data(application)
    request = application.seal_request
    fields: dict[str, Any] = {
        "seal": seal,
        "stamp_count": 1,
        "place_of_use": application.village.committee_name,
        "purpose": _purpose(application),
        "on_behalf_of": application.resident,
        "group": application.group,
    }
    if request is None:
        request = seal_request_create(
            by=by,
            village=application.village,
            matter=application.service.matter,
            documents=documents,
            attachments=_attachments(application),
            **fields,
        )
    else:
        if request.applicant_id != by.pk:
            raise RuleViolation(_("该申请由另一位经办人受理，请由其重新提交。"))
        request = seal_request_update(
            request=request,
            by=by,
            matter=request.matter,
            documents=documents,
            attachments=_attachments(application),
            remove_document_ids=list(request.documents.values_list("pk", flat=True)),
            **fields,
        )
    if certificate:
        built = certificate_document_build(request=request)
        request = seal_request_update(
            request=request,
            by=by,
            matter=request.matter,
            documents=[_pdf_upload(application, built)],
            remove_document_ids=list(
                request.documents.filter(superseded_at__isnull=True).values_list("pk", flat=True)
            ),
            **fields,
        )
    request = seal_request_submit(request=request, by=by)
    application.seal_request = request
    application.status = ApplicationStatus.PROCESSING
    application.comment = ""
    application.progress_key = _progress_key(request)
    application.save()
    notifications_close(
        link=reverse("portal_clerk_application", args=[application.pk]),
        events={"application.to_handle"},
    )
    _event(application, "accepted", _("村委会已受理，进入审批。"))
    audit_record(
        actor=by,
        action="application.accept",
        target=application,
        before=before,
        after=_data(application),
        scope=application.village.name,
        log=district_log(application.village.district_id),
    )
    return request


def _progress_key(request: SealRequest) -> str:
    done = request.steps.filter(round=request.round, status=StepStatus.DONE).count()
    return f"{request.status}:{request.round}:{done}"


_MIRROR = {
    RequestStatus.SUBMITTED: ApplicationStatus.PROCESSING,
    RequestStatus.IN_APPROVAL: ApplicationStatus.PROCESSING,
    RequestStatus.APPROVED: ApplicationStatus.APPROVED,
    RequestStatus.COMPLETED: ApplicationStatus.COMPLETED,
    RequestStatus.RETURNED: ApplicationStatus.RETURNED,
    RequestStatus.REJECTED: ApplicationStatus.REJECTED,
    RequestStatus.WITHDRAWN: ApplicationStatus.WITHDRAWN,
}


@transaction.atomic
def application_sync(*, application_id: int) -> bool:
    """Copy the seal request's progress to the application and tell the resident once per
    change (the row lock makes two sweeps tell once). True when something changed."""
    application = (
        Application.objects.select_for_update(of=("self",))
        .select_related("service", "resident", "seal_request")
        .filter(pk=application_id)
        .first()
    )
    if application is None or application.seal_request is None:
        return False
    request = application.seal_request
    key = _progress_key(request)
    if key == application.progress_key:
        return False
    if (
        application.status == ApplicationStatus.RESUBMITTED
        and request.status == RequestStatus.RETURNED
    ):
        application.progress_key = key
        application.save(update_fields=["progress_key", "updated_at"])
        return False
    before = _data(application)
    status = _MIRROR[RequestStatus(request.status)]
    steps = list(
        request_timeline(request=request).filter(round=request.round, status=StepStatus.DONE)
    )
    if request.status == RequestStatus.RETURNED:
        application.comment = request.outcome_comment
        text = _("被退回，请按意见修改后重新提交：%(c)s") % {"c": request.outcome_comment}
    elif request.status == RequestStatus.REJECTED:
        application.comment = request.outcome_comment
        text = _("未通过审批：%(c)s") % {"c": request.outcome_comment}
    elif request.status == RequestStatus.COMPLETED:
        text = _("已盖章，将送达%(b)s。") % {
            "b": request.matter.target_bureau.name
            if request.matter.target_bureau
            else _("办事单位")
        }
    elif request.status == RequestStatus.APPROVED:
        text = _("审批通过，等待印章管理员盖章。")
    elif request.status == RequestStatus.WITHDRAWN:
        text = _("已撤回。")
    elif steps:
        text = _("“%(step)s”已通过。") % {"step": steps[-1].name}
    else:
        text = _("审批中。")
    application.status = status
    application.progress_key = key
    application.save()
    _event(application, str(request.status), text)
    audit_record(
        actor=None,
        action="application.sync",
        target=application,
        before=before,
        after=_data(application),
        scope=application.village.name,
        log=district_log(application.village.district_id),
    )
    return True
