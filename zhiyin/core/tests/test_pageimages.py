"""The page-image cache is kept bounded: documents not looked at for the set age go, the
least recently looked-at go first above the set size, a view marks a document as in use,
and the worker does it every hour."""

from __future__ import annotations

import hashlib
import io
import os
import time
from pathlib import Path
from typing import Any

import pytest

from zhiyin.core import pageimages
from zhiyin.core.pageimages import page_images_prune, pdf_page_boxes, pdf_page_png

DAY = 86400.0


def _pdf(text: str) -> bytes:
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, invariant=1)  # the same bytes every time
    page.drawString(72, 760, text)
    page.showPage()
    page.save()
    return buffer.getvalue()


def _cached(text: str, *, days_ago: float) -> tuple[str, Path]:
    """A document with page 1 rendered into the cache, last looked at `days_ago`."""
    data = _pdf(text)
    sha = hashlib.sha256(data).hexdigest()
    assert pdf_page_png(sha256=sha, read=lambda: data, page=0, width_px=120).startswith(b"\x89PNG")
    folder = pageimages._folder(sha)
    moment = time.time() - days_ago * DAY
    for entry in folder.iterdir():
        os.utime(entry, (moment, moment))
    return sha, folder


def _size(folder: Path) -> int:
    return sum(entry.stat().st_size for entry in folder.iterdir())


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")


def test_images_not_looked_at_for_the_set_age_go() -> None:
    _old_sha, old = _cached("old", days_ago=40)
    _recent_sha, recent = _cached("recent", days_ago=2)
    stale = recent / ".tmp-left-by-a-dead-process"
    stale.write_bytes(b"half a png")
    os.utime(stale, (time.time() - 2 * 3600,) * 2)

    result = page_images_prune(max_age_seconds=30 * DAY, max_bytes=10**9)

    assert result.documents == 1 and result.freed_bytes > 0
    assert not old.exists() and recent.exists()
    assert not stale.exists()
    assert result.kept_bytes == _size(recent)
    # Nothing more to do the second time (another worker's run finds nothing left).
    assert page_images_prune(max_age_seconds=30 * DAY, max_bytes=10**9).documents == 0


def test_above_the_size_bound_the_least_recently_looked_at_go_first() -> None:
    _a, oldest = _cached("a", days_ago=3)
    _b, middle = _cached("b", days_ago=2)
    _c, newest = _cached("c", days_ago=1)
    bound = _size(middle) + _size(newest)

    result = page_images_prune(max_age_seconds=30 * DAY, max_bytes=bound)

    assert result.documents == 1 and result.kept_bytes <= bound
    assert not oldest.exists() and middle.exists() and newest.exists()
    page_images_prune(max_age_seconds=30 * DAY, max_bytes=_size(newest))
    assert not middle.exists() and newest.exists()
    page_images_prune(max_age_seconds=30 * DAY, max_bytes=0)
    assert list(pageimages._root().iterdir()) == []  # the empty prefix folders go too


def test_a_view_marks_the_document_in_use_and_a_pruned_one_renders_again() -> None:
    data = _pdf("in use")
    sha, folder = _cached("in use", days_ago=40)
    assert hashlib.sha256(data).hexdigest() == sha

    def unread() -> bytes:
        raise AssertionError("a cached document is not read again")

    assert len(pdf_page_boxes(sha256=sha, read=unread)) == 1  # someone opens the request
    assert time.time() - (folder / "pages.json").stat().st_mtime < 60
    assert page_images_prune(max_age_seconds=30 * DAY, max_bytes=10**9).documents == 0
    assert folder.exists()

    page_images_prune(max_age_seconds=30 * DAY, max_bytes=0)
    assert not folder.exists()
    png = pdf_page_png(sha256=sha, read=lambda: data, page=0, width_px=120)
    assert png.startswith(b"\x89PNG") and (folder / "120-0.png").exists()


def test_no_cache_yet_is_nothing_to_prune() -> None:
    assert page_images_prune(max_age_seconds=DAY, max_bytes=0).documents == 0


@pytest.mark.django_db(transaction=True)
def test_the_worker_prunes_the_cache_as_an_hourly_duty(settings: Any) -> None:
    from zhiyin.worker.duties import PrunePageImages
    from zhiyin.worker.loop import Worker

    settings.PAGE_IMAGE_CACHE_MAX_AGE_DAYS = 7
    settings.PAGE_IMAGE_CACHE_MAX_MB = 1024
    _old, old = _cached("old", days_ago=8)
    _recent, recent = _cached("recent", days_ago=6)
    assert "zhiyin.worker.duties.prune_page_images" in settings.WORKER_DUTIES
    assert PrunePageImages.every == 3600.0
    Worker().run(once=True)  # the duties from settings, this one among them
    assert not old.exists() and recent.exists()
