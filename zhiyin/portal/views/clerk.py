"""The clerk's pages: applications to accept, residents to file for."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from zhiyin.core.errors import RuleViolation
from zhiyin.orgs.auth import request_access, request_person
from zhiyin.portal import selectors as sel
from zhiyin.portal.models import Service
from zhiyin.portal.selectors import seals_for_application
from zhiyin.portal.services.handling import application_accept
from zhiyin.portal.views.applications import field_rows
from zhiyin.seals.models import Seal


def _clerk_access(request: HttpRequest) -> Any:
    access = request_access(request)
    if not sel.clerk_village_ids(access):
        raise PermissionDenied
    return access


@login_required
def portal_clerk(request: HttpRequest) -> HttpResponse:
    """待受理的村民申请, and residents a clerk can file for (elderly residents)."""
    access = _clerk_access(request)
    query = request.GET.get("q", "").strip()
    residents = sel.residents_to_file_for(access=access)
    if query:
        residents = residents.filter(real_name__contains=query)
    services = Service.objects.filter(
        is_active=True, district__villages__in=list(sel.clerk_village_ids(access))
    ).distinct()
    return render(
        request,
        "portal/clerk.html",
        {
            "applications": sel.applications_to_handle(access=access)[:200],
            "residents": residents[:30] if query else [],
            "services": services,
            "q": query,
        },
    )


@login_required
def portal_clerk_application(request: HttpRequest, pk: int) -> HttpResponse:
    access = _clerk_access(request)
    application = sel.application_get_for_clerk(access=access, pk=pk)
    seals = seals_for_application(application)
    if request.method == "POST":
        seal: Seal | None = None
        seal_pk = request.POST.get("seal", "")
        if seal_pk.isdigit():
            seal = next((s for s in seals if s.pk == int(seal_pk)), None)
        try:
            seal_request = application_accept(
                application=application, by=request_person(request), seal=seal
            )
        except RuleViolation as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request, _("已生成用印申请 %(n)s 并提交审批。") % {"n": seal_request.number}
            )
            return redirect("seal_request_detail", pk=seal_request.pk)
    return render(
        request,
        "portal/clerk_application.html",
        {
            "application": application,
            "rows": field_rows(
                application.service, application.resident, application.answers, None
            ),
            "seals": seals,
        },
    )
