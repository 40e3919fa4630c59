"""Posting JSON to someone else's server: address checks (SSRF guard) and one HTTP call.

The guard runs when an endpoint is registered and again on every delivery, and the
connection goes to the very address that was checked, so a name that re-resolves to an
internal address between check and connect (DNS rebinding) cannot reach it.
Standard library only (http.client): one POST, no redirects followed.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.utils.translation import gettext as _

from zhiyin.core.errors import RuleViolation

EXCERPT_BYTES = 500


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str
    address: str


@dataclass(frozen=True)
class Response:
    """The outcome of one attempt. `status_code` is only ever an answer received over
    the network; `local` marks a development sender that printed or logged the message
    (done, but nothing was sent and there is no status to record)."""

    status_code: int | None
    latency_ms: int
    excerpt: str
    error: str
    local: bool = False

    @property
    def ok(self) -> bool:
        if self.error:
            return False
        if self.local:
            return True
        return self.status_code is not None and 200 <= self.status_code < 300


def address_is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_reserved
        or ip.is_multicast
        or ip.is_unspecified
        or not ip.is_global
    )


def target_resolve(url: str, *, allow_private: bool) -> Target:
    """Check `url` and pick the address to connect to; RuleViolation (Chinese) if refused."""
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise RuleViolation(_("接收地址必须是 http:// 或 https:// 开头的完整网址。"))
    if parts.username or parts.password:
        raise RuleViolation(_("接收地址不能包含用户名或密码。"))
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise RuleViolation(_("接收地址的端口无效。")) from exc
    try:
        infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise RuleViolation(
            _("无法解析接收地址的主机名 %(host)s。") % {"host": parts.hostname}
        ) from exc
    addresses = [str(info[4][0]) for info in infos]
    if not addresses:
        raise RuleViolation(_("无法解析接收地址的主机名 %(host)s。") % {"host": parts.hostname})
    if not allow_private:
        blocked = [a for a in addresses if not address_is_public(a)]
        if blocked:
            raise RuleViolation(
                _(
                    "接收地址 %(host)s 指向内网、本机或保留地址（%(address)s），"
                    "只有区系统管理员可以允许内网地址。"
                )
                % {"host": parts.hostname, "address": blocked[0]}
            )
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return Target(
        scheme=parts.scheme, host=parts.hostname, port=port, path=path, address=addresses[0]
    )


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to the checked address while sending the URL's host name."""

    def __init__(self, target: Target, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout)
        self._address = target.address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, target: Target, timeout: float) -> None:
        super().__init__(
            target.host, target.port, timeout=timeout, context=ssl.create_default_context()
        )
        self._address = target.address

    def connect(self) -> None:
        raw = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(raw, server_hostname=self.host)  # type: ignore[attr-defined]  # http.client keeps the context private


def post_json(
    *, url: str, body: bytes, headers: dict[str, str], timeout: float, allow_private: bool
) -> Response:
    """POST `body`; a 2xx answered within `timeout` seconds is the only success."""
    started = time.monotonic()

    def elapsed() -> int:
        return int((time.monotonic() - started) * 1000)

    try:
        target = target_resolve(url, allow_private=allow_private)
    except RuleViolation as exc:
        return Response(status_code=None, latency_ms=elapsed(), excerpt="", error=exc.message)
    connection: http.client.HTTPConnection = (
        _PinnedHTTPSConnection(target, timeout)
        if target.scheme == "https"
        else _PinnedHTTPConnection(target, timeout)
    )
    try:
        connection.request(
            "POST",
            target.path,
            body=body,
            headers={"Content-Type": "application/json", "User-Agent": "Zhiyin", **headers},
        )
        answer = connection.getresponse()
        excerpt = answer.read(EXCERPT_BYTES).decode("utf-8", errors="replace")
        status = answer.status
    except (OSError, http.client.HTTPException) as exc:
        kind = "timeout" if isinstance(exc, TimeoutError) else type(exc).__name__
        return Response(
            status_code=None, latency_ms=elapsed(), excerpt="", error=f"{kind}: {exc}"[:500]
        )
    finally:
        connection.close()
    latency = elapsed()
    if latency > timeout * 1000:
        return Response(
            status_code=status,
            latency_ms=latency,
            excerpt=excerpt,
            error=f"answered after {latency} ms, limit {int(timeout * 1000)} ms",
        )
    return Response(status_code=status, latency_ms=latency, excerpt=excerpt, error="")
