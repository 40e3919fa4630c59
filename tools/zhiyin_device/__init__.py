"""zhiyin-device: a smart seal terminal simulator that speaks Zhiyin's open protocol.

A standalone program (no Django, no Zhiyin imports) built only from
``docs/device-protocol.md``. It needs ``cryptography`` and ``rfc8785``, plus
``paho-mqtt`` for the MQTT transport. It keeps its key, certificates, grants and its
queue of unacknowledged events in one JSON state file, so it survives restarts and
replays what the server has not acknowledged. Run the folder itself (or
``python -m tools.zhiyin_device`` from the repository):

    python tools/zhiyin_device --state sn.json enrol --server http://127.0.0.1:8000 --serial ZY-SN-01 --code ABCD...
    python tools/zhiyin_device --state sn.json --server http://127.0.0.1:8000 run
    python tools/zhiyin_device --state sn.json --server http://127.0.0.1:8000 stamp --code K7Q...
    python tools/zhiyin_device --state sn.json offline on|off
    python tools/zhiyin_device --state sn.json alarm ink_low
    python tools/zhiyin_device --state sn.json status

Add ``--mqtt mqtts://host:8883`` to ``run``/``stamp`` to use MQTT 5 with the device
certificate as the TLS client certificate (``--mqtt-ca`` names the broker's CA file).

Modules: `wire` (canonical JSON, signatures' encoding, times), `photo` (the stamped
page's PNG), `device` (the terminal and its state file), `transports` (HTTPS, MQTT),
`cli` (the command line).
"""

from __future__ import annotations

from .device import Device
from .photo import page_photo
from .transports import HttpsTransport, MqttTransport, Transport
from .wire import PROTOCOL_VERSION, QR_PREFIX, ZERO_HASH, DeviceError, canonical

__all__ = [
    "PROTOCOL_VERSION",
    "QR_PREFIX",
    "ZERO_HASH",
    "Device",
    "DeviceError",
    "HttpsTransport",
    "MqttTransport",
    "Transport",
    "canonical",
    "page_photo",
]
