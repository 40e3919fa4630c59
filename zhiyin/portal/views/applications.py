"""Resident pages (mobile first): services, the application form, progress, withdrawal."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from zhiyin.audit.services import audit_record_standalone, district_log
from zhiyin.catalog.selectors import negative_list_match, question_words
from zhiyin.core.errors import RuleViolation
from zhiyin.lib.idcard import id_number_mask
from zhiyin.orgs.auth import request_access, request_person
from zhiyin.orgs.models import Person, Role
from zhiyin.portal import selectors as sel
from zhiyin.portal.formdef import (
    FieldErrors,
    answers_clean,
    fields_of,
    pages_of,
    subsidy_amount,
    subsidy_formula,
    subsidy_rate_text,
)
from zhiyin.portal.forms import AskForm
from zhiyin.portal.models import ApplicationStatus, Service, Subsidy
from zhiyin.portal.mydata import my_data
from zhiyin.portal.prefill import prefill_for
from zhiyin.portal.services.applications import (
    application_resubmit,
    application_submit,
    application_withdraw,
)
from zhiyin.portal.services.handling import application_sync


def _resident(request: HttpRequest) -> Person:
    person = request_person(request)
    if not request_access(request).has_role(Role.RESIDENT) or person.home_village_id is None:
        raise PermissionDenied
    return person


def _district_id(person: Person) -> int:
    if person.home_village is None:
        raise PermissionDenied
    return person.home_village.district_id


@login_required(login_url="portal_login")
def portal_home(request: HttpRequest) -> HttpResponse:
    person = _resident(request)
    return render(
        request,
        "portal/home.html",
        {
            "services": sel.services_for(person=person),
            "applications": sel.applications_of(person=person)[:50],
        },
    )


@login_required(login_url="portal_login")
def portal_my_data(request: HttpRequest) -> HttpResponse:
    """Everything Zhiyin holds about the signed-in resident, and who viewed it."""
    person = _resident(request)
    return render(request, "portal/my_data.html", {"data": my_data(person=person)})


@login_required(login_url="portal_login")
def portal_ask(request: HttpRequest) -> HttpResponse:
    """ "What do you need?" — a negative-list certificate gets the reason and where to go."""
    person = _resident(request)
    form = AskForm(request.GET or None)
    context: dict[str, Any] = {"form": form}
    if form.is_valid():
        need = form.cleaned_data["need"]
        context["item"] = negative_list_match(
            need, district=person.home_village.district if person.home_village else None
        )
        words = question_words(need)
        context["matches"] = [
            s for s in sel.services_for(person=person) if any(w in s.name for w in words)
        ]
    return render(request, "portal/ask.html", context)


def _wizard(request: HttpRequest, service: Service) -> dict[str, Any]:
    data: dict[str, Any] = request.session.get(f"portal:{service.code}") or {}
    return data


def _wizard_save(request: HttpRequest, service: Service, data: dict[str, Any]) -> None:
    request.session[f"portal:{service.code}"] = data


def _applicant(request: HttpRequest, wizard: dict[str, Any]) -> Person:
    """Whom the form is for: the resident, or the resident a clerk files for."""
    if wizard.get("for"):
        return sel.resident_get_for_clerk(access=request_access(request), pk=int(wizard["for"]))
    return _resident(request)


def _subsidy(service: Service) -> Subsidy | None:
    return Subsidy.objects.filter(service=service).first()


@login_required(login_url="portal_login")
def portal_service(request: HttpRequest, code: str) -> HttpResponse:
    person = request_person(request)
    for_pk = request.GET.get("for", "")
    if for_pk.isdigit():
        resident = sel.resident_get_for_clerk(access=request_access(request), pk=int(for_pk))
    else:
        resident = _resident(request)
    service = sel.service_get(district_id=_district_id(resident), code=code)
    if request.method == "POST":
        _wizard_save(
            request, service, {"answers": {}, "for": resident.pk if resident != person else None}
        )
        return redirect("portal_step", code=code, page=pages_of(service)[0])
    subsidy = _subsidy(service)
    return render(
        request,
        "portal/service.html",
        {
            "service": service,
            "resident": resident,
            "on_behalf": resident != person,
            "rates": subsidy_rate_text(subsidy) if subsidy else "",
            "subsidy": subsidy,
        },
    )


def field_rows(
    service: Service, resident: Person, answers: dict[str, str], page: int | None
) -> list[dict[str, Any]]:
    prefill = prefill_for(resident)
    rows = []
    for f in fields_of(service):
        if page is not None and f.page != page:
            continue
        known = prefill.get(f.prefill) if f.prefill else None
        value = answers.get(f.key) or (known.value if known else "")
        fixed = bool(known and known.fixed)
        shown = id_number_mask(value) if f.type == "id_number" and value else value
        rows.append(
            {"f": f, "value": value, "shown": shown, "fixed": fixed, "prefilled": bool(known)}
        )
    return rows


def _formula(service: Service, answers: dict[str, str]) -> str:
    subsidy = _subsidy(service)
    return subsidy_formula(subsidy, answers) if subsidy is not None else ""


def _amount_attrs(
    service: Service, answers: dict[str, str], *, errors: dict[str, str] | None = None
) -> dict[str, Any] | None:
    """The live amount's settings; no amount while any answer on the page is wrong."""
    subsidy = _subsidy(service)
    if subsidy is None:
        return None
    config = {
        "rule": subsidy.rule,
        "area": subsidy.area_field,
        "count": subsidy.count_field,
        "choice": subsidy.choice_field,
        "rates": subsidy.rates,
        "crop_areas": subsidy.crop_area_fields,
        "min": str(subsidy.min_area),
        "known": answers,
    }
    return {
        "json": json.dumps(config, ensure_ascii=False),
        "amount": None if errors else subsidy_amount(subsidy, answers),
        "formula": "" if errors else subsidy_formula(subsidy, answers),
        "errors": bool(errors),
    }


@login_required(login_url="portal_login")
def portal_step(request: HttpRequest, code: str, page: int) -> HttpResponse:
    """One screen of a long form; answers are kept in the session until the last one."""
    wizard_service = Service.objects.filter(code=code, is_active=True).first()
    if wizard_service is None:
        return redirect("portal_home")
    wizard = _wizard(request, wizard_service)
    resident = _applicant(request, wizard)
    service = sel.service_get(district_id=_district_id(resident), code=code)
    pages = pages_of(service)
    if page not in pages:
        return redirect("portal_step", code=code, page=pages[0])
    answers: dict[str, str] = dict(wizard.get("answers", {}))
    fields = [f for f in fields_of(service) if f.page == page]
    errors: dict[str, str] = {}
    if request.method == "POST":
        rows = field_rows(service, resident, answers, page)
        fixed = {r["f"].key: r["value"] for r in rows if r["fixed"]}
        try:
            answers.update(answers_clean(fields, dict(request.POST.items()), fixed=fixed))
        except FieldErrors as exc:
            errors = exc.errors
            answers.update(
                {f.key: str(request.POST.get(f.key, "")) for f in fields if f.key not in fixed}
            )
        if not errors:
            wizard["answers"] = answers
            _wizard_save(request, service, wizard)
            later = [p for p in pages if p > page]
            if later:
                return redirect("portal_step", code=code, page=later[0])
            return redirect("portal_confirm", code=code)
    rows = field_rows(service, resident, answers, page)
    for row in rows:
        row["error"] = errors.get(row["f"].key, "")
    position = pages.index(page)
    return render(
        request,
        "portal/step.html",
        {
            "service": service,
            "rows": rows,
            "page": page,
            "number": position + 1,
            "total": len(pages) + 1,
            "back": pages[position - 1] if position else None,
            "amount": _amount_attrs(service, answers, errors=errors),
            "resident": resident,
        },
    )


@login_required(login_url="portal_login")
def portal_confirm(request: HttpRequest, code: str) -> HttpResponse:
    """Last screen: check the answers and the amount, add the evidence, submit."""
    wizard_service = Service.objects.filter(code=code, is_active=True).first()
    if wizard_service is None:
        return redirect("portal_home")
    wizard = _wizard(request, wizard_service)
    resident = _applicant(request, wizard)
    service = sel.service_get(district_id=_district_id(resident), code=code)
    answers: dict[str, str] = dict(wizard.get("answers", {}))
    person = request_person(request)
    error = ""
    if request.method == "POST":
        files = {str(a["key"]): request.FILES.getlist(str(a["key"])) for a in service.attachments}
        data = {**answers}
        try:
            if wizard.get("application"):
                application = sel.application_get_own(
                    person=resident, pk=int(wizard["application"])
                )
                application = application_resubmit(
                    application=application, by=person, answers=data, files=files
                )
            else:
                application = application_submit(
                    service=service, resident=resident, by=person, answers=data, files=files
                )
        except FieldErrors as exc:
            first = next(f for f in fields_of(service) if f.key in exc.errors)
            messages.error(request, exc.errors[first.key])
            return redirect("portal_step", code=code, page=first.page)
        except RuleViolation as exc:
            error = exc.message
        else:
            request.session.pop(f"portal:{service.code}", None)
            messages.success(request, _("已提交。您可以随时在这里查看办理进度。"))
            if resident != person:
                return redirect("portal_clerk")
            return redirect("portal_application", pk=application.pk)
    pages = pages_of(service)
    return render(
        request,
        "portal/confirm.html",
        {
            "service": service,
            "rows": field_rows(service, resident, answers, None),
            "amount": _amount_attrs(service, answers),
            "error": error,
            "number": len(pages) + 1,
            "total": len(pages) + 1,
            "back": pages[-1],
            "resident": resident,
            "returned": bool(wizard.get("application")),
        },
    )


@login_required(login_url="portal_login")
def portal_application(request: HttpRequest, pk: int) -> HttpResponse:
    person = request_person(request)
    application = sel.application_get_own(person=person, pk=pk)
    application_sync(application_id=application.pk)
    application.refresh_from_db()
    request_ = application.seal_request
    may_withdraw = application.status in (
        ApplicationStatus.SUBMITTED,
        ApplicationStatus.RESUBMITTED,
        ApplicationStatus.RETURNED,
    ) or (
        application.status == ApplicationStatus.PROCESSING
        and request_ is not None
        and not request_.steps.filter(round=request_.round, decisions__isnull=False).exists()
    )
    return render(
        request,
        "portal/application.html",
        {
            "application": application,
            "timeline": sel.application_timeline(application=application),
            "formula": _formula(application.service, application.answers),
            "rows": field_rows(application.service, person, application.answers, None),
            "may_withdraw": may_withdraw,
            "may_edit": application.status == ApplicationStatus.RETURNED,
        },
    )


@login_required(login_url="portal_login")
@require_POST
def portal_application_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Answer a 退回: the earlier answers go back into the form, nothing is retyped."""
    application = sel.application_get_own(person=request_person(request), pk=pk)
    if application.status != ApplicationStatus.RETURNED:
        messages.error(request, _("只有被退回的申请可以修改。"))
        return redirect("portal_application", pk=pk)
    _wizard_save(
        request,
        application.service,
        {"answers": dict(application.answers), "for": None, "application": application.pk},
    )
    return redirect(
        "portal_step", code=application.service.code, page=pages_of(application.service)[0]
    )


@login_required(login_url="portal_login")
@require_POST
def portal_application_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    person = request_person(request)
    application = sel.application_get_own(person=person, pk=pk)
    try:
        application_withdraw(application=application, by=person)
    except RuleViolation as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已撤回。"))
    return redirect("portal_application", pk=pk)


@login_required(login_url="portal_login")
def portal_file(request: HttpRequest, pk: int, file_pk: int) -> HttpResponseBase:
    person = request_person(request)
    found = sel.application_file_get(
        person=person, access=request_access(request), pk=pk, file_pk=file_pk
    )
    application = found.application
    if application.resident_id != person.pk:
        # Someone else's evidence: on record (who, whose, why), and the resident sees it.
        audit_record_standalone(
            actor=person,
            action="application_file.view",
            target=found,
            target_label=f"{application.number} · {found.label or found.original_name}"[:200],
            after={
                "resident": application.resident_id,
                "reason": _("办理申请 %(number)s") % {"number": application.number},
            },
            log=district_log(application.village.district_id),
        )
    return FileResponse(
        found.file.open("rb"), content_type=found.content_type, filename=found.original_name
    )
