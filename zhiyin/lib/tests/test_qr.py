"""The fast QR layout gives exactly the symbol and penalty the `qrcode` package gives."""

from __future__ import annotations

import qrcode
import qrcode.util
from qrcode.constants import ERROR_CORRECT_M

from zhiyin.lib.qr import _bits, penalty, qr_matrix

LINKS = [
    "https://zhiyin.example.gov.cn/v/7f3a9c2d71b4e5f60001",
    "https://z.cn/v/1",
    "http://127.0.0.1:8000/verify/崖州水南证〔2026〕0001号",
    "https://audit.yazhou.sanya.gov.cn/verify/" + "a" * 120,  # version 7+: version info too
    # Segments in other modes: a run of 20+ digits, and upper-case letters (alphanumeric).
    "https://z.cn/v/123456789012345678901234567890",
    "HTTPS://ZHIYIN.EXAMPLE.GOV.CN/V/7F3A9C2D71B4E5F60001",
    "x" * 1200,  # many error correction blocks of two sizes
]


def _reference(data: str, mask: int | None) -> list[list[bool | None]]:
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=0, mask_pattern=mask)
    code.add_data(data)
    code.make(fit=True)
    return [[bool(cell) for cell in row] for row in code.modules]  # every cell is set


def test_it_chooses_the_same_mask_and_makes_the_same_symbol_as_qrcode() -> None:
    for link in LINKS:
        assert [list(row) for row in qr_matrix(link)] == _reference(link, None)


def test_its_penalty_is_the_standards_penalty_for_every_mask() -> None:
    for link in LINKS:
        for mask in range(8):
            modules = _reference(link, mask)
            rows = [_bits(row) for row in modules]
            assert penalty(rows, len(modules)) == qrcode.util.lost_point(modules), (link, mask)
