"""The second-factor pages: enrol an authenticator, enter a code (at sign-in and for
step-up), and the admin's reset of a lost authenticator."""

from __future__ import annotations

import base64
import io
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django_otp.plugins.otp_totp.models import TOTPDevice

from zhiyin.accounts.twofactor import (
    has_second_factor,
    second_factor_verify,
    totp_enrolment_confirm,
    totp_enrolment_start,
)
from zhiyin.accounts.webauthn import has_security_key
from zhiyin.core.errors import RuleViolation
from zhiyin.orgs.auth import request_person

ENROL_SESSION_KEY = "zhiyin_enrol_device"


def _next(request: HttpRequest) -> str:
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    if wanted and url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return wanted
    return "/"


def _qr_data_uri(text: str) -> str:
    import qrcode

    image = qrcode.make(text, box_size=6, border=2)
    buffer = io.BytesIO()
    image.save(buffer)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


@login_required
def enrol(request: HttpRequest) -> HttpResponse:
    """Bind an authenticator app: scan the QR code (or type the key), then type a code."""
    person = request_person(request)
    if has_second_factor(person) and not request.user.is_verified():  # type: ignore[union-attr]  # set by OTPMiddleware
        # Replacing an authenticator needs the current one (or a recovery code) first:
        # a password alone must never bind a new factor.
        return redirect(f"{reverse('accounts_second_factor')}?{urlencode({'next': request.path})}")
    device_id = request.session.get(ENROL_SESSION_KEY)
    device = TOTPDevice.objects.filter(pk=device_id, user=person, confirmed=False).first()
    error = ""
    if request.method == "POST" and device is not None:
        try:
            codes = totp_enrolment_confirm(
                request=request, person=person, device=device, token=request.POST.get("token", "")
            )
        except RuleViolation as exc:
            error = exc.message
        else:
            request.session.pop(ENROL_SESSION_KEY, None)
            return render(
                request, "accounts/recovery_codes.html", {"codes": codes, "next": _next(request)}
            )
    if device is None:
        device = totp_enrolment_start(person=person)
        request.session[ENROL_SESSION_KEY] = device.pk
    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    return render(
        request,
        "accounts/enrol.html",
        {
            "qr": _qr_data_uri(device.config_url),
            "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
            "error": error,
            "next": _next(request),
            "replacing": has_second_factor(person),
        },
    )


@login_required
def second_factor(request: HttpRequest) -> HttpResponse:
    """Type the authenticator's current code or a recovery code."""
    person = request_person(request)
    if not has_second_factor(person):
        return redirect("accounts_enrol")
    error = ""
    if request.method == "POST":
        try:
            second_factor_verify(
                request=request, person=person, token=request.POST.get("token", "")
            )
        except RuleViolation as exc:
            error = exc.message
        else:
            return redirect(_next(request))
    return render(
        request,
        "accounts/second_factor.html",
        {
            "error": error,
            "next": _next(request),
            "step_up": request.GET.get("step_up") == "1",
            "has_key": has_security_key(person),
        },
    )
