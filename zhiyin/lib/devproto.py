"""The smart seal terminal protocol's wire format: canonical JSON, signatures, hashes.

Every message a terminal sends (and every command the server sends back) is a JSON
object whose canonical form (RFC 8785, JSON Canonicalization Scheme) is signed. The
signature travels in the message itself as ``sig`` and is computed over the canonical
text of the message *without* ``sig``, so any transport (HTTPS body, MQTT payload, a
file on a USB stick) carries the same bytes and anybody can re-check them later.

Values are restricted to what JCS renders identically everywhere: strings, integers
within ±2**53, booleans, null, arrays and objects. Floats are refused, so no two
implementations can disagree about a number's digits. ``docs/device-protocol.md`` is the
normative text; this module is its reference implementation and imports no Django.

Algorithms: ``ed25519`` (default) and ``p256`` (ECDSA P-256 with SHA-256, signature
DER-encoded); ``sm2`` is a reserved name so the field has room for it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from typing import Any

import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from zhiyin.lib.messages import PersonFacingError, gettext_noop

PROTOCOL_VERSION = 1
ALGORITHMS = ("ed25519", "p256")
RESERVED_ALGORITHMS = ("sm2",)
ZERO_HASH = "0" * 64
MAX_SAFE_INTEGER = 2**53 - 1

PublicKey = ed25519.Ed25519PublicKey | ec.EllipticCurvePublicKey
PrivateKey = ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey


class ProtocolError(PersonFacingError):
    """A message that breaks the protocol; ``code`` is the machine-readable error code."""

    def __init__(self, code: str, template: str, **params: object) -> None:
        self.code = code
        super().__init__(template, **params)


def _check_values(value: Any, path: str = "$") -> None:
    if value is None or isinstance(value, bool | str):
        return
    if isinstance(value, int):
        if abs(value) > MAX_SAFE_INTEGER:
            raise ProtocolError(
                "bad_message", gettext_noop("消息中的整数超出范围：%(path)s"), path=path
            )
        return
    if isinstance(value, float):
        raise ProtocolError(
            "bad_message", gettext_noop("消息中不允许使用小数：%(path)s"), path=path
        )
    if isinstance(value, list):
        for index, item in enumerate(value):
            _check_values(item, f"{path}[{index}]")
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise ProtocolError("bad_message", gettext_noop("消息的键必须是字符串"))
            _check_values(item, f"{path}.{key}")
        return
    raise ProtocolError("bad_message", gettext_noop("消息含有不支持的值：%(path)s"), path=path)


def canonical(message: dict[str, Any]) -> bytes:
    """RFC 8785 canonical bytes of ``message`` without its ``sig`` member."""
    unsigned = {k: v for k, v in message.items() if k != "sig"}
    _check_values(unsigned)
    return rfc8785.dumps(unsigned)


def encode(message: dict[str, Any]) -> str:
    """The whole message (signature included) as canonical JSON text, for the wire and
    for storage."""
    _check_values(message)
    return rfc8785.dumps(message).decode("utf-8")


def decode(data: bytes | str) -> dict[str, Any]:
    """Parse one message; anything but a JSON object is refused."""
    import json

    try:
        value = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ProtocolError("bad_message", gettext_noop("消息不是有效的 JSON")) from exc
    if not isinstance(value, dict):
        raise ProtocolError("bad_message", gettext_noop("消息必须是 JSON 对象"))
    return value


def message_hash(message: dict[str, Any]) -> str:
    """SHA-256 (hex) of the canonical unsigned message: what ``prev`` links to."""
    return hashlib.sha256(canonical(message)).hexdigest()


def b64u_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64u_decode(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise ProtocolError("bad_signature", gettext_noop("签名不是有效的 base64url")) from exc


def key_generate(alg: str = "ed25519") -> PrivateKey:
    if alg == "ed25519":
        return ed25519.Ed25519PrivateKey.generate()
    if alg == "p256":
        return ec.generate_private_key(ec.SECP256R1())
    raise ProtocolError("bad_algorithm", gettext_noop("不支持的签名算法：%(alg)s"), alg=alg)


def key_algorithm(key: PrivateKey | PublicKey) -> str:
    if isinstance(key, ed25519.Ed25519PrivateKey | ed25519.Ed25519PublicKey):
        return "ed25519"
    if isinstance(key, ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey) and isinstance(
        key.curve, ec.SECP256R1
    ):
        return "p256"
    raise ProtocolError("bad_algorithm", gettext_noop("不支持的密钥类型"))


def public_key_pem(key: PrivateKey | PublicKey) -> str:
    public = (
        key.public_key()
        if isinstance(key, ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey)
        else key
    )
    return public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode("ascii")


def public_key_load(pem: str) -> PublicKey:
    """A terminal's public key from its SPKI PEM; only the algorithms we accept."""
    try:
        key = serialization.load_pem_public_key(pem.encode("ascii"))
    except (ValueError, UnicodeEncodeError) as exc:
        raise ProtocolError("bad_key", gettext_noop("公钥格式无法识别")) from exc
    if isinstance(key, ed25519.Ed25519PublicKey):
        return key
    if isinstance(key, ec.EllipticCurvePublicKey) and isinstance(key.curve, ec.SECP256R1):
        return key
    raise ProtocolError("bad_algorithm", gettext_noop("公钥算法不受支持，请使用 Ed25519 或 P-256"))


def sign(message: dict[str, Any], key: PrivateKey) -> dict[str, Any]:
    """``message`` with ``sig`` set over its canonical form."""
    data = canonical(message)
    if isinstance(key, ed25519.Ed25519PrivateKey):
        signature = key.sign(data)
    else:
        signature = key.sign(data, ec.ECDSA(hashes.SHA256()))
    return {**{k: v for k, v in message.items() if k != "sig"}, "sig": b64u_encode(signature)}


def verify(message: dict[str, Any], key: PublicKey) -> None:
    """Raise ``ProtocolError('bad_signature')`` unless ``sig`` is ``key``'s signature."""
    sig = message.get("sig")
    if not isinstance(sig, str) or not sig:
        raise ProtocolError("bad_signature", gettext_noop("消息没有签名"))
    signature = b64u_decode(sig)
    data = canonical(message)
    try:
        if isinstance(key, ed25519.Ed25519PublicKey):
            key.verify(signature, data)
        else:
            key.verify(signature, data, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature as exc:
        raise ProtocolError(
            "bad_signature", gettext_noop("签名无效：消息不是由该终端的密钥签署的")
        ) from exc


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def is_sha256_hex(text: object) -> bool:
    return isinstance(text, str) and len(text) == 64 and all(c in "0123456789abcdef" for c in text)
