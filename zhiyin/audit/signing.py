"""The district's audit key and C2SP signed notes (https://c2sp.org/signed-note).

A checkpoint note is the tlog-checkpoint body — origin line, tree size, base64 root hash —
then a blank line and one signature line `— <name> <base64(key id || signature)>`. The
Ed25519 key id is the first 4 bytes of SHA-256(name || 0x0A || 0x01 || public key); the
verifier key an inspector keeps is `<name>+<hex key id>+<base64(0x01 || public key)>`.

The key comes from AUDIT_SIGNING_KEY (or AUDIT_SIGNING_KEY_FILE): a PEM private key or
the base64 of a 32-byte Ed25519 seed. Without one, a development system (DEBUG on)
creates a key in var/ on first use; a production system refuses to sign.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

SIGNATURE_DASH = "\u2014"  # the em dash that starts a signature line


@dataclass(frozen=True)
class NoteKey:
    name: str
    private: Ed25519PrivateKey

    @property
    def public_bytes(self) -> bytes:
        return self.private.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )

    @property
    def key_id(self) -> bytes:
        return key_id(self.name, self.public_bytes)

    @property
    def vkey(self) -> str:
        """The verifier key string an inspector keeps: name+keyid+base64(0x01||pub)."""
        encoded = base64.b64encode(b"\x01" + self.public_bytes).decode()
        return f"{self.name}+{self.key_id.hex()}+{encoded}"


def key_id(name: str, public_bytes: bytes) -> bytes:
    return hashlib.sha256(name.encode() + b"\n\x01" + public_bytes).digest()[:4]


def _load_private(raw: str) -> Ed25519PrivateKey:
    raw = raw.strip()
    if raw.startswith("-----BEGIN"):
        key = serialization.load_pem_private_key(raw.encode(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ImproperlyConfigured("AUDIT_SIGNING_KEY is not an Ed25519 key.")
        return key
    try:
        seed = base64.b64decode(raw, validate=True)
    except ValueError as exc:
        raise ImproperlyConfigured(
            "AUDIT_SIGNING_KEY is neither a PEM key nor base64 of a 32-byte seed."
        ) from exc
    if len(seed) != 32:
        raise ImproperlyConfigured("AUDIT_SIGNING_KEY must decode to a 32-byte Ed25519 seed.")
    return Ed25519PrivateKey.from_private_bytes(seed)


def _development_key(path: Path) -> Ed25519PrivateKey:
    if path.exists():
        return _load_private(path.read_text(encoding="utf-8"))
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(pem)
    path.chmod(0o600)
    return key


def signing_key() -> NoteKey:
    name = str(settings.AUDIT_LOG_ORIGIN)
    raw = str(getattr(settings, "AUDIT_SIGNING_KEY", ""))
    if raw:
        return NoteKey(name=name, private=_load_private(raw))
    # Settings refuse to start without a key when DEBUG is off, so this is a development
    # system (tests included, where Django turns DEBUG off at run time).
    return NoteKey(name=name, private=_development_key(Path(settings.AUDIT_DEV_KEY_PATH)))


def checkpoint_body(origin: str, tree_size: int, root: bytes) -> str:
    return f"{origin}\n{tree_size}\n{base64.b64encode(root).decode()}\n"


def note_sign(body: str, key: NoteKey) -> str:
    signature = key.private.sign(body.encode())
    blob = base64.b64encode(key.key_id + signature).decode()
    return f"{body}\n{SIGNATURE_DASH} {key.name} {blob}\n"


def note_verify(note: str, vkey: str) -> str:
    """The note's body if a signature by `vkey` is on it; ValueError otherwise."""
    name, key_id_hex, encoded = vkey.split("+", 2)
    key_bytes = base64.b64decode(encoded)
    if key_bytes[:1] != b"\x01" or len(key_bytes) != 33:
        raise ValueError("not an Ed25519 verifier key")
    public = Ed25519PublicKey.from_public_bytes(key_bytes[1:])
    body, sep, signatures = note.rpartition("\n\n")
    if not sep:
        raise ValueError("note has no signature block")
    body += "\n"
    for line in signatures.splitlines():
        prefix = f"{SIGNATURE_DASH} {name} "
        if not line.startswith(prefix):
            continue
        blob = base64.b64decode(line[len(prefix) :])
        if blob[:4].hex() != key_id_hex:
            continue
        try:
            public.verify(blob[4:], body.encode())
        except InvalidSignature:
            raise ValueError("signature does not verify") from None
        return body
    raise ValueError("no signature by this key")


# --- key hand-over ------------------------------------------------------------------------
#: The extension line of a hand-over checkpoint: the old and the new verifier key. The note
#: is signed by both keys, so whoever trusts either learns the other from it.
HANDOVER = "zhiyin-key-handover"


def handover_body(origin: str, tree_size: int, root: bytes, old_vkey: str, new_vkey: str) -> str:
    return checkpoint_body(origin, tree_size, root) + f"{HANDOVER} {old_vkey} {new_vkey}\n"


def note_sign_all(body: str, keys: list[NoteKey]) -> str:
    """A signed note with one signature line per key (C2SP notes allow several)."""
    lines = []
    for key in keys:
        blob = base64.b64encode(key.key_id + key.private.sign(body.encode())).decode()
        lines.append(f"{SIGNATURE_DASH} {key.name} {blob}\n")
    return f"{body}\n{''.join(lines)}"


def note_handover(note: str) -> tuple[str, str] | None:
    """(old vkey, new vkey) if the note is a hand-over checkpoint (not yet verified)."""
    body = note.rpartition("\n\n")[0]
    for line in body.split("\n")[3:]:
        parts = line.split(" ")
        if len(parts) == 3 and parts[0] == HANDOVER:
            return parts[1], parts[2]
    return None


def load_key(raw: str) -> NoteKey:
    """A signing key from PEM or base64 seed text, under this installation's name."""
    return NoteKey(name=str(settings.AUDIT_LOG_ORIGIN), private=_load_private(raw))
