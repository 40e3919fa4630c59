"""Privileged staff reach nothing but the second-factor pages until they pass one."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

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
