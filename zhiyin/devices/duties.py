"""The MQTT bridge as a worker duty (settings.WORKER_DUTIES): every `run_worker` process
with MQTT_URL set connects once; the broker hands each terminal message to exactly one of
them (MQTT 5 shared subscription), and each command is claimed once before publishing."""

from __future__ import annotations

import threading
from typing import Any

from django.conf import settings

from zhiyin.devices.mqtt import Bridge, bridge_from_settings


class MqttBridgeDuty:
    """Shaped like `zhiyin.worker.loop.Duty` (devices does not import the worker app)."""

    name = "mqtt_bridge"
    every = 5.0

    def __init__(self) -> None:
        self.bridge: Bridge | None = None
        self.thread: threading.Thread | None = None

    def start(self, worker: Any) -> None:
        self.bridge = bridge_from_settings(client_id=f"zhiyin-server-{worker.worker_id}"[:64])
        self.bridge.start()
        self._publisher()

    def _publisher(self) -> None:
        assert self.bridge is not None
        self.thread = threading.Thread(target=self.bridge.run, daemon=True, name="mqtt-commands")
        self.thread.start()

    def run(self, worker: Any) -> None:
        """Restart the command publisher if it died; paho reconnects the socket itself."""
        if self.thread is not None and not self.thread.is_alive():
            self._publisher()

    def stop(self) -> None:
        if self.bridge is not None:
            self.bridge.stop()
        if self.thread is not None:
            self.thread.join(5)


def mqtt_bridge() -> MqttBridgeDuty | None:
    return MqttBridgeDuty() if settings.MQTT_URL else None
