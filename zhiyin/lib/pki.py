"""A district's own certificate authority for electronic seals.

Each district runs one root CA; every electronic seal gets its own key pair and a
certificate naming the organization, so a sealed PDF says *which* seal was used and a
cancelled seal can be revoked on its own. The root is self-signed: this is enough for
development and for verification inside Zhiyin, while legal effect (GB/T 38540, 电子签名法
§13) needs a licensed CA — which is why signing goes through ``signer.SealSigner``.

Extensions are chosen for the readers people actually use: NSS-based readers (Firefox,
poppler's ``pdfsig``) check the signer for email protection, Adobe looks for its document
signing purpose, and ETSI names its own; a seal certificate carries all three.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
from collections.abc import Iterable

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, ObjectIdentifier

from zhiyin.lib.messages import PersonFacingError, gettext_noop

EKU_ADOBE_DOCUMENT_SIGNING = ObjectIdentifier("1.3.6.1.4.1.311.10.3.12")
EKU_ETSI_DOCUMENT_SIGNING = ObjectIdentifier("1.3.6.1.5.5.7.3.36")

_KEY_BLOB_MAGIC = b"ZYK1"
_NONCE_BYTES = 12


class KeyBlobError(PersonFacingError):
    """The stored key cannot be opened: wrong key-encryption key, or damaged data."""


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _name(*, common_name: str, organization: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def key_generate() -> ec.EllipticCurvePrivateKey:
    """P-256 rather than SM2: every PDF reader can verify it today (see module docstring)."""
    return ec.generate_private_key(ec.SECP256R1())


def ca_create(
    *,
    district_name: str,
    common_name: str | None = None,
    valid_days: int = 20 * 365,
    now: dt.datetime | None = None,
) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    """A district root whose only job is to issue seal certificates and CRLs.

    ``path_length=0`` keeps a stolen root key from minting intermediate CAs that would
    look legitimate to readers trusting the district.
    """
    now = now or _utcnow()
    key = key_generate()
    name = _name(
        common_name=common_name or f"{district_name}电子印章根证书", organization=district_name
    )
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=valid_days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(ski, critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), critical=False
        )
        .sign(key, hashes.SHA256())
    )
    return key, cert


def seal_cert_issue(
    *,
    ca_key: ec.EllipticCurvePrivateKey,
    ca_cert: x509.Certificate,
    organization_name: str,
    district_name: str,
    crl_url: str,
    valid_days: int = 3 * 365,
    key: ec.EllipticCurvePrivateKey | None = None,
    now: dt.datetime | None = None,
) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    """One certificate per electronic seal, named after the organization that owns it.

    Non-repudiation is set (and the usage marked critical) because a seal is a commitment
    by the organization, not an authentication step. The CRL distribution point lets a
    reader outside Zhiyin learn that a cancelled seal's signatures are no longer trusted.
    """
    now = now or _utcnow()
    key = key or key_generate()
    not_after = min(now + dt.timedelta(days=valid_days), ca_cert.not_valid_after_utc)
    ca_ski = ca_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name=organization_name, organization=district_name))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.ExtendedKeyUsage(
                [
                    ExtendedKeyUsageOID.EMAIL_PROTECTION,
                    EKU_ADOBE_DOCUMENT_SIGNING,
                    EKU_ETSI_DOCUMENT_SIGNING,
                ]
            ),
            critical=False,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski), critical=False
        )
        .add_extension(
            x509.CRLDistributionPoints(
                [
                    x509.DistributionPoint(
                        full_name=[x509.UniformResourceIdentifier(crl_url)],
                        relative_name=None,
                        reasons=None,
                        crl_issuer=None,
                    )
                ]
            ),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    return key, cert


def crl_build(
    ca_key: ec.EllipticCurvePrivateKey,
    ca_cert: x509.Certificate,
    revoked: Iterable[tuple[int, dt.datetime]],
    next_update: dt.datetime,
    *,
    crl_number: int = 1,
    this_update: dt.datetime | None = None,
) -> bytes:
    """The list readers fetch from the seal certificate's distribution point.

    ``crl_number`` must grow with every published CRL so that caches can tell a newer
    list from an older one; the caller keeps that counter.
    """
    this_update = this_update or _utcnow()
    ca_ski = ca_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(ca_cert.subject)
        .last_update(this_update)
        .next_update(next_update)
        .add_extension(x509.CRLNumber(crl_number), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski), critical=False
        )
    )
    for serial, revoked_at in revoked:
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder()
            .serial_number(serial)
            .revocation_date(revoked_at)
            .build()
        )
    return builder.sign(ca_key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)


def key_encrypt(key: ec.EllipticCurvePrivateKey, kek: bytes) -> bytes:
    """Seal a private key for storage in the database.

    AES-256-GCM over the PKCS#8 DER, with a fresh random nonce: the tag makes a tampered
    or truncated blob fail loudly instead of yielding a different key, and the magic
    header (bound in as associated data) leaves room for a future format. Layout:
    ``b"ZYK1" || nonce(12) || ciphertext+tag``. ``kek`` must be 32 random bytes, kept
    outside the database (environment secret or KMS).
    """
    if len(kek) != 32:
        raise ValueError("kek must be 32 bytes (AES-256)")
    der = key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    nonce = secrets.token_bytes(_NONCE_BYTES)
    return _KEY_BLOB_MAGIC + nonce + AESGCM(kek).encrypt(nonce, der, _KEY_BLOB_MAGIC)


def key_decrypt(blob: bytes, kek: bytes) -> ec.EllipticCurvePrivateKey:
    """Open a blob made by ``key_encrypt``; any tampering raises ``KeyBlobError``."""
    from cryptography.exceptions import InvalidTag

    if len(kek) != 32:
        raise ValueError("kek must be 32 bytes (AES-256)")
    if not blob.startswith(_KEY_BLOB_MAGIC) or len(blob) < len(_KEY_BLOB_MAGIC) + _NONCE_BYTES:
        raise KeyBlobError(gettext_noop("印章私钥数据格式无法识别"))
    head = len(_KEY_BLOB_MAGIC)
    nonce = blob[head : head + _NONCE_BYTES]
    try:
        der = AESGCM(kek).decrypt(nonce, blob[head + _NONCE_BYTES :], _KEY_BLOB_MAGIC)
    except InvalidTag as exc:
        raise KeyBlobError(gettext_noop("印章私钥无法解密：密钥不对或数据已损坏")) from exc
    key = serialization.load_der_private_key(der, password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise KeyBlobError(gettext_noop("印章私钥不是椭圆曲线密钥"))
    return key


def kek_generate() -> bytes:
    """A fresh key-encryption key, for operators setting up a district."""
    return os.urandom(32)


def cert_pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def kek_parse(text: str) -> bytes:
    """A key-encryption key written as 64 hex digits or as base64 of 32 bytes.

    Raises ``ValueError`` naming what is wrong, so start-up can refuse a mistyped secret
    instead of failing on the first seal.
    """
    import base64
    import binascii

    value = text.strip()
    if len(value) == 64:
        try:
            return bytes.fromhex(value)
        except ValueError:
            pass
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("not hex or base64") from None
    if len(raw) != 32:
        raise ValueError(f"decodes to {len(raw)} bytes, not 32")
    return raw


def kek_list_parse(text: str) -> list[bytes]:
    """One or more key-encryption keys, separated by commas or new lines, the current one
    first (the others stay valid for opening keys during a rotation).

    Raises ``ValueError`` naming the position of a bad or repeated key.
    """
    parts = [part for part in text.replace("\n", ",").split(",") if part.strip()]
    if not parts:
        raise ValueError("no key")
    keks: list[bytes] = []
    for position, part in enumerate(parts, start=1):
        try:
            kek = kek_parse(part)
        except ValueError as exc:
            raise ValueError(f"key {position}: {exc}") from None
        if kek in keks:
            raise ValueError(f"key {position} is listed twice")
        keks.append(kek)
    return keks


def kek_id(kek: bytes) -> str:
    """A short public name for a key-encryption key (for logs and reports): 8 hex digits
    of an HKDF derivation, which says nothing about the key itself."""
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    return (
        HKDF(algorithm=hashes.SHA256(), length=4, salt=b"zhiyin-seal-kek", info=b"key id")
        .derive(kek)
        .hex()
    )


def key_decrypt_any(blob: bytes, keks: Iterable[bytes]) -> tuple[ec.EllipticCurvePrivateKey, int]:
    """Open a blob with whichever of `keks` it was sealed under; returns the key and that
    KEK's position in the list. ``KeyBlobError`` when none opens it."""
    failure: KeyBlobError | None = None
    for position, kek in enumerate(keks):
        try:
            return key_decrypt(blob, kek), position
        except KeyBlobError as exc:
            failure = exc
    raise failure or KeyBlobError(gettext_noop("印章私钥无法解密：密钥不对或数据已损坏"))


def kek_derive_development(secret: str) -> bytes:
    """A stable development KEK from the project's secret key (HKDF-SHA256).

    Only for running without configuration: anyone with the secret key can open the
    seal keys, so production must set its own KEK.
    """
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"zhiyin-seal-kek", info=b"development"
    ).derive(secret.encode("utf-8"))


def device_cert_issue(
    *,
    ca_key: ec.EllipticCurvePrivateKey,
    ca_cert: x509.Certificate,
    public_key: ed25519.Ed25519PublicKey | ec.EllipticCurvePublicKey,
    common_name: str,
    organization: str,
    valid_days: int = 5 * 365,
    server_names: Iterable[str] = (),
    now: dt.datetime | None = None,
) -> x509.Certificate:
    """A certificate for a smart seal terminal's own key (the terminal keeps the private
    half), issued by the district's *device* CA — never the seal CA, so a terminal's key
    can never pass for an electronic seal.

    The common name is the terminal's serial: MQTT brokers use it as the user name
    (``use_identity_as_username``) and the topic ACL is written per serial. With
    ``server_names`` the same CA issues the broker's TLS server certificate and the
    server-side consumer's client certificate.
    """
    import ipaddress

    now = now or _utcnow()
    ca_ski = ca_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    names = list(server_names)
    usages = [ExtendedKeyUsageOID.CLIENT_AUTH]
    if names:
        usages.append(ExtendedKeyUsageOID.SERVER_AUTH)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name=common_name, organization=organization))
        .issuer_name(ca_cert.subject)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(min(now + dt.timedelta(days=valid_days), ca_cert.not_valid_after_utc))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage(usages), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski), critical=False
        )
    )
    if names:
        alt: list[x509.GeneralName] = []
        for name in names:
            try:
                alt.append(x509.IPAddress(ipaddress.ip_address(name)))
            except ValueError:
                alt.append(x509.DNSName(name))
        builder = builder.add_extension(x509.SubjectAlternativeName(alt), critical=False)
    return builder.sign(ca_key, hashes.SHA256())
