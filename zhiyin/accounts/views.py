"""Staff sign-in pages: the lockout answer and the admin's list of lockouts."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from zhiyin.accounts.lockout import lockout_clear, lockouts_for
from zhiyin.core.errors import RuleViolation
from zhiyin.orgs.auth import request_access, request_person


def locked_out(
    request: HttpRequest, original_response: Any = None, credentials: Any = None
) -> HttpResponse:
    """What django-axes answers once an account or address is locked (429, in Chinese);
    the same page whether or not the password was right, so it reveals nothing."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return render(request, "accounts/locked_out.html", {"minutes": minutes}, status=429)


@login_required
def lockouts(request: HttpRequest) -> HttpResponse:
    access = request_access(request)
    if not access.is_security_admin:
        raise PermissionDenied
    return render(request, "accounts/lockouts.html", {"lockouts": lockouts_for(access=access)})


@login_required
@require_POST
def lockout_clear_view(request: HttpRequest) -> HttpResponse:
    access = request_access(request)
    if not access.is_security_admin:
        raise PermissionDenied
    try:
        found = lockout_clear(
            access=access, by=request_person(request), key=str(request.POST.get("key", ""))
        )
    except RuleViolation as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已解除“%(what)s”的登录锁定。") % {"what": found.value})
    return redirect("accounts_lockouts")
