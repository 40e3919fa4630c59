"""Where the seal's private key lives, kept behind a narrow interface.

Sealing code only ever asks a ``SealSigner`` to sign a digest and to name its
certificates. Today keys are software keys decrypted into memory; for legal effect a
district moves to a certified signing device or a licensed CA's remote signing service,
and both of those also sign digests, never documents — so the swap touches no PDF code.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, utils

from zhiyin.lib import pki

_HASHES: dict[str, hashes.HashAlgorithm] = {
    "sha256": hashes.SHA256(),
    "sha384": hashes.SHA384(),
    "sha512": hashes.SHA512(),
}


class SealSigner(Protocol):
    """One electronic seal's signing capability."""

    @property
    def certificate(self) -> x509.Certificate:
        """The seal's own certificate."""
        ...

    @property
    def chain(self) -> Sequence[x509.Certificate]:
        """Issuer certificates up to and including the root, embedded so readers can build
        the path without fetching anything."""
        ...

    def sign_digest(self, digest: bytes, *, algorithm: str) -> bytes:
        """A DER-encoded ECDSA signature over an already computed ``algorithm`` digest."""
        ...


class SoftwareSealSigner:
    """A decrypted key held in process memory — for development and small districts.

    Build it once per seal and keep it (e.g. in a dict keyed by seal id and certificate
    serial): ``pades.seal_pdf`` caches its pyHanko adapter per signer object.
    """

    def __init__(
        self,
        *,
        key: ec.EllipticCurvePrivateKey,
        certificate: x509.Certificate,
        chain: Sequence[x509.Certificate] = (),
    ) -> None:
        if key.public_key() != certificate.public_key():
            raise ValueError("private key does not match the seal certificate")
        self._key = key
        self._certificate = certificate
        self._chain = tuple(chain)

    @classmethod
    def from_encrypted(
        cls,
        *,
        key_blob: bytes,
        kek: bytes,
        certificate: x509.Certificate,
        chain: Sequence[x509.Certificate] = (),
    ) -> SoftwareSealSigner:
        return cls(key=pki.key_decrypt(key_blob, kek), certificate=certificate, chain=chain)

    @property
    def certificate(self) -> x509.Certificate:
        return self._certificate

    @property
    def chain(self) -> Sequence[x509.Certificate]:
        return self._chain

    def sign_digest(self, digest: bytes, *, algorithm: str) -> bytes:
        try:
            hash_algorithm = _HASHES[algorithm]
        except KeyError:
            raise ValueError(f"unsupported digest algorithm {algorithm!r}") from None
        if len(digest) != hash_algorithm.digest_size:
            raise ValueError("digest length does not match the algorithm")
        return self._key.sign(digest, ec.ECDSA(utils.Prehashed(hash_algorithm)))
