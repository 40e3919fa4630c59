"""A district with its own root, two seals of 水南村, and a certificate ready to seal.

Everything here is session-scoped: keys, fonts and the blank certificate are the same
for every test, and building them once keeps the suite quick on a two-core machine.
"""

from __future__ import annotations

import datetime as dt
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from zhiyin.lib import pades, pdfdoc, pki, stamp
from zhiyin.lib.signer import SoftwareSealSigner

DISTRICT = "三亚市崖州区"
COMMITTEE = "水南村村民委员会"
COLLECTIVE = "水南村股份经济合作联合社"
DOCUMENT_NUMBER = "崖州水南证〔2026〕0001号"
VERIFY_URL = "https://zhiyin.example.gov.cn/v/2026-0001"
CRL_URL = "https://zhiyin.example.gov.cn/crl/yazhou.crl"


@dataclass(frozen=True)
class District:
    key: ec.EllipticCurvePrivateKey
    root: x509.Certificate


@pytest.fixture(scope="session")
def district() -> District:
    key, root = pki.ca_create(district_name=DISTRICT)
    return District(key=key, root=root)


@pytest.fixture(scope="session")
def foreign_district() -> District:
    key, root = pki.ca_create(district_name="儋州市")
    return District(key=key, root=root)


def signer_for(district: District, organization: str) -> SoftwareSealSigner:
    key, cert = pki.seal_cert_issue(
        ca_key=district.key,
        ca_cert=district.root,
        organization_name=organization,
        district_name=DISTRICT,
        crl_url=CRL_URL,
    )
    return SoftwareSealSigner(key=key, certificate=cert, chain=[district.root])


@pytest.fixture(scope="session")
def committee_signer(district: District) -> SoftwareSealSigner:
    return signer_for(district, COMMITTEE)


@pytest.fixture(scope="session")
def collective_signer(district: District) -> SoftwareSealSigner:
    return signer_for(district, COLLECTIVE)


@pytest.fixture(scope="session")
def certificate() -> pdfdoc.CertificatePdf:
    return pdfdoc.certificate_pdf_build(
        title="证明",
        paragraphs=[
            "兹证明张三（身份证号4602**********1234）系我村村民，户籍在水南村三组，"
            "2025—2026年度种植冬春瓜菜12.5亩，情况属实。",
            "特此证明。",
        ],
        document_number=DOCUMENT_NUMBER,
        organization_name=COMMITTEE,
        issued_on=dt.date(2026, 11, 26),
        addressee="三亚市崖州区农业农村局",
    )


def seal(
    pdf: bytes,
    signer: SoftwareSealSigner,
    position: pdfdoc.SealPosition,
    *,
    organization: str = COMMITTEE,
    field_name: str = "Seal-1",
    timestamp_url: str | None = None,
) -> bytes:
    return pades.seal_pdf(
        pdf,
        signer=signer,
        stamp_png=stamp.stamp_render(name=organization),
        page=position.page,
        x=position.x,
        y=position.y,
        size_mm=stamp.DIAMETER_MM,
        document_number=DOCUMENT_NUMBER,
        verify_url=VERIFY_URL,
        field_name=field_name,
        timestamp_url=timestamp_url,
    )


@pytest.fixture(scope="session")
def sealed(certificate: pdfdoc.CertificatePdf, committee_signer: SoftwareSealSigner) -> bytes:
    return seal(certificate.pdf, committee_signer, certificate.seal_position)


@pytest.fixture(scope="session")
def nss_db(tmp_path_factory: pytest.TempPathFactory, district: District) -> str:
    """An NSS database trusting only the district root, the way a reader would be set up.

    The root needs the email trust flag (the middle one): poppler checks signers for
    the email-signing usage, so ``C,,`` (SSL only) leaves the seal untrusted.
    """
    directory = tmp_path_factory.mktemp("nss")
    root_pem = directory / "root.pem"
    root_pem.write_bytes(pki.cert_pem(district.root))
    nss = f"sql:{directory}"
    subprocess.run(["certutil", "-N", "--empty-password", "-d", nss], check=True)
    subprocess.run(
        ["certutil", "-A", "-n", "root", "-t", "C,C,", "-i", str(root_pem), "-d", nss],
        check=True,
    )
    return nss


def pdfsig(nss: str, pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "checked.pdf"
    path.write_bytes(pdf)
    return subprocess.run(
        ["pdfsig", "-nssdir", nss, str(path)], capture_output=True, text=True, check=False
    ).stdout
