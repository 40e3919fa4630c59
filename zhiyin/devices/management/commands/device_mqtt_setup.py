from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from zhiyin.devices.mqtt import SERVER_IDENTITY, acl_text, credentials_issue
from zhiyin.orgs.models import District


class Command(BaseCommand):
    help = (
        "Write what a Mosquitto broker and the server's MQTT client need: the district's "
        "device CA, a broker certificate for --host, a client certificate for the server, "
        "the per-device ACL and a mosquitto.conf using them."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--district", required=True, help="district code")
        parser.add_argument("--out", required=True, help="folder to write into")
        parser.add_argument("--host", default="localhost", help="broker host name or IP")
        parser.add_argument("--port", type=int, default=8883)

    def handle(self, *args: Any, **options: Any) -> None:
        district = District.objects.filter(code=options["district"]).first()
        if district is None:
            raise CommandError(f"no district with code {options['district']}")
        out = Path(options["out"])
        out.mkdir(parents=True, exist_ok=True)
        broker = credentials_issue(
            district=district, common_name=options["host"], server_names=(options["host"],)
        )
        server = credentials_issue(district=district, common_name=SERVER_IDENTITY)
        files = {
            "ca.pem": broker.ca_pem,
            "broker.pem": broker.certificate_pem,
            "broker.key": broker.key_pem,
            "server.pem": server.certificate_pem,
            "server.key": server.key_pem,
            "acl": acl_text(),
            "mosquitto.conf": mosquitto_conf(out, options["port"]),
        }
        for name, text in files.items():
            path = out / name
            path.write_text(text, encoding="ascii")
            if name.endswith(".key"):
                path.chmod(0o600)
        self.stdout.write(f"wrote {', '.join(files)} to {out}")


def mosquitto_conf(folder: Path, port: int, bind: str = "") -> str:
    """Mutual TLS with the device CA; the certificate's CN is the user name the ACL uses."""
    listener = f"listener {port} {bind}".rstrip()
    return (
        "per_listener_settings false\n"
        "allow_anonymous false\n"
        "persistence false\n"
        f"{listener}\n"
        f"cafile {folder / 'ca.pem'}\n"
        f"certfile {folder / 'broker.pem'}\n"
        f"keyfile {folder / 'broker.key'}\n"
        "require_certificate true\n"
        "use_identity_as_username true\n"
        f"acl_file {folder / 'acl'}\n"
    )
