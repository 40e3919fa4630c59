"""Page images of stored PDFs, rendered once per document content and kept on disk.

Keyed by the file's SHA-256 (the same bytes always give the same pages, whichever
request or person asks), under ``MEDIA_ROOT/cache/pages/``. The cache holds no access
rule: every image is served by a view that first fetches the document through the
scoped selector its download uses, so an image is seen by exactly those who may open
the file. Files are written to a temporary name and renamed, so two workers rendering
the same page at once never serve half a PNG.

The cache is pruned (`page_images_prune`, run hourly by the worker): a document's images
go when nobody has looked at them for `PAGE_IMAGE_CACHE_MAX_AGE_DAYS`, and the least
recently looked-at go first while the whole cache is above `PAGE_IMAGE_CACHE_MAX_MB`. A
document's `pages.json` is read on every view of its pages, so its modification time is
moved forward (at most once an hour) to mark the document as in use. A pruned image is
simply rendered again when someone next opens it.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
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
#: A document's use mark (`pages.json`'s modification time) is moved at most this often.
USE_MARK_SECONDS = 3600
#: A temporary file older than this is left over from a process that died mid-write.
STALE_TEMPORARY_SECONDS = 3600

logger = logging.getLogger("zhiyin.pageimages")


def _root() -> Path:
    return Path(settings.MEDIA_ROOT) / "cache" / "pages"


def _folder(sha256: str) -> Path:
    if len(sha256) != 64 or not all(c in "0123456789abcdef" for c in sha256):
        raise ValueError("not a SHA-256 hex digest")
    return _root() / sha256[:2] / sha256


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


def _keep(path: Path, data: bytes) -> None:
    """Cache `data`; a failure (full disk, the folder pruned at this moment) only costs a
    render next time, so it is logged, not raised."""
    try:
        _write(path, data)
    except OSError as exc:
        logger.warning("page image cache: could not write %s: %s", path.name, exc)


def _mark_used(path: Path) -> None:
    try:
        if time.time() - path.stat().st_mtime > USE_MARK_SECONDS:
            os.utime(path)
    except OSError:
        pass


def pdf_page_boxes(*, sha256: str, read: Callable[[], bytes]) -> list[PageBox]:
    """The document's page sizes (at most `pdfpages.MAX_PAGES`); `read` is called only
    when they are not cached yet. Raises `RuleViolation` for a file that is no PDF."""
    path = _folder(sha256) / "pages.json"
    try:
        boxes = [PageBox(w, h) for w, h in json.loads(path.read_text())]
    except (OSError, ValueError, TypeError):
        pass
    else:
        _mark_used(path)
        return boxes
    try:
        boxes = pdfpages.page_boxes(read())
    except pdfpages.PageError as exc:
        raise RuleViolation.from_error(exc) from exc
    _keep(path, json.dumps([[b.width, b.height] for b in boxes]).encode())
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
    _keep(path, png)
    return png


@dataclass(frozen=True)
class PruneResult:
    documents: int  # documents whose images went
    freed_bytes: int
    kept_bytes: int


def _usage(folder: Path, now: float) -> tuple[float, int]:
    """(last use, bytes) of one document's folder; stale temporary files are removed."""
    last_used, size = 0.0, 0
    for entry in folder.iterdir():
        try:
            info = entry.stat()
        except OSError:
            continue
        if entry.name.startswith(".tmp-") and now - info.st_mtime > STALE_TEMPORARY_SECONDS:
            entry.unlink(missing_ok=True)
            continue
        last_used = max(last_used, info.st_mtime)
        size += info.st_size
    return last_used, size


def page_images_prune(
    *, max_age_seconds: float, max_bytes: int, now: float | None = None
) -> PruneResult:
    """Remove the page images of documents not looked at for `max_age_seconds`, then the
    least recently looked-at until the cache holds at most `max_bytes`; returns what went.
    Touches no database row: an image removed here is rendered again on its next view."""
    now = time.time() if now is None else now
    root = _root()
    if not root.is_dir():
        return PruneResult(0, 0, 0)
    folders: list[tuple[float, int, Path]] = []
    for prefix in root.iterdir():
        if not prefix.is_dir():
            continue
        for folder in prefix.iterdir():
            try:
                last_used, size = _usage(folder, now)
            except OSError:  # not a folder, or gone meanwhile
                continue
            folders.append((last_used, size, folder))
    folders.sort(key=lambda item: item[0])  # least recently used first
    total = sum(size for _last, size, _folder in folders)
    documents = freed = 0
    for last_used, size, folder in folders:
        if now - last_used <= max_age_seconds and total <= max_bytes:
            break
        shutil.rmtree(folder, ignore_errors=True)
        documents += 1
        freed += size
        total -= size
    for prefix in root.iterdir():
        with contextlib.suppress(OSError):
            prefix.rmdir()  # only when empty
    return PruneResult(documents=documents, freed_bytes=freed, kept_bytes=total)
