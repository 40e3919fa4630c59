"""The inspector's workbench (phone and desk) and a warning with its facts, request,
story and lifecycle forms."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from zhiyin.approvals.models import SealRequest
from zhiyin.approvals.selectors import seal_requests_for
from zhiyin.audit.models import AuditEvent
from zhiyin.core.errors import RuleViolation
from zhiyin.orgs.auth import request_access, request_person
from zhiyin.oversight.forms import (
    CloseForm,
    DismissDecideForm,
    DismissForm,
    RectifyForm,
    WarningFilterForm,
)
from zhiyin.oversight.models import (
    Severity,
    WarningRuleVersion,
    WarningState,
)
from zhiyin.oversight.selectors import (
    WarningFilter,
    inspects,
    is_inspector,
    is_senior_inspector,
    is_village_secretary,
    oversight_villages_for,
    rules_all,
    sees_warnings,
    warning_counts,
    warning_get_for,
    warnings_filtered,
    warnings_for,
)
from zhiyin.oversight.services import (
    warning_close,
    warning_dismiss_decide,
    warning_dismiss_request,
    warning_rectify,
)

#: Newest first; a phone shows 50 at a time, filters narrow the rest.
LIST_LIMIT = 50
LEDGER_PREVIEW = 200
#: Ledgers with more rows than this are built by a worker, with a progress bar.
LEDGER_DIRECT_MAX = 1000
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _require_warnings(request: HttpRequest) -> None:
    if not sees_warnings(request_access(request)):
        raise PermissionDenied


@login_required
def workbench(request: HttpRequest) -> HttpResponse:
    """Counts by state and severity, and the filtered list (phone and desk)."""
    _require_warnings(request)
    access = request_access(request)
    scoped = warnings_for(access=access)
    villages = list(
        oversight_villages_for(access=access).order_by("code").values_list("pk", "name")
    )
    form = WarningFilterForm(
        request.GET or None,
        villages=villages,
        rules=[(r.code, r.name) for r in rules_all()],
    )
    f = WarningFilter(state="open")
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        f = WarningFilter(
            village=data["village"],
            rule=data["rule"],
            state=data["state"],
            severity=data["severity"],
            start=data["start"],
            end=data["end"],
        )
    filtered = warnings_filtered(access=access, f=f)
    counts = warning_counts(qs=scoped)
    states = [
        {
            "code": code,
            "label": label,
            "total": sum(counts.get(code, {}).values()),
            "by_severity": [
                (s_label, counts.get(code, {}).get(s_code, 0))
                for s_code, s_label in Severity.choices
            ],
        }
        for code, label in WarningState.choices
    ]
    rows = list(
        filtered.select_related("rule", "village")
        .only("pk", "state", "severity", "summary", "raised_at", "rule__name", "village__name")
        .order_by("-raised_at", "-pk")[:LIST_LIMIT]
    )
    return render(
        request,
        "oversight/workbench.html",
        {
            "form": form,
            "states": states,
            "warnings": rows,
            "total": filtered.count() if len(rows) == LIST_LIMIT else len(rows),
            "limit": LIST_LIMIT,
            "is_inspector": is_inspector(access),
        },
    )


def _request_events(request_obj: SealRequest | None) -> list[AuditEvent]:
    if request_obj is None:
        return []
    return list(
        AuditEvent.objects.filter(
            target_type="approvals.sealrequest", target_id=str(request_obj.pk)
        ).order_by("seq")
    )


@login_required
def warning_detail(request: HttpRequest, pk: int) -> HttpResponse:
    access = request_access(request)
    person = request_person(request)
    warning = warning_get_for(access=access, pk=pk)
    seal_request = None
    if warning.request_id is not None:
        seal_request = (
            seal_requests_for(access=access)
            .select_related("matter", "seal", "applicant", "completed_by")
            .filter(pk=warning.request_id)
            .first()
        )
    version = WarningRuleVersion.objects.filter(
        rule=warning.rule, version=warning.rule_version
    ).first()
    photos = [
        f["actual"] for f in warning.facts if "SHA-256" in f.get("label", "") and f.get("actual")
    ]
    context: dict[str, Any] = {
        "warning": warning,
        "rule_snapshot": version.snapshot if version else None,
        "seal_request": seal_request,
        "documents": list(seal_request.documents.filter(superseded_at__isnull=True))
        if seal_request
        else [],
        "attachments": list(seal_request.attachments.all()) if seal_request else [],
        "sealed": list(seal_request.sealed_documents.all()) if seal_request else [],
        "photos": photos,
        "evidence": list(warning.evidence.all()),
        "request_events": _request_events(seal_request),
        "warning_events": list(
            AuditEvent.objects.filter(
                target_type="oversight.warning", target_id=str(warning.pk)
            ).order_by("seq")
        ),
        "may_rectify": warning.state == WarningState.RED
        and is_village_secretary(person, warning.village_id),
        "may_trace": inspects(person, warning),
        "may_close": warning.state in (WarningState.RED, WarningState.YELLOW)
        and inspects(person, warning),
        "may_decide": warning.state == WarningState.DISMISS_PENDING
        and is_senior_inspector(person, warning)
        and person.pk != warning.dismiss_requested_by_id,
        "rectify_form": RectifyForm(),
        "close_form": CloseForm(),
        "dismiss_form": DismissForm(),
        "decide_form": DismissDecideForm(),
    }
    return render(request, "oversight/warning_detail.html", context)


def _act(request: HttpRequest, pk: int, form_class: type, run: Any, done: str) -> HttpResponse:
    access = request_access(request)
    warning = warning_get_for(access=access, pk=pk)
    form = form_class(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("oversight_warning", pk=warning.pk)
    try:
        run(warning, request_person(request), form.cleaned_data)
    except RuleViolation as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done)
    return redirect("oversight_warning", pk=warning.pk)


@login_required
@require_POST
def warning_rectify_view(request: HttpRequest, pk: int) -> HttpResponse:
    uploads = request.FILES.getlist("evidence")
    return _act(
        request,
        pk,
        RectifyForm,
        lambda w, by, d: warning_rectify(
            warning=w, by=by, explanation=d["explanation"], evidence=uploads
        ),
        _("整改说明已提交，预警转为黄色。"),
    )


@login_required
@require_POST
def warning_close_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        CloseForm,
        lambda w, by, d: warning_close(warning=w, by=by, conclusion=d["conclusion"]),
        _("预警已办结。"),
    )


@login_required
@require_POST
def warning_dismiss_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        DismissForm,
        lambda w, by, d: warning_dismiss_request(warning=w, by=by, reason=d["reason"]),
        _("撤销申请已提交，等待区级纪检监察复核。"),
    )


@login_required
@require_POST
def warning_dismiss_decide_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        DismissDecideForm,
        lambda w, by, d: warning_dismiss_decide(
            warning=w, by=by, confirm=d["decision"] == "confirm", comment=d["comment"]
        ),
        _("复核意见已记录。"),
    )


@login_required
def evidence_download(request: HttpRequest, pk: int, evidence_pk: int) -> FileResponse:
    warning = warning_get_for(access=request_access(request), pk=pk)
    item = warning.evidence.filter(pk=evidence_pk).first()
    if item is None:
        raise Http404
    return FileResponse(
        item.file.open("rb"),
        as_attachment=True,
        filename=item.original_name,
        content_type=item.content_type,
    )
