"""Electronic seals: the district CA on first use, certificates, revocation, the CRL and
the public root, the stamp image, and the commands that move the root in and out."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from conftest import World, client_for
from zhiyin.core.errors import RuleViolation
from zhiyin.lib import pki
from zhiyin.seals.models import DistrictCA, ElectronicSeal, RevocationReason, SealKind
from zhiyin.seals.selectors import electronic_seal_active, revoked_serials
from zhiyin.seals.services import (
    district_ca_import,
    electronic_seal_issue,
    seal_register,
    seal_reinstate,
    seal_retire,
    seal_suspend,
)

pytestmark = pytest.mark.django_db


def _crl_serials(world: World) -> set[int]:
    response = client_for(None).get(f"/pki/crl/{world.district.code}.crl")
    assert response.status_code == 200
    crl = x509.load_der_x509_crl(response.content)
    return {entry.serial_number for entry in crl}


def test_it_creates_the_district_root_on_first_use_and_names_the_organization(
    world: World,
) -> None:
    assert not DistrictCA.objects.exists()
    electronic = electronic_seal_issue(seal=world.sn_committee_seal, by=world.sn_admin)
    ca = DistrictCA.objects.get(district=world.district)
    cert = x509.load_pem_x509_certificate(electronic.certificate_pem.encode())
    root = x509.load_pem_x509_certificate(ca.certificate_pem.encode())
    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "水南村村民委员会"
    assert cert.issuer == root.subject
    eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert ExtendedKeyUsageOID.EMAIL_PROTECTION in eku
    crl_point = cert.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
    assert crl_point[0].full_name[0].value.endswith(f"/pki/crl/{world.district.code}.crl")
    # The key is stored encrypted and opens only with the configured KEK.
    blob = bytes(electronic.key_blob)
    key = pki.key_decrypt(blob, settings.SEAL_KEK)
    assert key.public_key() == cert.public_key()
    with pytest.raises(pki.KeyBlobError):
        pki.key_decrypt(blob, bytes(32))
    assert electronic_seal_active(seal=world.sn_committee_seal) == electronic


def test_it_refuses_a_seal_that_is_not_electronic_or_not_active(world: World) -> None:
    with pytest.raises(RuleViolation, match="未登记为电子印章"):
        electronic_seal_issue(seal=world.sn_group1_seal, by=world.sn_admin)
    seal_suspend(seal=world.sn_committee_seal, reason="调查中", by=world.sn_admin)
    with pytest.raises(RuleViolation, match="暂停使用"):
        electronic_seal_issue(seal=world.sn_committee_seal, by=world.sn_admin)
    assert not ElectronicSeal.objects.exists()


def test_it_refuses_a_name_with_characters_missing_from_the_font(world: World) -> None:
    seal = seal_register(
        village=world.shuinan,
        kind=SealKind.COMMITTEE,
        code="SN-RARE",
        name="𪚥村村民委员会",
        by=None,
        is_electronic=True,
    )
    with pytest.raises(RuleViolation, match="印章字体中没有这些字：“𪚥”（U\\+2A6A5）"):
        electronic_seal_issue(seal=seal, by=world.sn_admin)
    assert not ElectronicSeal.objects.exists()


def test_suspending_revokes_the_certificate_and_the_crl_lists_it(world: World) -> None:
    electronic = electronic_seal_issue(seal=world.sn_committee_seal, by=world.sn_admin)
    assert _crl_serials(world) == set()
    number_before = DistrictCA.objects.get().crl_number
    seal_suspend(seal=world.sn_committee_seal, reason="印章管理员交接", by=world.sn_admin)
    electronic.refresh_from_db()
    assert electronic.revoked_at is not None
    assert electronic.revocation_reason == RevocationReason.SUSPENDED
    assert _crl_serials(world) == {electronic.serial_int}
    assert DistrictCA.objects.get().crl_number > number_before
    assert electronic.serial_int in revoked_serials()
    # Reinstating does not bring the revoked certificate back: a new one is issued.
    seal_reinstate(seal=world.sn_committee_seal, reason="交接完成", by=world.sn_admin)
    assert electronic_seal_active(seal=world.sn_committee_seal) is None
    renewed = electronic_seal_issue(seal=world.sn_committee_seal, by=world.sn_admin)
    assert renewed.serial != electronic.serial


def test_retiring_revokes_and_a_refused_move_revokes_nothing(world: World) -> None:
    electronic = electronic_seal_issue(seal=world.sn_committee_seal, by=world.sn_admin)
    with pytest.raises(RuleViolation, match="请说明原因"):
        seal_suspend(seal=world.sn_committee_seal, reason="  ", by=world.sn_admin)
    electronic.refresh_from_db()
    assert electronic.revoked_at is None
    seal_retire(seal=world.sn_committee_seal, reason="更换新章", by=world.sn_admin)
    electronic.refresh_from_db()
    assert electronic.revocation_reason == RevocationReason.RETIRED


def test_renewing_supersedes_the_previous_certificate(world: World) -> None:
    first = electronic_seal_issue(seal=world.sn_committee_seal, by=world.sn_admin)
    second = electronic_seal_issue(seal=world.sn_committee_seal, by=world.sn_admin)
    first.refresh_from_db()
    assert first.revocation_reason == RevocationReason.SUPERSEDED
    assert electronic_seal_active(seal=world.sn_committee_seal) == second
    assert _crl_serials(world) == {first.serial_int}


def test_the_root_is_published_without_login_in_der_and_pem(world: World) -> None:
    electronic_seal_issue(seal=world.sn_committee_seal, by=world.sn_admin)
    anonymous = client_for(None)
    der = anonymous.get(f"/pki/root/{world.district.code}.crt")
    pem = anonymous.get(f"/pki/root/{world.district.code}.pem")
    assert der.status_code == pem.status_code == 200
    assert x509.load_der_x509_certificate(der.content) == x509.load_pem_x509_certificate(
        pem.content
    )
    assert anonymous.get("/pki/root/999999.crt").status_code == 404
    assert anonymous.get("/pki/crl/999999.crl").status_code == 404


def test_the_stamp_image_is_shown_to_staff_in_scope_only(world: World) -> None:
    url = f"/seals/{world.sn_committee_seal.pk}/stamp.png"
    assert client_for(None).get(url).status_code == 302
    assert client_for(world.bl_secretary).get(url).status_code == 404
    assert client_for(world.sn_resident).get(url).status_code == 404
    for person in (world.sn_custodian1, world.inspector):
        response = client_for(person).get(url)
        assert response.status_code == 200
        assert response["Content-Type"] == "image/png"
        assert response.content.startswith(b"\x89PNG")


def test_only_an_admin_in_scope_issues_a_certificate_from_the_page(world: World) -> None:
    url = f"/seals/{world.sn_committee_seal.pk}/electronic/"
    assert client_for(None).post(url).status_code == 302
    assert client_for(world.bl_admin).post(url).status_code == 404
    assert client_for(world.sn_custodian1).post(url).status_code == 403
    assert not ElectronicSeal.objects.exists()
    response = client_for(world.sn_admin).post(url)
    assert response.status_code == 302
    assert ElectronicSeal.objects.filter(seal=world.sn_committee_seal).count() == 1
    page = client_for(world.sn_admin).get(f"/seals/{world.sn_committee_seal.pk}/")
    assert "证书序列号" in page.content.decode()


def test_export_and_import_root_ca(world: World, tmp_path: Path) -> None:
    pem_out = tmp_path / "root.pem"
    call_command("export_root_ca", "--out", str(pem_out))
    exported = x509.load_pem_x509_certificate(pem_out.read_bytes())
    assert (
        exported.subject
        == x509.load_pem_x509_certificate(DistrictCA.objects.get().certificate_pem.encode()).subject
    )
    with pytest.raises(RuleViolation, match="已有电子印章根证书"):
        district_ca_import(district=world.district, certificate_pem=b"", key_pem=b"", by=None)
    DistrictCA.objects.all().delete()
    key, root = pki.ca_create(district_name="崖州区")
    key_file = tmp_path / "root.key"
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    cert_file = tmp_path / "imported.pem"
    cert_file.write_bytes(pki.cert_pem(root))
    other_key, _other = pki.ca_create(district_name="别处")
    bad_key = tmp_path / "other.key"
    bad_key.write_bytes(
        other_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    with pytest.raises(CommandError, match="私钥与根证书不匹配"):
        call_command(
            "import_root_ca",
            "--district",
            world.district.code,
            "--cert",
            str(cert_file),
            "--key",
            str(bad_key),
        )
    call_command(
        "import_root_ca",
        "--district",
        world.district.code,
        "--cert",
        str(cert_file),
        "--key",
        str(key_file),
    )
    electronic = electronic_seal_issue(seal=world.sn_committee_seal, by=None)
    issued = x509.load_pem_x509_certificate(electronic.certificate_pem.encode())
    assert issued.issuer == root.subject
    der_out = tmp_path / "root.crt"
    call_command("export_root_ca", "--out", str(der_out), "--district", world.district.code)
    assert x509.load_der_x509_certificate(der_out.read_bytes()) == root


PRODUCTION_SMS = {
    "SMS_SENDER": "zhiyin.delivery.sms.HttpSmsSender",
    "SMS_GATEWAY_URL": "https://sms.example/send",
    "SMS_GATEWAY_KEY": "zhiyin",
    "SMS_GATEWAY_SECRET": "s" * 32,
}


def _start(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    keep = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DEBUG", "SEAL_KEK", "AUDIT_SIGNING_KEY"))
    }
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env={
            **keep,
            "SECRET_KEY": "k" * 60,
            # The audit checkpoint key is required too when DEBUG is off (a 32-byte seed).
            "AUDIT_SIGNING_KEY": base64.b64encode(bytes(range(32))).decode(),
            "DJANGO_SETTINGS_MODULE": "zhiyin.settings",
            # DEBUG=false refuses development SMS senders: a configured gateway.
            **PRODUCTION_SMS,
            **env,
        },
        capture_output=True,
        text=True,
        cwd=settings.BASE_DIR,
        check=False,
    )


def test_it_refuses_to_start_without_a_kek_in_production_or_with_a_bad_one(
    tmp_path: Path,
) -> None:
    missing = _start({"DEBUG": "false"})
    assert missing.returncode != 0
    assert "SEAL_KEK (or SEAL_KEK_FILE) must be set when DEBUG is off" in missing.stderr
    bad = _start({"DEBUG": "false", "SEAL_KEK": "abcd"})
    assert bad.returncode != 0
    assert "must be 32 bytes" in bad.stderr
    kek_file = tmp_path / "kek"
    kek_file.write_text("ab" * 32 + "\n")
    assert _start({"DEBUG": "false", "SEAL_KEK_FILE": str(kek_file)}).returncode == 0
