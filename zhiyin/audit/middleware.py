"""Records refused access (`access.denied`) raised by views.

A view refuses by raising `PermissionDenied`, or `Http404` when a scoped selector does not
find the object for this person — the log then shows who probed what. Anonymous `Http404`s
are not recorded (crawlers would fill the log); URL-resolver misses never reach here. The
JSON API answers its own errors and records its refusals itself.
"""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse

from zhiyin.audit.services import audit_access_denied


class AccessDeniedAuditMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> None:
        user = getattr(request, "user", None)
        signed_in = user is not None and user.is_authenticated
        if isinstance(exception, PermissionDenied):
            reason = "permission_denied"
        elif isinstance(exception, Http404) and signed_in:
            reason = "not_found"
        else:
            return
        audit_access_denied(
            actor=user if signed_in else None,
            path=request.path,
            method=request.method or "",
            reason=reason,
        )
