"""Page images for choosing where the seal goes, and the click-to-points conversion.

The custodian clicks on a low-resolution page image inside a plain form
(``<input type="image">`` sends the click's x and y with no script, which the CSP
forbids). The image is shown at its natural size, so a pixel is exactly
``72 / PREVIEW_DPI`` points and the conversion needs nothing from the browser.
"""

from __future__ import annotations

import functools
import io
import shutil
import subprocess
import tempfile
from pathlib import Path

from pyhanko.pdf_utils.reader import PdfFileReader

from zhiyin.lib import pdfdoc

PREVIEW_DPI = 40
A4_PT = (595.28, 841.89)


class PreviewError(ValueError):
    """The page cannot be shown; the message is for the person asking."""


def _reader(pdf: bytes) -> PdfFileReader:
    return PdfFileReader(io.BytesIO(pdf), strict=False)


def page_count(pdf: bytes) -> int:
    try:
        return int(_reader(pdf).root["/Pages"]["/Count"])
    except Exception as exc:  # any parse failure: not a PDF we can place a seal on
        raise PreviewError("无法读取该 PDF 文件的页面。") from exc


def page_size(pdf: bytes, page: int) -> tuple[float, float]:
    """Width and height of a page in points (its crop or media box; A4 if unreadable)."""
    try:
        page_ref, _resources = _reader(pdf).find_page_for_modification(page)  # type: ignore[no-untyped-call]  # unannotated in pyHanko
        page_dict = page_ref.get_object()
        box = page_dict.get("/CropBox") or page_dict.get("/MediaBox")
        if box is None:
            return A4_PT
        left, bottom, right, top = (float(value) for value in box)
    except Exception:  # inherited or damaged boxes: the common paper size is the best guess
        return A4_PT
    return right - left, top - bottom


@functools.lru_cache(maxsize=64)
def _render(pdf_sha256: str, page: int, pdf: bytes) -> bytes:
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "doc.pdf"
        source.write_bytes(pdf)
        target = Path(folder) / "page"
        result = subprocess.run(  # noqa: S603  # fixed program, our own temporary files
            [
                shutil.which("pdftoppm") or "pdftoppm",
                "-r",
                str(PREVIEW_DPI),
                "-f",
                str(page + 1),
                "-l",
                str(page + 1),
                "-png",
                "-singlefile",
                str(source),
                str(target),
            ],
            capture_output=True,
            check=False,
            timeout=30,
        )
        output = target.with_suffix(".png")
        if result.returncode != 0 or not output.exists():
            raise PreviewError("无法生成页面预览。")
        return output.read_bytes()


def page_png(pdf: bytes, pdf_sha256: str, page: int) -> bytes:
    """The page as a PNG at ``PREVIEW_DPI``; kept per (document, page) in the process."""
    if not 0 <= page < page_count(pdf):
        raise PreviewError(f"第{page + 1}页不存在。")
    return _render(pdf_sha256, page, pdf)


def preview_size_px(pdf: bytes, page: int) -> tuple[int, int]:
    width, height = page_size(pdf, page)
    return round(width * PREVIEW_DPI / 72), round(height * PREVIEW_DPI / 72)


def click_to_position(pdf: bytes, page: int, x_px: int, y_px: int) -> pdfdoc.SealPosition:
    """Image pixels (origin top left) to PDF points (origin bottom left), kept on the page."""
    width, height = page_size(pdf, page)
    scale = 72 / PREVIEW_DPI
    x = min(max(x_px * scale, 0.0), width)
    y = min(max(height - y_px * scale, 0.0), height)
    return pdfdoc.SealPosition(page=page, x=x, y=y)
