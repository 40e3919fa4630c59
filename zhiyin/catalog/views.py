"""Catalog pages: the staff's list of matters, one matter with its chain, and the public
negative list residents can read before they make the trip to the office."""

from __future__ import annotations

from itertools import groupby

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from zhiyin.catalog.models import MatterCategory
from zhiyin.catalog.selectors import (
    catalog_district_ids,
    matter_get_for,
    matters_search,
    negative_list_for,
    negative_list_match,
)
from zhiyin.orgs.auth import request_access
from zhiyin.orgs.models import District
from zhiyin.orgs.selectors import Access


def _staff_access(request: HttpRequest) -> Access:
    access = request_access(request)
    if not catalog_district_ids(access):
        raise PermissionDenied(_("事项目录只对村（社区）和区里的工作人员开放。"))
    return access


@login_required
def matter_list(request: HttpRequest) -> HttpResponse:
    access = _staff_access(request)
    query = request.GET.get("q", "")[:50]
    matters = list(matters_search(access=access, query=query))
    order = {value: n for n, value in enumerate(MatterCategory.values)}
    matters.sort(key=lambda m: (order.get(m.category, len(order)), m.code))
    labels = dict(MatterCategory.choices)
    groups = [
        (labels.get(category, category), list(items))
        for category, items in groupby(matters, key=lambda m: m.category)
    ]
    return render(
        request,
        "catalog/matter_list.html",
        {"groups": groups, "q": query, "count": len(matters)},
    )


@login_required
def matter_detail(request: HttpRequest, pk: int) -> HttpResponse:
    matter = matter_get_for(access=_staff_access(request), pk=pk)
    return render(
        request,
        "catalog/matter_detail.html",
        {"matter": matter, "steps": list(matter.chain.steps.all())},
    )


def negative_list(request: HttpRequest) -> HttpResponse:
    """Public: no login. `district` narrows to one district's own additions."""
    district = None
    district_pk = request.GET.get("district", "")
    if district_pk.isdigit():
        district = District.objects.filter(pk=int(district_pk)).first()
    text = request.GET.get("text", "")[:200]
    checked = bool(text.strip())
    return render(
        request,
        "catalog/negative_list.html",
        {
            "items": negative_list_for(district=district),
            "text": text,
            "checked": checked,
            "match": negative_list_match(text, district=district) if checked else None,
        },
    )
