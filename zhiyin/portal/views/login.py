"""The portal's login: phone and one-time code, or the citizen app (OIDC)."""

from __future__ import annotations

import secrets
from typing import Any

from django.contrib import messages
from django.contrib.auth import login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from zhiyin.audit.services import audit_record_standalone
from zhiyin.core.errors import RuleViolation
from zhiyin.orgs.models import Person
from zhiyin.portal.forms import CodeForm, PhoneForm
from zhiyin.portal.identity import IdentityError, identity_provider
from zhiyin.portal.services.login import login_code_send, login_code_verify

BACKEND = "zhiyin.orgs.auth.PhoneOrUsernameBackend"


def portal_login(request: HttpRequest) -> HttpResponse:
    """Phone number, then a one-time code; password and the citizen app as alternatives."""
    if request.user.is_authenticated:
        return redirect("portal_home")
    context: dict[str, Any] = {"provider": identity_provider()}
    if request.method == "POST" and "code" in request.POST:
        code_form = CodeForm(request.POST)
        if code_form.is_valid():
            try:
                person = login_code_verify(
                    phone=code_form.cleaned_data["phone"], code=code_form.cleaned_data["code"]
                )
            except RuleViolation as exc:
                code_form.add_error("code", exc.message)
            else:
                login(request, person, backend=BACKEND)
                return redirect("portal_home")
        context["code_form"] = code_form
        return render(request, "portal/login.html", context)
    phone_form = PhoneForm(request.POST or None)
    if request.method == "POST" and phone_form.is_valid():
        phone = phone_form.cleaned_data["phone"]
        try:
            code = login_code_send(phone=phone)
        except RuleViolation as exc:
            phone_form.add_error("phone", exc.message)
        else:
            from django.conf import settings

            context["dev_code"] = code if settings.DEBUG else None
            context["code_form"] = CodeForm(initial={"phone": phone})
            context["phone"] = phone
            return render(request, "portal/login.html", context)
    context["phone_form"] = phone_form
    return render(request, "portal/login.html", context)


def portal_idp_start(request: HttpRequest) -> HttpResponse:
    provider = identity_provider()
    if provider is None:
        raise PermissionDenied
    state, nonce = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
    request.session["portal_oidc"] = {"state": state, "nonce": nonce}
    url = provider.authorization_url(
        redirect_uri=request.build_absolute_uri(reverse("portal_idp_callback")),
        state=state,
        nonce=nonce,
    )
    return redirect(url)


def portal_idp_callback(request: HttpRequest) -> HttpResponse:
    provider = identity_provider()
    if provider is None:
        raise PermissionDenied
    expected = request.session.pop("portal_oidc", None) or {}
    state, code = request.GET.get("state", ""), request.GET.get("code", "")
    failed = _("身份认证没有成功，请重试或用手机验证码登录。")
    if not code or not expected or not secrets.compare_digest(state, str(expected.get("state"))):
        messages.error(request, failed)
        return redirect("portal_login")
    try:
        identity = provider.identity_from_code(
            code=code,
            redirect_uri=request.build_absolute_uri(reverse("portal_idp_callback")),
            nonce=str(expected.get("nonce")),
        )
    except IdentityError as exc:
        audit_record_standalone(
            actor=None, action="person.login_failed", target_label=str(exc)[:200]
        )
        messages.error(request, failed)
        return redirect("portal_login")
    person = Person.objects.filter(id_number=identity.id_number, is_active=True).first()
    if person is None:
        messages.error(request, _("没有找到与您身份证号对应的账号，请联系村委会登记。"))
        return redirect("portal_login")
    login(request, person, backend=BACKEND)
    audit_record_standalone(actor=person, action="person.login", after={"method": provider.name})
    return redirect("portal_home")
