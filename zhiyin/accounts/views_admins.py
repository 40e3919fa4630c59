"""The security administrator's second-factor resets and the audit administrator's
sign-in security log (三员分立). Lockouts are in `views`."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from zhiyin.accounts.decorators import fresh_second_factor_required
from zhiyin.accounts.staff import (
    SECURITY_ACTIONS,
    SecurityLogFilter,
    privileged_staff_for,
    security_events_for,
    staff_get_for_reset,
)
from zhiyin.accounts.twofactor import second_factor_reset
from zhiyin.core.errors import RuleViolation
from zhiyin.orgs.auth import request_access, request_person


@login_required
def staff_factors(request: HttpRequest) -> HttpResponse:
    access = request_access(request)
    if not access.is_security_admin:
        raise PermissionDenied
    return render(
        request,
        "accounts/staff_factors.html",
        {"staff": privileged_staff_for(access=access), "me": access.person_id},
    )


@login_required
@require_POST
@fresh_second_factor_required
def second_factor_reset_view(request: HttpRequest, pk: int) -> HttpResponse:
    access = request_access(request)
    if not access.is_security_admin:
        raise PermissionDenied
    person = staff_get_for_reset(access=access, pk=pk)
    reason = str(request.POST.get("reason", "")).strip()
    try:
        second_factor_reset(person=person, by=request_person(request), reason=reason)
    except RuleViolation as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("已重置%(name)s的两步验证，其下次登录时重新绑定。") % {"name": person.display_name},
        )
    return redirect("accounts_staff_factors")


class SecurityLogFilterForm(forms.Form):
    action = forms.ChoiceField(label=gettext_lazy("事件类型"), required=False)
    person = forms.CharField(
        label=gettext_lazy("人员（登录名、姓名或手机号）"), required=False, max_length=150
    )
    start = forms.DateField(
        label=gettext_lazy("日期自"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label=gettext_lazy("至"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["action"].choices = [("", _("全部")), *SECURITY_ACTIONS.items()]  # type: ignore[attr-defined]  # a ChoiceField

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            raise forms.ValidationError(_("结束日期不能早于开始日期。"))
        return data


@login_required
def security_log(request: HttpRequest) -> HttpResponse:
    """The sign-in security log, narrowed by event kind, person and dates (GET fields)."""
    access = request_access(request)
    if not access.is_audit_admin:
        raise PermissionDenied
    form = SecurityLogFilterForm(request.GET or None)
    narrow = SecurityLogFilter()
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        narrow = SecurityLogFilter(
            action=data["action"] or "",
            person=(data["person"] or "").strip(),
            start=data["start"],
            end=data["end"],
        )
    events = Paginator(security_events_for(access=access, narrow=narrow), 50).get_page(
        request.GET.get("page")
    )
    rows = [(event, SECURITY_ACTIONS.get(event.action, event.action)) for event in events]
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "accounts/security_log.html",
        {"events": events, "rows": rows, "form": form, "query": query.urlencode()},
    )
