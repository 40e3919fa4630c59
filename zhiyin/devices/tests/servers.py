"""Real servers for the transport tests: Zhiyin over HTTPS (TLS with a certificate from
the district's device CA) and a Mosquitto broker with mutual TLS and the per-device ACL,
each on a free port, each stopped by the test that started it."""

from __future__ import annotations

import getpass
import shutil
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from django.core.handlers.wsgi import WSGIHandler
from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler

from zhiyin.devices.management.commands.device_mqtt_setup import mosquitto_conf
from zhiyin.devices.mqtt import SERVER_IDENTITY, Bridge, acl_text, credentials_issue
from zhiyin.orgs.models import District

MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@dataclass
class Https:
    url: str
    cafile: str


@contextmanager
def https_server(district: District, folder: Path) -> Iterator[Https]:
    """Zhiyin's WSGI app behind TLS on 127.0.0.1 (a thread per request, for long polls)."""
    credentials = credentials_issue(
        district=district, common_name="127.0.0.1", server_names=("127.0.0.1",)
    )
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "https.pem").write_text(
        credentials.certificate_pem + credentials.ca_pem, encoding="ascii"
    )
    (folder / "https.key").write_text(credentials.key_pem, encoding="ascii")
    (folder / "https-ca.pem").write_text(credentials.ca_pem, encoding="ascii")
    server = ThreadedWSGIServer(("127.0.0.1", 0), _QuietHandler, allow_reuse_address=False)
    server.set_app(WSGIHandler())
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(folder / "https.pem", folder / "https.key")
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Https(f"https://127.0.0.1:{server.server_address[1]}", str(folder / "https-ca.pem"))
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@dataclass
class Broker:
    url: str
    cafile: str
    folder: Path
    process: subprocess.Popen[bytes]

    def log(self) -> str:
        return (self.folder / "mosquitto.log").read_text(encoding="utf-8", errors="replace")


@contextmanager
def mosquitto(district: District, folder: Path) -> Iterator[Broker]:
    """A Mosquitto process of our own: mutual TLS with the device CA, the ACL that keeps
    each terminal to its own topics."""
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    broker = credentials_issue(
        district=district, common_name="127.0.0.1", server_names=("127.0.0.1",)
    )
    server = credentials_issue(district=district, common_name=SERVER_IDENTITY)
    files = {
        "ca.pem": broker.ca_pem,
        "broker.pem": broker.certificate_pem,
        "broker.key": broker.key_pem,
        "server.pem": server.certificate_pem,
        "server.key": server.key_pem,
        "acl": acl_text(),
        # run as whoever runs the tests: mosquitto started as root would otherwise switch
        # to its own user, who cannot read the test's private temporary folder
        "mosquitto.conf": f"user {getpass.getuser()}\n"
        + mosquitto_conf(folder, port, bind="127.0.0.1"),
    }
    for name, text in files.items():
        (folder / name).write_text(text, encoding="ascii")
    log = (folder / "mosquitto.log").open("wb")
    process = subprocess.Popen(
        [MOSQUITTO, "-c", str(folder / "mosquitto.conf"), "-v"],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError((folder / "mosquitto.log").read_text()) from None
                time.sleep(0.05)
        yield Broker(f"mqtts://127.0.0.1:{port}", str(folder / "ca.pem"), folder, process)
    finally:
        process.terminate()
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


@contextmanager
def bridge_running(broker: Broker, client_id: str = SERVER_IDENTITY) -> Iterator[Bridge]:
    """The server's MQTT bridge; several with distinct `client_id`s share the terminals'
    messages (MQTT 5 shared subscription), as several workers do."""
    bridge = Bridge(
        url=broker.url,
        cafile=broker.cafile,
        certfile=str(broker.folder / "server.pem"),
        keyfile=str(broker.folder / "server.key"),
        client_id=client_id,
    )
    bridge.start()
    thread = threading.Thread(target=bridge.run, daemon=True)  # the production interval
    thread.start()
    try:
        yield bridge
    finally:
        bridge.stop()
        thread.join(5)
