"""The JSON API (django-ninja): one NinjaAPI, each app's Router mounted under its own
prefix. The OpenAPI schema and its browsable docs are served at /api/docs.

Every error answer has the one body of `zhiyin.core.api.ErrorOut` (a stable `code`, a
Chinese `message`), made here by one exception handler for every kind of refusal.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import HttpError, ValidationError

from zhiyin.approvals.api import router as approvals_router
from zhiyin.catalog.api import router as catalog_router
from zhiyin.core.api import CODE_FOR_STATUS, ApiError, ErrorCode, error_body
from zhiyin.core.errors import RuleViolation
from zhiyin.delivery.api import router as delivery_router
from zhiyin.oversight.api import router as audit_router
from zhiyin.sealing.api import router as verification_router

logger = logging.getLogger("django.request")

api = NinjaAPI(title="Zhiyin API", version="1", urls_namespace="api")
api.add_router("/audit/", audit_router)
api.add_router("/requests/", approvals_router)
api.add_router("/catalog/", catalog_router)
api.add_router("/verify/", verification_router)
api.add_router("/delivery/", delivery_router)


def _ninja_message(status: int, text: str) -> str:
    """django-ninja's own English refusals, said in the person's language."""
    if status == 401:
        return _("需要登录，或在 Authorization 头中提供有效的 API 令牌。")
    if text.startswith("CSRF"):
        return _("缺少或错误的 CSRF 令牌：用浏览器会话调用时请带上 X-CSRFToken 头。")
    if text.startswith("Cannot parse request body"):
        return _("请求体无法解析：请发送有效的 JSON 或表单。")
    if status == 429:
        return _("请求太频繁，请稍后再试。")
    if text in {"Forbidden", "Not Found"}:
        return _("没有权限。") if status == 403 else _("没有找到，或不在您的范围内。")
    return text


def _field_errors(exc: ValidationError) -> list[dict[str, Any]]:
    return [
        {"loc": [str(part) for part in e.get("loc", ())], "message": str(e.get("msg", ""))}
        for e in exc.errors
    ]


def api_error(request: HttpRequest, raised: Exception | type[Exception]) -> HttpResponse:
    """Every refusal of the API as `ErrorOut`, with the status it stands for."""
    exc = raised if isinstance(raised, Exception) else raised()
    errors: list[dict[str, Any]] = []
    code: ErrorCode
    if isinstance(exc, ApiError):
        status, code, message = exc.status_code, exc.code, exc.message
    elif isinstance(exc, HttpError):
        status = exc.status_code
        code = CODE_FOR_STATUS.get(status, "bad_request")
        message = _ninja_message(status, exc.message)
    elif isinstance(exc, ValidationError):
        status, code, message = (
            422,
            "invalid",
            _("请求的参数不符合要求，请按 errors 中列出的项目更正。"),
        )
        errors = _field_errors(exc)
    elif isinstance(exc, RuleViolation):
        status, code, message = 400, "refused", exc.message
    elif isinstance(exc, Http404):
        status, code, message = 404, "not_found", _("没有找到，或不在您的范围内。")
    elif isinstance(exc, PermissionDenied):
        status, code, message = 403, "forbidden", _("没有权限。")
    else:
        logger.error(
            "Internal Server Error: %s", request.path, exc_info=exc, extra={"request": request}
        )
        status, code, message = 500, "server_error", _("服务器出错了，请稍后再试。")
    return api.create_response(request, error_body(code, message, errors), status=status)


for _kind in (Exception, HttpError, ValidationError, RuleViolation, Http404, PermissionDenied):
    api.add_exception_handler(_kind, api_error)
