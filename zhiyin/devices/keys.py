"""The district's device CA: created on first use, opened once per process.

The CA's key does two jobs: it certifies each terminal's own key at enrolment, and it
signs every command the server sends (grant, revoke), so a terminal that holds the CA
certificate obeys only commands this district issued, whatever the transport.
"""

from __future__ import annotations

import functools
import threading
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from django.db import IntegrityError, transaction

from zhiyin.audit.services import audit_record, district_log
from zhiyin.devices.models import DeviceCA
from zhiyin.lib import devproto, pki
from zhiyin.orgs.models import District
from zhiyin.seals.keys import key_blob_open, seal_kek

#: Opened CA keys, by the stored blob (a pk could name another CA after a restore).
_keys: dict[bytes, ec.EllipticCurvePrivateKey] = {}
_lock = threading.Lock()


def device_ca_get_or_create(*, district: District) -> DeviceCA:
    """One device CA per district; two first uses at once: the unique row decides."""
    existing = DeviceCA.objects.filter(district=district).first()
    if existing is not None:
        return existing
    key, certificate = pki.ca_create(
        district_name=district.name, common_name=f"{district.name}智能印章终端根证书"
    )
    try:
        with transaction.atomic():
            ca = DeviceCA.objects.create(
                district=district,
                certificate_pem=pki.cert_pem(certificate).decode("ascii"),
                key_blob=pki.key_encrypt(key, seal_kek()),
            )
            audit_record(
                actor=None,
                action="device_ca.create",
                target=ca,
                after={"district": district.pk, "serial": str(certificate.serial_number)},
                scope=district.name,
                log=district_log(district.pk),
            )
            return ca
    except IntegrityError:
        return DeviceCA.objects.get(district=district)


def ca_key(ca: DeviceCA) -> ec.EllipticCurvePrivateKey:
    blob = bytes(ca.key_blob)
    key = _keys.get(blob)
    if key is None:
        key = key_blob_open(blob)
        with _lock:
            _keys[blob] = key
    return key


@functools.lru_cache(maxsize=64)
def certificate_load(pem: str) -> x509.Certificate:
    return x509.load_pem_x509_certificate(pem.encode("ascii"))


def command_sign(ca: DeviceCA, message: dict[str, Any]) -> dict[str, Any]:
    return devproto.sign(message, ca_key(ca))
