"""Response headers Django 5.2 does not set by itself."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.middleware.gzip import GZipMiddleware
from django.utils.translation import gettext

from zhiyin.core.api import error_body


class ContentSecurityPolicyMiddleware:
    """Only our own scripts, styles and images; no framing. Django admin fits this policy."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.setdefault("Content-Security-Policy", settings.CONTENT_SECURITY_POLICY)
        response.setdefault("Permissions-Policy", "geolocation=(), microphone=(), camera=(self)")
        return response


#: Responses worth compressing: pages, JSON, CSV exports. Images, PDFs and archives are
#: compressed already (gzip would only cost CPU); static files come precompressed from
#: WhiteNoise.
COMPRESSED_TYPES = frozenset(
    {"text/html", "text/plain", "text/csv", "application/json", "application/xml"}
)


class TextGZipMiddleware(GZipMiddleware):
    """Django's gzip (with its BREACH mitigation: random bytes in each gzip header;
    CSRF tokens are masked per response) for text only. A phone page is a third of its
    size on the wire (Lighthouse: "enable text compression")."""

    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        kind = response.get("Content-Type", "").split(";")[0].strip().lower()
        if kind not in COMPRESSED_TYPES:
            return response
        return super().process_response(request, response)


class RefuseNulCharactersMiddleware:
    """A NUL character in the address or a form is never something a person typed, and
    PostgreSQL refuses it in any text it compares or stores (a 500 deep inside a query).
    Refuse the whole request up front with the Chinese 400 page; nothing runs, nothing
    is written."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if _has_nul(request):
            if request.path.startswith("/api/"):
                body = error_body("bad_request", gettext("请求中含有空字符（NUL），已拒绝。"))
                return JsonResponse(body, status=400, json_dumps_params={"ensure_ascii": False})
            from zhiyin.orgs.errorpages import bad_request

            return bad_request(request)
        return self.get_response(request)


def _has_nul(request: HttpRequest) -> bool:
    if "\x00" in request.path:
        return True
    for key, values in request.GET.lists():
        if "\x00" in key or any("\x00" in value for value in values):
            return True
    content_type = request.META.get("CONTENT_TYPE", "")
    if (
        content_type.startswith("application/json")
        and request.method in {"POST", "PUT", "PATCH"}
        and not request.path.startswith("/api/devices/")  # reads its body itself, capped
    ):
        # JSON spells NUL as an escape; a raw NUL byte is not JSON at all.
        body = request.body
        return b"\\u0000" in body or b"\x00" in body
    if request.method == "POST" and content_type.startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        for key, values in request.POST.lists():
            if "\x00" in key or any("\x00" in value for value in values):
                return True
    return False
