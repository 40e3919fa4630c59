"""The WebAuthn ceremonies (django-otp-webauthn's JSON views, narrowed for Zhiyin) and the
removal of a key from the account security page.

They live under /accounts/2fa/webauthn/, which `SecondFactorMiddleware` leaves open to a
person who has typed their password but not yet passed the second factor. The library's
browser script (`otp_webauthn_auth.js` / `otp_webauthn_register.js`) calls them with the
CSRF token from the page and follows the `redirect_url` the completion answers with.

- Registration needs a signed-in person who already has an authenticator app and passed
  a second factor within `STEP_UP_SECONDS`.
- Authentication is a second factor only: the person must already be signed in with
  their password (no passwordless sign-in), and only their own keys are accepted.
- Every refusal answers JSON with a Chinese message (the script shows it), never a 500.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.i18n import JavaScriptCatalog
from django_otp_webauthn import exceptions
from django_otp_webauthn.views import (
    BeginCredentialAuthenticationView,
    BeginCredentialRegistrationView,
    CompleteCredentialAuthenticationView,
    CompleteCredentialRegistrationView,
)

from zhiyin.accounts.decorators import fresh_second_factor_required
from zhiyin.accounts.twofactor import has_second_factor, second_factor_fresh
from zhiyin.accounts.webauthn import (
    MAX_KEYS,
    security_key_failed,
    security_key_passed,
    security_key_registered,
    security_key_remove,
    security_keys_of,
)
from zhiyin.core.errors import RuleViolation
from zhiyin.orgs.auth import request_person
from zhiyin.orgs.models import Person

logger = logging.getLogger(__name__)


class _Refused(exceptions.OTPWebAuthnApiError):
    """A refusal of Zhiyin's own (`detail` in Chinese), or one of the library's by code."""

    def __init__(self, *, code: str = "refused", detail: str = "", status: int = 403) -> None:
        Exception.__init__(self, detail or code)
        self.detail = detail
        self.code = code
        self.status_code = status


def _messages() -> dict[str, str]:
    """The person's message for each of the library's refusals, by its code."""
    return {
        "malformed_request": _("请求格式不正确，请刷新页面后重试。"),
        "invalid_state": _("验证已过期或已使用，请刷新页面后重试。"),
        "unprocessable_request": _("安全密钥的应答无法识别，请重试。"),
        "invalid_cbor": _("安全密钥的应答无法识别，请重试。"),
        "invalid_registration_response": _("安全密钥的注册应答未通过校验，请重试。"),
        "invalid_authentication_response": _("安全密钥的应答未通过校验，请重试。"),
        "passwordless_login_disabled": _("请先输入账号和密码登录。"),
        "user_disabled": _("该账号已停用。"),
        "credential_disabled": _("这把安全密钥已停用。"),
        "credential_not_found": _("这把安全密钥没有登记在您的账号下。"),
        "credential_user_mismatch": _("这把安全密钥没有登记在您的账号下。"),
        "not_authenticated": _("请先输入账号和密码登录。"),
        "user_not_verified": _("请先完成两步验证，再登记安全密钥。"),
    }


class _ZhiyinCeremony:
    """Shared by the four ceremony views: Chinese refusals, and bad input answered 400."""

    request: HttpRequest

    def handle_exception(self, exc: Exception) -> HttpResponse:
        if isinstance(exc, exceptions.OTPWebAuthnApiError):
            detail = str(exc.detail) if isinstance(exc, _Refused) else ""
            detail = detail or _messages().get(exc.code, _("安全密钥验证失败，请重试。"))
            self.refused(exc.code)
            return JsonResponse(
                {"detail": detail, "code": exc.code},
                status=exc.status_code,
                json_dumps_params={"ensure_ascii": False},
            )
        if isinstance(exc, ValueError | KeyError | TypeError | AttributeError):
            # A hand-made body the library's parser chokes on: bad input, not a fault
            # (logged all the same, in case it is one).
            logger.warning("refused a malformed WebAuthn request", exc_info=exc)
            self.refused("malformed_request")
            return JsonResponse(
                {"detail": _messages()["malformed_request"], "code": "malformed_request"},
                status=400,
                json_dumps_params={"ensure_ascii": False},
            )
        raise exc

    def refused(self, code: str) -> None:
        """Hook: a refusal worth recording (authentication records it)."""


def _signed_in(request: HttpRequest) -> Person | None:
    user = getattr(request, "user", None)
    return user if isinstance(user, Person) else None


class _MayRegister(_ZhiyinCeremony):
    def check_can_register(self) -> None:
        person = _signed_in(self.request)
        if person is None:
            raise _Refused(code="not_authenticated")
        if not has_second_factor(person):
            raise _Refused(detail=_("请先绑定身份验证器（并保存恢复码），再登记安全密钥。"))
        if not second_factor_fresh(self.request):
            raise _Refused(detail=_("登记安全密钥前，请先在两步验证页面重新验证身份。"))
        if security_keys_of(person).count() >= MAX_KEYS:
            raise _Refused(
                detail=_("最多登记%(n)d把安全密钥，请先移除不用的密钥。") % {"n": MAX_KEYS}
            )


class RegistrationBegin(_MayRegister, BeginCredentialRegistrationView):
    pass


class RegistrationComplete(_MayRegister, CompleteCredentialRegistrationView):
    def post(self, *args: Any, **kwargs: Any) -> HttpResponse:
        response: HttpResponse = super().post(*args, **kwargs)  # type: ignore[no-untyped-call]  # the library is untyped
        person = _signed_in(self.request)
        if person is not None and response.status_code == 200:
            stored = json.loads(response.content).get("id")  # the library answers {"id": pk}
            credential = security_keys_of(person).filter(pk=stored).first()
            if credential is not None:
                security_key_registered(person=person, credential=credential)
                messages.success(self.request, _("已登记安全密钥。"))
        return response


class _SecondFactorOnly(_ZhiyinCeremony):
    def check_can_authenticate(self) -> None:
        person = _signed_in(self.request)
        if person is None:
            raise _Refused(code="passwordless_login_disabled")
        if not person.is_active:
            raise _Refused(code="user_disabled")


class AuthenticationBegin(_SecondFactorOnly, BeginCredentialAuthenticationView):
    pass


class AuthenticationComplete(_SecondFactorOnly, CompleteCredentialAuthenticationView):
    def complete_auth(self, device: Any) -> None:  # type: ignore[override]  # the library's returns nothing either
        person = _signed_in(self.request)
        assert person is not None and device.user_id == person.pk  # checked by the library
        security_key_passed(request=self.request, person=person, credential=device)

    def refused(self, code: str) -> None:
        person = _signed_in(self.request)
        if person is not None:
            security_key_failed(person=person, code=code)


class Catalog(JavaScriptCatalog):
    """The library script's messages, in Chinese from Zhiyin's catalogue."""

    packages = ["django_otp_webauthn", "zhiyin.accounts"]  # noqa: RUF012  # as the base declares it


#: Mounted under /accounts/2fa/webauthn/ with the namespace the library's templates use.
ceremony_patterns = (
    [
        path(
            "registration/begin/",
            RegistrationBegin.as_view(),
            name="credential-registration-begin",
        ),
        path(
            "registration/complete/",
            RegistrationComplete.as_view(),
            name="credential-registration-complete",
        ),
        path(
            "authentication/begin/",
            AuthenticationBegin.as_view(),
            name="credential-authentication-begin",
        ),
        path(
            "authentication/complete/",
            AuthenticationComplete.as_view(),
            name="credential-authentication-complete",
        ),
        path("jsi18n/", Catalog.as_view(), name="js-i18n-catalog"),
    ],
    "otp_webauthn",
)


@login_required
@require_POST
@fresh_second_factor_required
def security_key_remove_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Remove one of one's own keys (a fresh second factor first)."""
    try:
        security_key_remove(person=request_person(request), pk=pk)
    except RuleViolation as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已移除这把安全密钥。"))
    return redirect("accounts_security")
