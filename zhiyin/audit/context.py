"""Who is asking, from where: set once per web request, read by `audit_record`.

A context variable rather than a thread-local so it is right under ASGI too. Tasks and
commands run without a request; their events carry an empty request id and address.
"""

from __future__ import annotations

import contextvars
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse


@dataclass(frozen=True)
class RequestContext:
    request_id: str = ""
    client_ip: str = ""


_NO_REQUEST = RequestContext()
_current: contextvars.ContextVar[RequestContext] = contextvars.ContextVar(
    "zhiyin_request_context", default=_NO_REQUEST
)


def current_request_context() -> RequestContext:
    return _current.get()


class RequestContextMiddleware:
    """Gives each request an id (echoed in `X-Request-Id`) and remembers the client address."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        context = RequestContext(
            request_id=uuid.uuid4().hex,
            client_ip=str(request.META.get("REMOTE_ADDR", "")),
        )
        token = _current.set(context)
        try:
            response = self.get_response(request)
        finally:
            _current.reset(token)
        response["X-Request-Id"] = context.request_id
        return response
