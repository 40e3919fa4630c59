"""The keys of a backup and how its files are sealed.

Everything in a backup is encrypted: the database rows hold personal data (names, ID
numbers, phones) and secrets (webhook secrets), and the documents are residents' papers,
so a copy kept off-site must be useless to whoever finds it. The keys come from the seal
key-encryption key (`SEAL_KEK`), which a district keeps apart from its backups anyway
(without it the seal keys inside a backup could not be opened either):

- the data key (AES-256-GCM) encrypts each file; the file's path inside the backup is the
  associated data, so a file moved to another name does not open;
- the manifest key (HMAC-SHA256) authenticates the manifest, which holds the SHA-256 of
  every file, so a changed, missing, added or swapped file is found before anything is
  restored;
- the key id (first 8 bytes of a third derivation, in hex) names the KEK in the manifest,
  so a restore with several configured KEKs (during a rotation) picks the right one, and
  says so plainly when none fits.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

MAGIC = b"ZYB1"
_NONCE_BYTES = 12


class BackupDamaged(Exception):
    """A backup file that does not open under its key (changed, or another key)."""


def _derive(kek: bytes, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"zhiyin-backup", info=purpose).derive(
        kek
    )


@dataclass(frozen=True)
class BackupKeys:
    data: bytes
    mac: bytes
    key_id: str

    @classmethod
    def from_kek(cls, kek: bytes) -> BackupKeys:
        return cls(
            data=_derive(kek, b"data"),
            mac=_derive(kek, b"manifest"),
            key_id=_derive(kek, b"key id")[:8].hex(),
        )

    def seal(self, data: bytes, path: str) -> bytes:
        nonce = os.urandom(_NONCE_BYTES)
        return MAGIC + nonce + AESGCM(self.data).encrypt(nonce, data, path.encode("utf-8"))

    def open(self, blob: bytes, path: str) -> bytes:
        if not blob.startswith(MAGIC) or len(blob) < len(MAGIC) + _NONCE_BYTES + 16:
            raise BackupDamaged(path)
        nonce = blob[len(MAGIC) : len(MAGIC) + _NONCE_BYTES]
        try:
            return AESGCM(self.data).decrypt(
                nonce, blob[len(MAGIC) + _NONCE_BYTES :], path.encode("utf-8")
            )
        except InvalidTag as exc:
            raise BackupDamaged(path) from exc

    def manifest_mac(self, manifest: dict[str, Any]) -> str:
        body = {key: value for key, value in manifest.items() if key != "mac"}
        text = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hmac.new(self.mac, text.encode("utf-8"), hashlib.sha256).hexdigest()


def configured_keks() -> list[bytes]:
    """The configured key-encryption keys, the current one first."""
    keks = list(getattr(settings, "SEAL_KEKS", None) or [])
    return keks or [settings.SEAL_KEK]


def current_keys() -> BackupKeys:
    return BackupKeys.from_kek(configured_keks()[0])


def keys_for(key_id: str) -> BackupKeys | None:
    for kek in configured_keks():
        keys = BackupKeys.from_kek(kek)
        if hmac.compare_digest(keys.key_id, key_id):
            return keys
    return None
