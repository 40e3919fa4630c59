"""Every change the resident portal makes: login codes, the register, applications.

An application becomes a seal request only through approvals' own services
(`seal_request_create`, `seal_request_submit`, `seal_request_update`), called by the
clerk who accepts it; the portal keeps the link on its side and mirrors the request's
progress with `application_sync`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from django.db import transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from zhiyin.approvals.files import file_record_fields
from zhiyin.approvals.models import RequestStatus, SealRequest, StepStatus
from zhiyin.approvals.selectors import request_timeline
from zhiyin.approvals.services import (
    seal_request_create,
    seal_request_submit,
    seal_request_update,
    seal_request_withdraw,
)
from zhiyin.audit.services import audit_record
from zhiyin.catalog.models import MatterCategory
from zhiyin.catalog.selectors import negative_list_check
from zhiyin.delivery.services import notify
from zhiyin.orgs.errors import RuleViolation
from zhiyin.orgs.models import District, Person, Role, RoleGrant
from zhiyin.orgs.selectors import access_for
from zhiyin.portal.codes import code_sender
from zhiyin.portal.documents import application_pdf
from zhiyin.portal.files import EVIDENCE_PREFIX, evidence_check
from zhiyin.portal.formdef import answers_clean, eligibility_check, fields_of, subsidy_amount
from zhiyin.portal.models import (
    FINAL_STATUSES,
    Application,
    ApplicationEvent,
    ApplicationFile,
    ApplicationStatus,
    LoginCode,
    PortalSettings,
    RegisterEntry,
    Service,
    ServiceKind,
    Subsidy,
)
from zhiyin.portal.prefill import prefill_for
from zhiyin.portal.register import RegisterReport, register_parse
from zhiyin.seals.models import Seal, SealStatus

CODE_TTL = timedelta(minutes=5)
CODE_MAX_ATTEMPTS = 5
CODE_RESEND_AFTER = timedelta(seconds=60)
CODES_PER_HOUR = 5

# --- one-time login codes --------------------------------------------------------------


def _code_hash(phone: str, code: str) -> str:
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, f"login-code:{phone}:{code}".encode(), hashlib.sha256).hexdigest()


@transaction.atomic
def login_code_send(*, phone: str) -> str | None:
    """Send a six-digit code to `phone`; return it (for the DEBUG notice) or None when no
    active person has that phone — the page says the same either way. Refused when the
    phone asked less than a minute ago or five times within the hour."""
    phone = phone.strip()
    if not phone.isdigit() or len(phone) != 11 or not phone.startswith("1"):
        raise RuleViolation(_("请输入 11 位手机号。"))
    now = timezone.now()
    recent = LoginCode.objects.filter(phone=phone, created_at__gte=now - timedelta(hours=1))
    if recent.filter(created_at__gte=now - CODE_RESEND_AFTER).exists():
        raise RuleViolation(_("验证码已发送，请 1 分钟后再试。"))
    if recent.count() >= CODES_PER_HOUR:
        raise RuleViolation(_("该手机号请求验证码过于频繁，请 1 小时后再试，或用密码登录。"))
    person = Person.objects.filter(phone=phone, is_active=True).first()
    code = f"{secrets.randbelow(1_000_000):06d}"
    LoginCode.objects.filter(phone=phone, used_at__isnull=True).update(used_at=now)
    LoginCode.objects.create(
        phone=phone, code_hash=_code_hash(phone, code), expires_at=now + CODE_TTL
    )
    if person is None:
        return None
    transaction.on_commit(lambda: code_sender().send(phone=phone, code=code))
    return code


def login_code_verify(*, phone: str, code: str) -> Person:
    """The person the code was sent to, or RuleViolation (wrong, expired, too many tries).

    A wrong guess is counted outside any transaction that the refusal would roll back;
    using the code is a conditional update, so one code logs in once."""
    phone, code = phone.strip(), code.strip()
    now = timezone.now()
    login = (
        LoginCode.objects.filter(phone=phone, used_at__isnull=True, expires_at__gt=now)
        .order_by("-created_at", "-pk")
        .first()
    )
    if login is None:
        raise RuleViolation(_("验证码已失效，请重新获取。"))
    if login.attempts >= CODE_MAX_ATTEMPTS:
        raise RuleViolation(_("验证码错误次数过多，请重新获取。"))
    if not hmac.compare_digest(login.code_hash, _code_hash(phone, code)):
        LoginCode.objects.filter(pk=login.pk).update(attempts=F("attempts") + 1)
        left = CODE_MAX_ATTEMPTS - login.attempts - 1
        if left <= 0:
            raise RuleViolation(_("验证码错误次数过多，请重新获取。"))
        raise RuleViolation(_("验证码不正确，还可以再试 %(n)d 次。") % {"n": left})
    with transaction.atomic():
        claimed = LoginCode.objects.filter(
            pk=login.pk, used_at__isnull=True, attempts__lt=CODE_MAX_ATTEMPTS
        ).update(used_at=now)
        person = Person.objects.filter(phone=phone, is_active=True).first()
        if not claimed or person is None:
            raise RuleViolation(_("验证码已失效，请重新获取。"))
        audit_record(actor=person, action="person.login", after={"method": "sms_code"})
    return person


# --- the register ----------------------------------------------------------------------


def _may_import(by: Person, district: District) -> bool:
    return any(
        g.role == Role.ADMIN and g.district_id == district.pk and g.village_id is None
        for g in access_for(by).grants
    )


@transaction.atomic
def register_import(
    *, data: bytes, filename: str, district: District, by: Person
) -> RegisterReport:
    """Import the register from an .xlsx or CSV file: every row or none."""
    if not _may_import(by, district):
        raise RuleViolation(_("只有本区的系统管理员可以导入村民底册。"))
    report = register_parse(data, filename, district)
    if not report.ok:
        return report
    for row in report.rows:
        _entry, created = RegisterEntry.objects.update_or_create(
            district=district,
            id_number=row.id_number,
            defaults={
                "real_name": row.real_name,
                "social_security_number": row.social_security_number,
                "village": row.village,
                "group": row.group,
                "phone": row.phone,
                "fixed_fields": list(row.fixed_fields),
            },
        )
        if created:
            report.created += 1
        else:
            report.updated += 1
    audit_record(
        actor=by,
        action="register.import",
        target_label=filename[:200],
        after={"file": filename[:200], "created": report.created, "updated": report.updated},
        scope=district.name,
    )
    return report


# --- applications ----------------------------------------------------------------------


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
    for key, uploads in files.items():
        if key not in labels:
            continue
        for upload in uploads:
            checked = evidence_check(upload)
            if application.files.filter(sha256=checked.sha256).exists():
                continue
            ApplicationFile.objects.create(
                application=application,
                label=labels[key],
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


@transaction.atomic
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
    )
    return application


def _locked(application: Application) -> Application:
    return (
        Application.objects.select_for_update()
        .select_related("service", "resident")
        .get(pk=application.pk)
    )


@transaction.atomic
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
    )
    return application


def seals_for_application(application: Application) -> list[Seal]:
    """Seals of the village this matter may use, electronic ones first."""
    matter = application.service.matter
    seals = Seal.objects.filter(village=application.village, status=SealStatus.ACTIVE).filter(
        Q(group__isnull=True) | Q(group=application.group)
    )
    usable = [
        s for s in seals if s.kind in matter.seal_kinds and s.owner_level in matter.owner_levels
    ]
    return sorted(usable, key=lambda s: (not s.is_electronic, s.group_id is not None, s.pk))


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


@transaction.atomic
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
    _event(application, "accepted", _("村委会已受理，进入审批。"))
    audit_record(
        actor=by,
        action="application.accept",
        target=application,
        before=before,
        after=_data(application),
        scope=application.village.name,
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
    )
    return True


def applications_to_sync() -> list[int]:
    return list(
        Application.objects.filter(seal_request__isnull=False)
        .exclude(status__in=FINAL_STATUSES)
        .values_list("pk", flat=True)[:5000]
    )


@transaction.atomic
def portal_settings_update(
    *, district: District, show_official_names: bool, by: Person
) -> PortalSettings:
    """A district admin decides whether progress pages name the officials who decided."""
    if not _may_import(by, district):
        raise RuleViolation(_("只有本区的系统管理员可以修改村民办事设置。"))
    setting, _created = PortalSettings.objects.get_or_create(district=district)
    before = {"show_official_names": setting.show_official_names}
    setting.show_official_names = show_official_names
    setting.save()
    audit_record(
        actor=by,
        action="portal_settings.update",
        target=setting,
        before=before,
        after={"show_official_names": show_official_names},
        scope=district.name,
    )
    return setting
