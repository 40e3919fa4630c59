"""Staff and resident pages: login, home for each role, a village's page.

Thin: parse, authorize through selectors, call a service, render.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from zhiyin.audit.services import audit_record_standalone
from zhiyin.core.errors import RuleViolation
from zhiyin.orgs.auth import request_access, request_person
from zhiyin.orgs.forms import LoginForm, PasswordChangeForm
from zhiyin.orgs.selectors import (
    groups_for,
    officials_for,
    residents_for,
    village_get_for,
)
from zhiyin.orgs.services import person_password_change


class LoginView(auth_views.LoginView):
    template_name = "orgs/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def form_valid(self, form: LoginForm) -> HttpResponse:  # type: ignore[override]  # narrower form type
        response = super().form_valid(form)
        audit_record_standalone(actor=form.get_user(), action="person.login")
        return response

    def form_invalid(self, form: LoginForm) -> HttpResponse:  # type: ignore[override]  # narrower form type
        login = str(form.data.get("username", ""))[:50]
        audit_record_standalone(actor=None, action="person.login_failed", target_label=login)
        return super().form_invalid(form)


@login_required
def village_detail(request: HttpRequest, pk: int) -> HttpResponse:
    access = request_access(request)
    village = village_get_for(access=access, pk=pk)
    residents = Paginator(
        residents_for(access=access, village=village).order_by("home_group__number", "username"), 50
    )
    return render(
        request,
        "orgs/village_detail.html",
        {
            "village": village,
            "groups": groups_for(access=access, village=village),
            "officials": officials_for(access=access, village=village),
            "residents": residents.get_page(request.GET.get("page")),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def password_change(request: HttpRequest) -> HttpResponse:
    person = request_person(request)
    form = PasswordChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            person_password_change(
                person=person,
                old_password=form.cleaned_data["old_password"],
                new_password=form.cleaned_data["new_password"],
            )
        except RuleViolation as exc:
            form.add_error(None, exc.message)
        else:
            update_session_auth_hash(request, person)
            messages.success(request, _("密码已修改。"))
            return redirect("home")
    return render(request, "orgs/password_change.html", {"form": form})
