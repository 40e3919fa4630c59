"""The district admin's register import page."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from zhiyin.orgs.auth import request_access, request_person
from zhiyin.orgs.models import Role
from zhiyin.portal.forms import RegisterFileForm
from zhiyin.portal.services.district import register_import


@login_required
def portal_register_import(request: HttpRequest) -> HttpResponse:
    person = request_person(request)
    access = request_access(request)
    districts = [
        g.district
        for g in access.grants
        if g.role == Role.ADMIN and g.village_id is None and g.bureau_id is None
    ]
    if not districts:
        raise PermissionDenied
    form = RegisterFileForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        # One byte past the limit is read so that the service sees the file is too big
        # and refuses it whole (a cut file would import as if it were complete).
        report = register_import(
            data=upload.read(settings.REGISTER_IMPORT_MAX_BYTES + 1),
            filename=upload.name or "",
            district=districts[0],
            by=person,
        )
        if report.ok:
            messages.success(
                request,
                _("导入成功：新增 %(c)d 人，更新 %(u)d 人。")
                % {"c": report.created, "u": report.updated},
            )
    return render(request, "portal/register_import.html", {"form": form, "report": report})
