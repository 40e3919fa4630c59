from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from zhiyin.devices.mqtt import bridge_from_settings


class Command(BaseCommand):
    help = (
        "Connect to the MQTT broker in MQTT_URL and turn terminals' MQTT messages into the "
        "same service calls as HTTPS; publish their commands. run_worker starts this when "
        "MQTT_URL is set."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.MQTT_URL:
            raise CommandError("MQTT_URL is not set")
        bridge = bridge_from_settings()
        bridge.start()
        self.stdout.write(f"MQTT bridge connected to {bridge.host}:{bridge.port}")
        try:
            bridge.run()
        finally:
            bridge.stop()
