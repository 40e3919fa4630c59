"""One's own sign-in security: second factors, recovery codes, and where one is signed in
(with signing out one device or all of them)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from zhiyin.accounts.decorators import fresh_second_factor_required
from zhiyin.accounts.passwords import password_expires_at
from zhiyin.accounts.sessions import session_end, sessions_end_all, sessions_of
from zhiyin.accounts.twofactor import (
    has_second_factor,
    recovery_codes_left,
    recovery_codes_regenerate,
    second_factor_required,
)
from zhiyin.accounts.webauthn import security_keys_of
from zhiyin.core.errors import RuleViolation
from zhiyin.orgs.auth import request_access, request_person


@login_required
def security(request: HttpRequest) -> HttpResponse:
    person = request_person(request)
    return render(
        request,
        "accounts/security.html",
        {
            "required": second_factor_required(request_access(request)),
            "has_totp": has_second_factor(person),
            "codes_left": recovery_codes_left(person),
            "keys": list(security_keys_of(person)),
            "sessions": sessions_of(person=person),
            "current_key": request.session.session_key,
            "password_expires": password_expires_at(person),
        },
    )


@login_required
@fresh_second_factor_required
def recovery_codes(request: HttpRequest) -> HttpResponse:
    """Confirm (GET), then make ten new recovery codes and show them once (POST)."""
    person = request_person(request)
    if not has_second_factor(person):
        return redirect("accounts_enrol")
    if request.method == "POST":
        try:
            codes = recovery_codes_regenerate(person=person)
        except RuleViolation as exc:
            messages.error(request, exc.message)
            return redirect("accounts_security")
        return render(
            request,
            "accounts/recovery_codes.html",
            {"codes": codes, "next": "/accounts/security/", "regenerated": True},
        )
    return render(
        request, "accounts/recovery_confirm.html", {"codes_left": recovery_codes_left(person)}
    )


@login_required
@require_POST
def session_end_view(request: HttpRequest, pk: int) -> HttpResponse:
    person = request_person(request)
    try:
        ended = session_end(person=person, pk=pk)
    except RuleViolation as exc:
        messages.error(request, exc.message)
        return redirect("accounts_security")
    if ended.session_key == request.session.session_key:
        logout(request)
        return redirect("login")
    messages.success(request, _("已让该设备退出登录。"))
    return redirect("accounts_security")


@login_required
@require_POST
def sessions_end_all_view(request: HttpRequest) -> HttpResponse:
    sessions_end_all(person=request_person(request))
    logout(request)
    messages.success(request, _("已在所有设备上退出登录，请重新登录。"))
    return redirect("login")
