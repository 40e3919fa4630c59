"""Privileged staff reach nothing but the second-factor pages until they pass one, and
staff with an expired password nothing but the password page."""

from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from zhiyin.accounts.passwords import (
    PASSWORD_VALID_UNTIL_SESSION_KEY,
    password_valid_until,
)
from zhiyin.accounts.sessions import idle_timeout_applies
from zhiyin.accounts.twofactor import has_second_factor, second_factor_required
from zhiyin.core.api import error_body
from zhiyin.orgs.auth import request_access
from zhiyin.orgs.models import Person

#: Paths a person who still owes a second factor may reach (sign-out, public pages).
OPEN_PREFIXES = ("/accounts/2fa/", "/accounts/logout/", "/static/", "/i18n/", "/verify/", "/pki/")


class SecondFactorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            isinstance(user, Person)
            and not user.is_verified()  # type: ignore[attr-defined]  # set by OTPMiddleware
            and not request.path.startswith(OPEN_PREFIXES)
            and second_factor_required(request_access(request))
        ):
            if request.path.startswith("/api/"):
                body = error_body("second_factor_required", _("请先在网页上完成两步验证。"))
                return JsonResponse(body, status=403, json_dumps_params={"ensure_ascii": False})
            name = "accounts_second_factor" if has_second_factor(user) else "accounts_enrol"
            return redirect(f"{reverse(name)}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)


#: Paths a person whose password expired may still reach (besides the change page).
PASSWORD_OPEN_PREFIXES = (*OPEN_PREFIXES, "/accounts/password/")


class PasswordExpiryMiddleware:
    """Staff whose password is older than `PASSWORD_MAX_AGE_DAYS` change it before they
    do anything else. Runs after the second-factor check (a changed password is set by
    the person, not by whoever knows the old one). The expiry is looked up once a session
    and again only when it is due, so most requests cost nothing."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            isinstance(user, Person)
            and settings.PASSWORD_MAX_AGE_DAYS
            and not request.path.startswith(PASSWORD_OPEN_PREFIXES)
            and self._expired(request, user)
            and idle_timeout_applies(request_access(request))
        ):
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": _("密码已过期，请先在网页上修改密码。")}, status=403)
            messages.warning(
                request,
                _("您的密码已使用超过 %(days)d 天，请先修改密码。")
                % {"days": settings.PASSWORD_MAX_AGE_DAYS},
            )
            return redirect("password_change")
        return self.get_response(request)

    def _expired(self, request: HttpRequest, user: Person) -> bool:
        until = request.session.get(PASSWORD_VALID_UNTIL_SESSION_KEY)
        if isinstance(until, int | float) and time.time() < until:
            return False
        until = password_valid_until(user)
        request.session[PASSWORD_VALID_UNTIL_SESSION_KEY] = until
        return time.time() >= until
