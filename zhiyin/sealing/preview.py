"""Page images for choosing where the seal goes, and the tap-to-points conversion.

The custodian taps a small page image. Without script, the image is an
``<input type="image">`` in a GET form: the tap's x and y come back and the page is
shown again with the seal's outline there; a tap elsewhere moves it, and
"确认在此盖章" seals where the outline is. With the page's own script (CSP allows only
our files), the outline moves at once and can be dragged. The image is shown at its
natural size, so a pixel is exactly ``page width / PREVIEW_WIDTH_PX`` points and the
conversion needs nothing from the browser.
"""

from __future__ import annotations

import io

from pyhanko.pdf_utils.reader import PdfFileReader

from zhiyin.lib import pdfdoc

#: The preview's width in pixels: it fits a 360-px phone inside a card, and is shown at
#: its natural size so a tap's pixel maps to points without asking the browser.
PREVIEW_WIDTH_PX = 280
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


def preview_scale(pdf: bytes, page: int) -> float:
    """Preview pixels per PDF point on `page` (the image is `PREVIEW_WIDTH_PX` wide)."""
    width, _height = page_size(pdf, page)
    return PREVIEW_WIDTH_PX / width


def preview_size_px(pdf: bytes, page: int) -> tuple[int, int]:
    width, height = page_size(pdf, page)
    return PREVIEW_WIDTH_PX, round(height * PREVIEW_WIDTH_PX / width)


def click_to_position(pdf: bytes, page: int, x_px: int, y_px: int) -> pdfdoc.SealPosition:
    """Image pixels (origin top left) to PDF points (origin bottom left), kept on the page."""
    width, height = page_size(pdf, page)
    scale = preview_scale(pdf, page)
    x = min(max(x_px / scale, 0.0), width)
    y = min(max(height - y_px / scale, 0.0), height)
    return pdfdoc.SealPosition(page=page, x=x, y=y)


def position_to_click(pdf: bytes, position: pdfdoc.SealPosition) -> tuple[int, int]:
    """The inverse of `click_to_position`: where a seal centre shows on the preview."""
    _width, height = page_size(pdf, position.page)
    scale = preview_scale(pdf, position.page)
    return round(position.x * scale), round((height - position.y) * scale)


def seal_radius_px(pdf: bytes, page: int, diameter_mm: float) -> int:
    """The seal's true radius on the preview, so the outline shows its real size."""
    return max(1, round(diameter_mm * 72 / 25.4 / 2 * preview_scale(pdf, page)))
