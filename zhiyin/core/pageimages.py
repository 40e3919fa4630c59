"""Page images of stored PDFs, rendered once per document content and kept on disk.

Keyed by the file's SHA-256 (the same bytes always give the same pages, whichever
request or person asks), under ``MEDIA_ROOT/cache/pages/``. The cache holds no access
rule: every image is served by a view that first fetches the document through the
scoped selector its download uses, so an image is seen by exactly those who may open
the file. Files are written to a temporary name and renamed, so two workers rendering
the same page at once never serve half a PNG.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext

from zhiyin.core.errors import RuleViolation
from zhiyin.lib import pdfpages
from zhiyin.lib.pdfpages import PageBox

#: Width of a page image for reading on a phone (A4 at about 87 dpi): sharp on a
#: 360-px screen at device-pixel-ratio 2, and a tap opens it alone for zooming.
READING_WIDTH_PX = 720
#: Width of a thumbnail (the verification page's picture of page 1).
THUMBNAIL_WIDTH_PX = 240


def _folder(sha256: str) -> Path:
    if len(sha256) != 64 or not all(c in "0123456789abcdef" for c in sha256):
        raise ValueError("not a SHA-256 hex digest")
    return Path(settings.MEDIA_ROOT) / "cache" / "pages" / sha256[:2] / sha256


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def pdf_page_boxes(*, sha256: str, read: Callable[[], bytes]) -> list[PageBox]:
    """The document's page sizes (at most `pdfpages.MAX_PAGES`); `read` is called only
    when they are not cached yet. Raises `RuleViolation` for a file that is no PDF."""
    path = _folder(sha256) / "pages.json"
    try:
        return [PageBox(w, h) for w, h in json.loads(path.read_text())]
    except (OSError, ValueError, TypeError):
        pass
    try:
        boxes = pdfpages.page_boxes(read())
    except pdfpages.PageError as exc:
        raise RuleViolation.from_error(exc) from exc
    _write(path, json.dumps([[b.width, b.height] for b in boxes]).encode())
    return boxes


def pdf_page_png(*, sha256: str, read: Callable[[], bytes], page: int, width_px: int) -> bytes:
    """Page `page` (0-based) as a PNG `width_px` wide, rendered at most once per content.
    Raises `RuleViolation` for a page the document does not have or cannot show."""
    boxes = pdf_page_boxes(sha256=sha256, read=read)
    if not 0 <= page < len(boxes):
        raise RuleViolation(gettext("第%(n)d页不存在。") % {"n": page + 1})
    path = _folder(sha256) / f"{width_px}-{page}.png"
    try:
        return path.read_bytes()
    except OSError:
        pass
    try:
        png = pdfpages.page_png(read(), page, width_px=width_px)
    except pdfpages.PageError as exc:
        raise RuleViolation.from_error(exc) from exc
    _write(path, png)
    return png
