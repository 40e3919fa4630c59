"""A bureau's receiving end, small enough to run in a thread: used by `demo_story`, the
tests and the benchmark, and a model for integrators (docs/integration.md).

It verifies every delivery's Standard Webhooks signature with the `standardwebhooks`
package, answers 401 to a bad one, and keeps each message once by its `webhook-id`
(repeats are answered 200 and counted, not stored again). `behaviour` lets a test make
it fail (HTTP status) or stall (seconds) for a while.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks.webhooks import Webhook, WebhookVerificationError


@dataclass
class Behaviour:
    status: int = 200
    delay_seconds: float = 0.0


@dataclass
class Received:
    webhook_id: str
    body: dict[str, Any]
    headers: dict[str, str]
    received_at: float


@dataclass
class Receiver:
    secret: str
    behaviour: Behaviour = field(default_factory=Behaviour)
    messages: dict[str, Received] = field(default_factory=dict)
    duplicates: int = 0
    rejected: int = 0
    calls: int = 0
    _server: ThreadingHTTPServer | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/hooks/zhiyin"

    def start(self, port: int = 0) -> Receiver:
        receiver = self
        webhook = Webhook(self.secret)

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # stdlib name
                return

            def do_POST(self) -> None:  # stdlib name
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {k.lower(): v for k, v in self.headers.items()}
                with receiver._lock:
                    receiver.calls += 1
                    behaviour = Behaviour(
                        receiver.behaviour.status, receiver.behaviour.delay_seconds
                    )
                if behaviour.delay_seconds:
                    time.sleep(behaviour.delay_seconds)
                try:
                    data = webhook.verify(body, headers)
                except WebhookVerificationError:
                    with receiver._lock:
                        receiver.rejected += 1
                    self._answer(401, {"error": "bad signature"})
                    return
                if behaviour.status >= 300:
                    self._answer(behaviour.status, {"error": "receiver unavailable"})
                    return
                webhook_id = headers["webhook-id"]
                with receiver._lock:
                    if webhook_id in receiver.messages:
                        receiver.duplicates += 1
                    else:
                        receiver.messages[webhook_id] = Received(
                            webhook_id, data, headers, time.time()
                        )
                self._answer(200, {"received": webhook_id})

            def _answer(self, status: int, body: dict[str, Any]) -> None:
                raw = json.dumps(body).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(raw)))
                    self.end_headers()
                    self.wfile.write(raw)
                except OSError:
                    return  # the sender gave up waiting

        ThreadingHTTPServer.allow_reuse_address = True
        self._server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
