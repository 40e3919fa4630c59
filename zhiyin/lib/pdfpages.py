"""PDF pages as PNG images, so a phone shows a document inline instead of handing it
to another app (Android downloads a PDF link and opens it elsewhere).

Rendering is done by poppler's ``pdftoppm`` (installed by ``scripts/system-deps.sh``),
run on a private temporary copy with a time limit; page sizes are read with pyHanko.
Nothing here knows who may see a document: callers serve the images through the same
scoped views as the document itself.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from pyhanko.pdf_utils.reader import PdfFileReader

from zhiyin.lib.messages import PersonFacingError, gettext_noop

A4_PT = (595.28, 841.89)
#: A document longer than this is shown inline only up to here (the file stays whole).
MAX_PAGES = 200
RENDER_TIMEOUT_S = 30


class PageError(PersonFacingError):
    """The page cannot be shown; the message is for the person asking."""


@dataclass(frozen=True)
class PageBox:
    """A page's width and height in PDF points (1/72 inch)."""

    width: float
    height: float

    def pixels(self, width_px: int) -> tuple[int, int]:
        """The size of the page's image when rendered `width_px` wide."""
        return width_px, max(1, round(self.height * width_px / self.width))


def _reader(pdf: bytes) -> PdfFileReader:
    return PdfFileReader(io.BytesIO(pdf), strict=False)


def page_boxes(pdf: bytes) -> list[PageBox]:
    """Each page's visible size (crop box, else media box; A4 where unreadable)."""
    try:
        reader = _reader(pdf)
        count = int(reader.root["/Pages"]["/Count"])
    except Exception as exc:  # any parse failure: not a PDF whose pages we can show
        raise PageError(gettext_noop("无法读取该 PDF 文件的页面。")) from exc
    boxes: list[PageBox] = []
    for index in range(min(count, MAX_PAGES)):
        try:
            page_ref, _resources = reader.find_page_for_modification(index)  # type: ignore[no-untyped-call]  # unannotated in pyHanko
            page = page_ref.get_object()
            box = page.get("/CropBox") or page.get("/MediaBox")
            left, bottom, right, top = (float(value) for value in box)
            width, height = abs(right - left), abs(top - bottom)
            rotate = int(page.get("/Rotate", 0)) % 180
            boxes.append(PageBox(height, width) if rotate else PageBox(width, height))
        except Exception:  # inherited or damaged boxes: the common paper size is the best guess
            boxes.append(PageBox(*A4_PT))
    return [b if b.width > 0 and b.height > 0 else PageBox(*A4_PT) for b in boxes]


def page_png(pdf: bytes, page: int, *, width_px: int) -> bytes:
    """Page `page` (0-based) as a PNG `width_px` wide, its height in proportion."""
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "doc.pdf"
        source.write_bytes(pdf)
        target = Path(folder) / "page"
        try:
            result = subprocess.run(  # noqa: S603  # fixed program, our own temporary files
                [
                    shutil.which("pdftoppm") or "pdftoppm",
                    "-f",
                    str(page + 1),
                    "-l",
                    str(page + 1),
                    "-scale-to-x",
                    str(width_px),
                    "-scale-to-y",
                    "-1",
                    "-png",
                    "-singlefile",
                    str(source),
                    str(target),
                ],
                capture_output=True,
                check=False,
                timeout=RENDER_TIMEOUT_S,
            )
        except subprocess.TimeoutExpired as exc:
            raise PageError(gettext_noop("页面太复杂，无法生成图片。")) from exc
        output = target.with_suffix(".png")
        if result.returncode != 0 or not output.exists():
            raise PageError(gettext_noop("无法生成页面图片。"))
        return output.read_bytes()
