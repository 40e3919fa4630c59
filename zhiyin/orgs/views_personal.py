"""Showing a resident's full ID number and phone to staff: masked by default, in full only
on an explicit "显示完整" with a reason, and every such view is an audited event (who, whose,
why) that the resident sees on their own page (/portal/my-data/)."""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from zhiyin.audit.services import audit_record_standalone, district_log
from zhiyin.lib.idcard import phone_mask
from zhiyin.orgs.auth import request_access, request_person
from zhiyin.orgs.models import Person
from zhiyin.orgs.selectors import residents_for, village_get_for

PERSONAL_DATA_VIEW = "person.personal_data_view"


class RevealForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("查看事由"),
        min_length=4,
        max_length=200,
        help_text=gettext_lazy(
            "例如：核对冬季瓜菜补贴申请人身份。查看会被记录，村民本人可以看到。"
        ),
        error_messages={
            "required": gettext_lazy("请写明查看事由。"),
            "min_length": gettext_lazy("请把查看事由写清楚（至少 4 个字）。"),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def resident_personal_data(request: HttpRequest, pk: int, person_pk: int) -> HttpResponse:
    access = request_access(request)
    village = village_get_for(access=access, pk=pk)
    resident: Person | None = (
        residents_for(access=access, village=village).filter(pk=person_pk).first()
    )
    if resident is None:
        raise Http404
    form = RevealForm(request.POST or None)
    revealed = False
    status = 200
    if request.method == "POST":
        if form.is_valid():
            audit_record_standalone(
                actor=request_person(request),
                action=PERSONAL_DATA_VIEW,
                target=resident,
                target_label=_("%(name)s 的身份证号和手机号") % {"name": resident.real_name},
                after={
                    "resident": resident.pk,
                    "fields": ["id_number", "phone"],
                    "reason": form.cleaned_data["reason"],
                },
                scope=village.name,
                log=district_log(village.district_id),
            )
            revealed = True
        else:
            status = 400
    return render(
        request,
        "orgs/resident_personal_data.html",
        {
            "village": village,
            "resident": resident,
            "form": form,
            "revealed": revealed,
            "id_number": resident.id_number if revealed else resident.id_number_masked,
            "phone": resident.phone if revealed else phone_mask(resident.phone or ""),
        },
        status=status,
    )
