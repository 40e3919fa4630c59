"""How much our seal costs over plain pyHanko signing, on the same PDF in the same run.

Our seal draws the seal face, a QR code and the document number; plain pyHanko draws its
stock text box of the same size. The limit is a ratio of medians, so the figure holds on
slow and fast machines alike.

Run: .venv/bin/python bench/bench_sealing.py [rounds]
"""

from __future__ import annotations

import datetime as dt
import io
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from asn1crypto import keys as asn1_keys  # type: ignore[import-untyped]  # no stubs
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko_certvalidator.registry import SimpleCertificateStore

from zhiyin.lib import pades, pdfdoc, pki, stamp
from zhiyin.lib.signer import SoftwareSealSigner

TARGET_RATIO = 1.25
SIZE_MM = 42.0
DOCUMENT_NUMBER = "崖州水南证〔2026〕0001号"
VERIFY_URL = "https://zhiyin.example.gov.cn/v/7f3a9c2d71b4e5f6"


def _time_ms(run: Callable[[], bytes]) -> float:
    started = time.perf_counter()
    run()
    return (time.perf_counter() - started) * 1000


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 30
    ca_key, ca_cert = pki.ca_create(district_name="三亚市崖州区")
    seal_key, seal_cert = pki.seal_cert_issue(
        ca_key=ca_key,
        ca_cert=ca_cert,
        organization_name="水南村村民委员会",
        district_name="三亚市崖州区",
        crl_url="https://zhiyin.example.gov.cn/crl/yazhou.crl",
    )
    document = pdfdoc.certificate_pdf_build(
        title="证明",
        paragraphs=["兹证明张三系我村村民，户籍在水南村三组。", "特此证明。"],
        document_number=DOCUMENT_NUMBER,
        organization_name="水南村村民委员会",
        issued_on=dt.date(2026, 11, 26),
    )
    position = document.seal_position
    png = stamp.stamp_render(name="水南村村民委员会")
    ours_signer = SoftwareSealSigner(key=seal_key, certificate=seal_cert, chain=[ca_cert])

    rounds_done = [0]

    def ours() -> bytes:
        # A new link each time, as each real document has: no cached QR code helps us.
        rounds_done[0] += 1
        return pades.seal_pdf(
            document.pdf,
            signer=ours_signer,
            stamp_png=png,
            page=position.page,
            x=position.x,
            y=position.y,
            size_mm=SIZE_MM,
            document_number=DOCUMENT_NUMBER,
            verify_url=f"{VERIFY_URL}{rounds_done[0]:04d}",
            field_name="Seal-1",
        )

    # Same field size as ours, so both appearances cover the same area.
    probe = ours()
    # pyHanko annotates the box as ints but writes any number into /Rect.
    reader_box: Any = _field_box(probe)
    registry = SimpleCertificateStore()  # type: ignore[no-untyped-call]  # unannotated
    registry.register_multiple([_asn1(ca_cert)])
    raw_signer = signers.SimpleSigner(
        signing_cert=_asn1(seal_cert),
        signing_key=asn1_keys.PrivateKeyInfo.load(
            seal_key.private_bytes(
                serialization.Encoding.DER,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        ),
        cert_registry=registry,
    )

    def raw(bytes_reserved: int | None = None) -> bytes:
        pdf_signer = signers.PdfSigner(
            signers.PdfSignatureMetadata(
                field_name="Seal-1",
                md_algorithm="sha256",
                subfilter=fields.SigSeedSubFilter.PADES,
            ),
            signer=raw_signer,
            new_field_spec=fields.SigFieldSpec(
                sig_field_name="Seal-1", on_page=position.page, box=reader_box
            ),
        )
        writer = IncrementalPdfFileWriter(io.BytesIO(document.pdf), strict=False)
        result: bytes = pdf_signer.sign_pdf(writer, bytes_reserved=bytes_reserved).getvalue()
        return result

    raw()
    # Interleave so that machine noise hits both sides alike.
    ours_ms: list[float] = []
    raw_ms: list[float] = []
    raw_reserved_ms: list[float] = []
    for _ in range(rounds):
        ours_ms.append(_time_ms(ours))
        raw_ms.append(_time_ms(raw))
        raw_reserved_ms.append(_time_ms(lambda: raw(bytes_reserved=8192)))
    ours_median = statistics.median(ours_ms)
    raw_median = statistics.median(raw_ms)
    ratio = ours_median / raw_median
    print(f"sealing the same certificate PDF, {rounds} rounds each, medians:")
    print(f"  zhiyin seal_pdf (seal face + QR + number): {ours_median:7.1f} ms")
    print(f"  raw pyHanko (stock appearance, same box):  {raw_median:7.1f} ms")
    # Most of our lead comes from skipping pyHanko's dry-run signature; this line shows
    # what is left once raw pyHanko is given a fixed reservation too.
    reserved_median = statistics.median(raw_reserved_ms)
    print(f"  (for information) raw pyHanko, fixed size: {reserved_median:7.1f} ms")
    verdict = "ok" if ratio <= TARGET_RATIO else "OVER LIMIT"
    print(f"  ratio {ratio:.2f}  (limit <= {TARGET_RATIO:.2f})  {verdict}")
    if ratio > TARGET_RATIO:
        sys.exit(1)


def _asn1(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def _field_box(pdf: bytes) -> tuple[float, float, float, float]:
    from pyhanko.pdf_utils.reader import PdfFileReader

    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    widget = reader.embedded_signatures[0].sig_field
    rect = [float(v) for v in widget["/Rect"]]
    return rect[0], rect[1], rect[2], rect[3]


if __name__ == "__main__":
    main()
