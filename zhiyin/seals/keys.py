"""Opening seal keys and keeping the opened signers for the life of the process.

Decrypting a key and building pyHanko's signer costs more than the signature itself, so
each (electronic seal, certificate serial) gets one ``SoftwareSealSigner`` per process.
A revoked certificate is never looked up again (sealing checks the database first), so
entries need no invalidation; the cache is bounded all the same.
"""

from __future__ import annotations

import functools
import logging
import threading

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings

from zhiyin.lib import pki
from zhiyin.lib.signer import SoftwareSealSigner
from zhiyin.seals.models import DistrictCA, ElectronicSeal

logger = logging.getLogger(__name__)

_MAX_SIGNERS = 256
_signers: dict[tuple[int, str], SoftwareSealSigner] = {}
_lock = threading.Lock()
_warned = [False]


def seal_kek() -> bytes:
    """The key-encryption key from settings; warns once when it is the development one."""
    if settings.SEAL_KEK_DEVELOPMENT and not _warned[0]:
        _warned[0] = True
        logger.warning(
            "SEAL_KEK is not set: seal keys are encrypted with a development key derived "
            "from SECRET_KEY. Set SEAL_KEK or SEAL_KEK_FILE before real use."
        )
    kek: bytes = settings.SEAL_KEK
    return kek


def seal_keks() -> list[bytes]:
    """Every configured key-encryption key, the current one first (several during a
    rotation: `SEAL_KEK=new,old`)."""
    seal_kek()
    keks: list[bytes] = list(getattr(settings, "SEAL_KEKS", None) or [settings.SEAL_KEK])
    if keks[0] != settings.SEAL_KEK:
        keks.insert(0, settings.SEAL_KEK)
    return keks


def key_blob_open(blob: bytes) -> ec.EllipticCurvePrivateKey:
    """A stored private key (seal, district CA, device CA), opened with whichever
    configured KEK it is sealed under; `pki.KeyBlobError` when none fits."""
    key, _position = pki.key_decrypt_any(blob, seal_keks())
    return key


@functools.lru_cache(maxsize=512)
def certificate_load(pem: str) -> x509.Certificate:
    return x509.load_pem_x509_certificate(pem.encode("ascii"))


def seal_signer(electronic_seal: ElectronicSeal) -> SoftwareSealSigner:
    """The signer for one seal certificate, built once per process."""
    cache_key = (electronic_seal.pk, electronic_seal.serial)
    signer = _signers.get(cache_key)
    if signer is not None:
        return signer
    ca: DistrictCA = electronic_seal.ca
    signer = SoftwareSealSigner(
        key=key_blob_open(bytes(electronic_seal.key_blob)),
        certificate=certificate_load(electronic_seal.certificate_pem),
        chain=[certificate_load(ca.certificate_pem)],
    )
    with _lock:
        if len(_signers) >= _MAX_SIGNERS:
            _signers.pop(next(iter(_signers)))
        _signers.setdefault(cache_key, signer)
        return _signers[cache_key]
