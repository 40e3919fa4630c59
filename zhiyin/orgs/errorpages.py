"""Error pages a person can act on: in Chinese, phone-sized, with a way home and the
village office's telephone. The 500 page shows a record number that is also logged, so
the office can find what happened (STYLE: errors nobody can act on become a number)."""

from __future__ import annotations

import logging
import secrets
from typing import Any

from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseForbidden,
    HttpResponseNotFound,
    HttpResponseServerError,
)
from django.template import loader
from django.utils.translation import gettext as _

logger = logging.getLogger("zhiyin.errors")


def office_phone_for(request: HttpRequest) -> str:
    """The telephone of the person's own village office, or "" when we know none.

    Never raises: the 500 page calls it while the database may be the thing that failed.
    """
    try:
        user: Any = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return ""
        if user.home_village_id is not None and user.home_village.office_phone:
            return str(user.home_village.office_phone)
        from zhiyin.orgs.models import RoleGrant

        grant = (
            RoleGrant.objects.active()
            .filter(person=user, village__isnull=False)
            .exclude(village__office_phone="")
            .select_related("village")
            .first()
        )
        return str(grant.village.office_phone) if grant and grant.village else ""
    except Exception:  # the page must render whatever else is broken
        logger.exception("office phone lookup failed on an error page")
        return ""


def _render(request: HttpRequest, template: str, context: dict[str, Any]) -> str:
    context = {"office_phone": office_phone_for(request), **context}
    return loader.render_to_string(template, context, request=request)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return HttpResponseBadRequest(_render(request, "errors/400.html", {}))


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return HttpResponseNotFound(_render(request, "errors/404.html", {}))


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return HttpResponseForbidden(_render(request, "errors/403.html", {}))


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form sent from a page left open too long, or with cookies off."""
    logger.info("CSRF refused %s: %s", request.path, reason)
    return HttpResponseForbidden(_render(request, "errors/csrf.html", {}))


def server_error(request: HttpRequest) -> HttpResponse:
    """Rendered without the page frame's context processors: only what cannot fail."""
    record = secrets.token_hex(4).upper()
    logger.error("server error record %s on %s", record, request.path)
    try:
        body: str = loader.render_to_string(
            "errors/500.html", {"record": record, "office_phone": office_phone_for(request)}
        )
    except Exception:
        logger.exception("the 500 page itself failed, record %s", record)
        body = "<!doctype html><meta charset=utf-8><p>%s</p>" % (
            _("系统出错，记录号 %(record)s。") % {"record": record}
        )
    return HttpResponseServerError(body)
