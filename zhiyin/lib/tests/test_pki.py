from __future__ import annotations

import datetime as dt

import pytest
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from zhiyin.lib import pki
from zhiyin.lib.signer import SoftwareSealSigner
from zhiyin.lib.tests.conftest import COMMITTEE, CRL_URL, DISTRICT, District

KEK = bytes(range(32))


def test_it_makes_a_root_that_only_issues_certificates_and_crls(district: District) -> None:
    root = district.root
    assert root.subject == root.issuer
    constraints = root.extensions.get_extension_for_class(x509.BasicConstraints)
    assert constraints.critical
    assert constraints.value.ca
    assert constraints.value.path_length == 0
    usage = root.extensions.get_extension_for_class(x509.KeyUsage)
    assert usage.critical
    assert usage.value.key_cert_sign
    assert usage.value.crl_sign
    assert not usage.value.digital_signature
    public_key = root.public_key()
    assert isinstance(public_key, ec.EllipticCurvePublicKey)
    assert public_key.curve.name == "secp256r1"
    assert isinstance(root.signature_hash_algorithm, hashes.SHA256)
    root.verify_directly_issued_by(root)


def test_it_names_the_seal_certificate_after_its_organization(
    district: District, committee_signer: SoftwareSealSigner
) -> None:
    cert = committee_signer.certificate
    subject = {attr.oid: attr.value for attr in cert.subject}
    assert subject == {
        NameOID.COMMON_NAME: COMMITTEE,
        NameOID.ORGANIZATION_NAME: DISTRICT,
        NameOID.COUNTRY_NAME: "CN",
    }
    cert.verify_directly_issued_by(district.root)


def test_it_gives_the_seal_certificate_what_pdf_readers_look_for(
    district: District, committee_signer: SoftwareSealSigner
) -> None:
    cert = committee_signer.certificate
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage)
    assert usage.critical
    assert usage.value.digital_signature
    assert usage.value.content_commitment
    assert not usage.value.key_cert_sign
    purposes = set(cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value)
    assert ExtendedKeyUsageOID.EMAIL_PROTECTION in purposes
    assert pki.EKU_ADOBE_DOCUMENT_SIGNING in purposes
    assert pki.EKU_ETSI_DOCUMENT_SIGNING in purposes
    aki = cert.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value
    root_ski = district.root.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
    assert aki.key_identifier == root_ski.value.digest
    assert cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
    points = cert.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
    assert [name.value for name in points[0].full_name or []] == [CRL_URL]
    assert not cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca


def test_it_never_lets_a_seal_outlive_its_root(district: District) -> None:
    _, cert = pki.seal_cert_issue(
        ca_key=district.key,
        ca_cert=district.root,
        organization_name=COMMITTEE,
        district_name=DISTRICT,
        crl_url=CRL_URL,
        valid_days=100 * 365,
    )
    assert cert.not_valid_after_utc == district.root.not_valid_after_utc


def test_it_restores_an_encrypted_key() -> None:
    key = pki.key_generate()
    blob = pki.key_encrypt(key, KEK)
    assert blob.startswith(b"ZYK1")
    assert pki.key_decrypt(blob, KEK).private_numbers() == key.private_numbers()


def test_it_uses_a_fresh_nonce_each_time() -> None:
    key = pki.key_generate()
    assert pki.key_encrypt(key, KEK) != pki.key_encrypt(key, KEK)


def test_it_rejects_a_wrong_kek_or_a_tampered_blob() -> None:
    blob = pki.key_encrypt(pki.key_generate(), KEK)
    with pytest.raises(pki.KeyBlobError, match="无法解密"):
        pki.key_decrypt(blob, bytes(32))
    tampered = blob[:-1] + bytes([blob[-1] ^ 1])
    with pytest.raises(pki.KeyBlobError, match="无法解密"):
        pki.key_decrypt(tampered, KEK)
    with pytest.raises(pki.KeyBlobError, match="格式"):
        pki.key_decrypt(b"not a key", KEK)


def test_it_lists_revoked_seals_in_a_signed_crl(district: District) -> None:
    now = dt.datetime(2026, 11, 26, 8, 0, tzinfo=dt.UTC)
    der = pki.crl_build(
        district.key,
        district.root,
        [(1234, now), (5678, now)],
        now + dt.timedelta(days=7),
        crl_number=3,
        this_update=now,
    )
    crl = x509.load_der_x509_crl(der)
    root_key = district.root.public_key()
    assert isinstance(root_key, ec.EllipticCurvePublicKey)
    assert crl.is_signature_valid(root_key)
    assert crl.issuer == district.root.subject
    assert {entry.serial_number for entry in crl} == {1234, 5678}
    assert crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number == 3
    assert crl.next_update_utc == now + dt.timedelta(days=7)


def test_the_software_signer_signs_digests_its_certificate_verifies(
    committee_signer: SoftwareSealSigner,
) -> None:
    digest = hashes.Hash(hashes.SHA256())
    digest.update(b"document")
    value = digest.finalize()
    signature = committee_signer.sign_digest(value, algorithm="sha256")
    public_key = committee_signer.certificate.public_key()
    assert isinstance(public_key, ec.EllipticCurvePublicKey)
    public_key.verify(signature, b"document", ec.ECDSA(hashes.SHA256()))
    with pytest.raises(InvalidSignature):
        public_key.verify(signature, b"another document", ec.ECDSA(hashes.SHA256()))
    with pytest.raises(ValueError, match="digest length"):
        committee_signer.sign_digest(value[:20], algorithm="sha256")


def test_the_software_signer_refuses_a_key_of_another_seal(
    committee_signer: SoftwareSealSigner,
) -> None:
    with pytest.raises(ValueError, match="does not match"):
        SoftwareSealSigner(key=pki.key_generate(), certificate=committee_signer.certificate)


def test_the_software_signer_opens_a_stored_key(district: District) -> None:
    key, cert = pki.seal_cert_issue(
        ca_key=district.key,
        ca_cert=district.root,
        organization_name=COMMITTEE,
        district_name=DISTRICT,
        crl_url=CRL_URL,
    )
    signer = SoftwareSealSigner.from_encrypted(
        key_blob=pki.key_encrypt(key, KEK), kek=KEK, certificate=cert, chain=[district.root]
    )
    assert signer.chain == (district.root,)
