from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path

import pytest

from zhiyin.lib import pdfdoc
from zhiyin.lib.tests.conftest import COMMITTEE

A4_HEIGHT_PT = 841.89


def test_it_writes_dates_the_chinese_way() -> None:
    assert pdfdoc.date_chinese(dt.date(2026, 11, 6)) == "2026年11月6日"


def test_it_embeds_the_song_font_as_truetype(
    certificate: pdfdoc.CertificatePdf, tmp_path: Path
) -> None:
    path = tmp_path / "certificate.pdf"
    path.write_bytes(certificate.pdf)
    fonts = subprocess.run(
        ["pdffonts", str(path)], capture_output=True, text=True, check=True
    ).stdout.splitlines()[2:]
    assert len(fonts) == 1
    name, kind, *_ = fonts[0].split()
    assert "UMing" in name
    assert kind == "TrueType"
    assert fonts[0].split()[-5:-2] == ["yes", "yes", "yes"]  # embedded, subset, unicode


def test_it_puts_the_seal_over_the_organization_name_and_date(
    certificate: pdfdoc.CertificatePdf, tmp_path: Path
) -> None:
    path = tmp_path / "certificate.pdf"
    path.write_bytes(certificate.pdf)
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "崖州水南证〔2026〕0001号" in text
    assert "2026年11月26日" in text
    assert COMMITTEE in text
    bbox = subprocess.run(
        ["pdftotext", "-bbox", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    line = next(row for row in bbox.splitlines() if f">{COMMITTEE}<" in row)
    fields = dict(part.split("=") for part in line.split(">")[0].split()[1:])
    x_min = float(fields["xMin"].strip('"'))
    x_max = float(fields["xMax"].strip('"'))
    y_max_from_top = float(fields["yMax"].strip('"'))
    position = certificate.seal_position
    assert position.page == 0
    assert x_min < position.x < x_max
    assert abs((A4_HEIGHT_PT - position.y) - y_max_from_top) < 20


def test_it_wraps_long_chinese_paragraphs_inside_the_margins(tmp_path: Path) -> None:
    document = pdfdoc.certificate_pdf_build(
        title="证明",
        paragraphs=["兹证明" + "水南村三组村民" * 40 + "。"],
        document_number="崖州水南证〔2026〕0002号",
        organization_name=COMMITTEE,
        issued_on=dt.date(2026, 11, 26),
    )
    path = tmp_path / "long.pdf"
    path.write_bytes(document.pdf)
    bbox = subprocess.run(
        ["pdftotext", "-bbox", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    right_edges = [
        float(row.split('xMax="')[1].split('"')[0]) for row in bbox.splitlines() if "<word" in row
    ]
    assert max(right_edges) < 595.28 - 28 * 2.83


def test_it_refuses_text_the_font_cannot_show() -> None:
    with pytest.raises(pdfdoc.DocumentError, match=r"U\+20BB7"):
        pdfdoc.certificate_pdf_build(
            title="证明",
            paragraphs=["兹证明𠮷某系我村村民。"],
            document_number="崖州水南证〔2026〕0003号",
            organization_name=COMMITTEE,
            issued_on=dt.date(2026, 11, 26),
        )


def _page_text(path: Path, page: int) -> str:
    return subprocess.run(
        ["pdftotext", "-f", str(page + 1), "-l", str(page + 1), str(path), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout


@pytest.mark.parametrize("paragraph_count", [1, 3])
def test_the_signature_block_never_sits_on_a_page_without_text(
    tmp_path: Path, paragraph_count: int
) -> None:
    """Texts of every length around a page break (and far past one): the page the seal
    goes on always carries some of the certificate's words above the 落款."""
    issued = dt.date(2026, 11, 26)
    seen_pages: set[int] = set()
    for length in range(10, 1400, 23):
        words = "兹证明张三系本村三组村民，" + "其家庭情况经村民小组核实属实" * (length // 14)
        paragraphs = [words] * (paragraph_count - 1) + [words[: max(length, 12)] + "。"]
        document = pdfdoc.certificate_pdf_build(
            title="证明",
            paragraphs=[*paragraphs, "特此证明。"],
            document_number="崖州水南证〔2026〕0004号",
            organization_name=COMMITTEE,
            issued_on=issued,
        )
        path = tmp_path / f"long-{length}.pdf"
        path.write_bytes(document.pdf)
        page = document.seal_position.page
        seen_pages.add(page)
        text = _page_text(path, page)
        assert COMMITTEE in text and "2026年11月26日" in text
        rest = text.replace(COMMITTEE, "").replace("2026年11月26日", "")
        assert "特此证明" in rest, f"length {length}: the seal's page has no text"
    assert max(seen_pages) >= 1, "the lengths tried must reach past the first page"
