"""The home page (工作台): what waits for the person, then their roles and places."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from zhiyin.approvals.calendar_years import unknown_calendar_years
from zhiyin.orgs.auth import request_access, request_person
from zhiyin.orgs.models import Role
from zhiyin.orgs.selectors import admin_district_ids, bureaus_for, districts_for, villages_for
from zhiyin.seals.selectors import seals_for
from zhiyin.workspace.display import large_text_set
from zhiyin.workspace.menu import menu_for
from zhiyin.workspace.selectors import worklist_for


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """One page per person: their worklist first, a section for each role they hold."""
    access = request_access(request)
    person = request_person(request)
    is_staff_person = bool(access.roles - {Role.RESIDENT, Role.BUREAU_OFFICER})
    context: dict[str, Any] = {
        "access": access,
        "grants": access.grants,
        "worklist": worklist_for(access=access, person=person),
        "menu_tiles": [e for e in menu_for(access) if not e.primary and e.key != "password"],
        "is_resident": access.has_role(Role.RESIDENT),
        "is_staff_person": is_staff_person,
    }
    if is_staff_person:
        villages = villages_for(access=access)
        seals = seals_for(access=access)
        context |= {
            "districts": districts_for(access=access),
            "villages": villages.annotate(
                group_count=Count(
                    "groups", filter=Q(groups__retired_at__isnull=True), distinct=True
                ),
                resident_count=Count("residents", distinct=True),
                custodian_count=Count(
                    "rolegrant_scoped",
                    filter=Q(
                        rolegrant_scoped__role=Role.CUSTODIAN,
                        rolegrant_scoped__revoked_at__isnull=True,
                    ),
                    distinct=True,
                ),
            ).order_by("code")[:100],
            "village_count": villages.count(),
            "seals": seals.order_by("village__code", "kind")[:10],
            "seal_count": seals.count(),
            "bureaus": bureaus_for(access=access),
        }
    if access.is_district_admin:
        context["calendar_gaps"] = sorted(
            unknown_calendar_years(district_ids=admin_district_ids(access=access)).items()
        )
    return render(request, "workspace/home.html", context)


@require_POST
def display_large_text(request: HttpRequest) -> HttpResponse:
    """The 长辈版 switch in every page's header: large type on (large=1) or off (large=0),
    then back to the page it was pressed on."""
    large = request.POST.get("large") == "1"
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = "/"
    response = redirect(target)
    large_text_set(request=request, response=response, large=large)
    return response
