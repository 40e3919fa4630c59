"""The HTTPS transport of the terminal protocol, under ``/api/devices/v1/``.

Thin: each view reads the body, hands the signed message to `ingest`/`services`, and
answers JSON. Terminals have no session or CSRF token; every request is authenticated
by the signature inside the message (docs/device-protocol.md, "HTTPS"). Errors answer
``{"error": code, "message": text}`` with the status listed in the protocol.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from django.db import OperationalError, close_old_connections
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from zhiyin.core.errors import RuleViolation
from zhiyin.devices import ingest, messages, sessions
from zhiyin.devices.services import device_enrol
from zhiyin.lib import devproto
from zhiyin.lib.devproto import ProtocolError

logger = logging.getLogger(__name__)

MAX_BODY = 1024 * 1024
MAX_BATCH = 500
MAX_WAIT_SECONDS = 25
POLL_INTERVAL = 0.25

STATUS = {
    "bad_message": 400,
    "bad_version": 400,
    "bad_key": 400,
    "bad_algorithm": 400,
    "bad_photo": 400,
    "stale_message": 400,
    "bad_signature": 401,
    "unknown_device": 401,
    "bad_enrol_code": 403,
    "device_retired": 403,
    "seq_conflict": 409,
    "too_large": 413,
    "busy": 503,
}


def _error(code: str, message: str) -> JsonResponse:
    return JsonResponse({"error": code, "message": message}, status=STATUS.get(code, 400))


def _body(request: HttpRequest) -> dict[str, Any]:
    data = request.read(MAX_BODY + 1)
    if len(data) > MAX_BODY:
        raise ProtocolError("too_large", "消息超过 1 MB")
    return devproto.decode(data)


def _answer(view: Callable[[HttpRequest], dict[str, Any]]) -> Callable[..., HttpResponse]:
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return JsonResponse(view(request, *args, **kwargs))
        except ProtocolError as exc:
            return _error(exc.code, str(exc))
        except RuleViolation as exc:
            return _error("refused", exc.message)
        except OperationalError:
            # the database is busy or away for a moment (SQLite's write lock past its
            # busy timeout, a dropped connection): nothing was stored, try again later
            logger.warning("device API %s: database busy", request.path, exc_info=True)
            return _error("busy", "服务器繁忙，请稍后重试")

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return csrf_exempt(wrapped)


@require_POST
@_answer
def enrol(request: HttpRequest) -> dict[str, Any]:
    device, certificate, ca_certificate = device_enrol(message=_body(request))
    return {
        "device": device.serial,
        "certificate": certificate,
        "ca_certificate": ca_certificate,
        "server_time": messages.iso(timezone.now()),
    }


@require_POST
@_answer
def hello(request: HttpRequest) -> dict[str, Any]:
    return sessions.hello_record(message=_body(request), via="https")


@require_POST
@_answer
def events(request: HttpRequest) -> dict[str, Any]:
    body = _body(request)
    batch = body.get("events")
    if not isinstance(batch, list) or not batch:
        raise ProtocolError("bad_message", "events 必须是非空数组")
    if len(batch) > MAX_BATCH:
        raise ProtocolError("too_large", "一次最多 500 条事件")
    return ingest.events_ingest(messages=batch, via="https").as_dict()


@require_POST
@_answer
def commands(request: HttpRequest) -> dict[str, Any]:
    """Long poll: answers as soon as a command numbered after ``after`` exists, or
    after ``wait`` seconds (at most 25) with none."""
    message = _body(request)
    device, after = sessions.poll_authenticate(message)
    body = message.get("body")
    wait = body.get("wait", 0) if isinstance(body, dict) else 0
    wait = min(
        max(wait if isinstance(wait, int) and not isinstance(wait, bool) else 0, 0),
        MAX_WAIT_SECONDS,
    )
    deadline = time.monotonic() + wait
    while True:
        found = sessions.commands_after(device, after)
        if found or time.monotonic() >= deadline:
            break
        close_old_connections()
        time.sleep(POLL_INTERVAL)
    return {
        "commands": [devproto.decode(text) for text in found],
        "server_time": messages.iso(timezone.now()),
    }


@csrf_exempt
@require_http_methods(["PUT"])
def photo(request: HttpRequest, sha256: str) -> HttpResponse:
    """Content-addressed upload: ``PUT /photos/<sha256>`` with the raw JPEG/PNG body and
    the signed ``photo`` message in the ``X-Zhiyin-Auth`` header (base64url)."""
    try:
        header = request.headers.get("X-Zhiyin-Auth", "")
        message = devproto.decode(devproto.b64u_decode(header)) if header else None
        if message is None:
            raise ProtocolError("bad_signature", "缺少 X-Zhiyin-Auth 签名")
        data = request.read(sessions.MAX_PHOTO_BYTES + 1)
        content_type = (request.content_type or "").split(";")[0].strip()
        stored, created = sessions.photo_store(
            message=message, sha256=sha256, data=data, content_type=content_type
        )
    except ProtocolError as exc:
        return _error(exc.code, str(exc))
    return JsonResponse(
        {"sha256": stored.sha256, "size": stored.size}, status=201 if created else 200
    )


@require_GET
def server_time(request: HttpRequest) -> HttpResponse:
    """Unauthenticated time sync: the terminal measures the round trip itself."""
    return JsonResponse({"server_time": messages.iso(timezone.now())})
