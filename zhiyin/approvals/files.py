"""Checking and storing uploaded documents and attachments.

A file's type is decided by its first bytes, never by its name or the browser's claim:
a renamed .exe is refused. PDFs are parsed (pyHanko's reader) so a truncated or broken
file is refused now, not when a custodian tries to seal it. Files are stored through
Django's storage API under their SHA-256, so the same bytes are stored once and the
name itself proves the content.

Active content (scripts, launch and link actions, attached files, XFA forms: see
`zhiyin.lib.pdfactive`) is refused: a sealed document must show what was approved and do
nothing else. Images are measured from their header before anything is decoded, so a
small file that would expand to hundreds of megapixels is refused, not decoded.

Files are part of the transaction. A service that stores files runs in `files_atomic`:
when it fails, the files it newly wrote are removed again, so a refused request leaves
nothing on disk. Files are written under their final name before the commit (the same
transaction, and whoever it calls, may read them); a transaction that found the same
bytes already written by another one still running holds its own copy of the bytes and
writes them again on commit if the other one rolled back. Whatever a crash leaves behind
is removed by `uploads_sweep` once it is older than a day.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import hashlib
import io
import logging
from collections.abc import Iterator
from contextlib import ContextDecorator
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zhiyin.approvals.models import sha256_path
from zhiyin.core.errors import RuleViolation
from zhiyin.lib.pdfactive import ACTIVE_LABELS, PdfUnreadable, active_content_find

logger = logging.getLogger(__name__)

PDF = "application/pdf"
PNG = "image/png"
JPEG = "image/jpeg"

_EXTENSIONS = {PDF: "pdf", PNG: "png", JPEG: "jpg"}
DEFAULT_MAX_BYTES = 20 * 1024 * 1024
DEFAULT_MAX_IMAGE_PIXELS = 40_000_000


@dataclass(frozen=True)
class CheckedFile:
    """An upload that passed every check, with what the record needs to know of it."""

    data: bytes
    sha256: str
    content_type: str
    original_name: str

    @property
    def extension(self) -> str:
        return _EXTENSIONS[self.content_type]


def size_text(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):g} MB"
    return f"{size / 1024:g} KB"


def max_upload_bytes() -> int:
    return int(getattr(settings, "UPLOAD_MAX_BYTES", DEFAULT_MAX_BYTES))


def max_image_pixels() -> int:
    return int(getattr(settings, "UPLOAD_MAX_IMAGE_PIXELS", DEFAULT_MAX_IMAGE_PIXELS))


def sniff_content_type(data: bytes) -> str | None:
    """PDF, PNG or JPEG by magic bytes; None for anything else."""
    if data.startswith(b"%PDF-"):
        return PDF
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    return None


def _check_pdf(data: bytes, name: str) -> None:
    from pyhanko.pdf_utils.reader import PdfFileReader

    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        pages = int(reader.root["/Pages"]["/Count"])
    except Exception as exc:  # any parser failure means "not a usable PDF"
        raise RuleViolation(
            _("“%(name)s”不是完整有效的PDF文件（可能已损坏或未下载完整），请重新导出后上传。")
            % {"name": name}
        ) from exc
    if reader.encrypted:
        raise RuleViolation(
            _("“%(name)s”是加密的PDF文件，无法用印，请上传未加密的文件。") % {"name": name}
        )
    if pages < 1:
        raise RuleViolation(_("“%(name)s”没有页面。") % {"name": name})
    try:
        active = active_content_find(data)
    except PdfUnreadable as exc:
        raise RuleViolation(
            _("“%(name)s”不是完整有效的PDF文件（可能已损坏或未下载完整），请重新导出后上传。")
            % {"name": name}
        ) from exc
    if active:
        raise RuleViolation(
            _(
                "“%(name)s”含有%(kinds)s，盖章文件不能带有会自动运行、打开网址或附带其他文件的内容。"
                "请用“打印为PDF”重新生成不含这些内容的文件后上传。"
            )
            % {"name": name, "kinds": "、".join(_(ACTIVE_LABELS[k]) for k in active.kinds)}
        )


def _too_many_pixels(name: str, limit: int) -> RuleViolation:
    return RuleViolation(
        _("“%(name)s”的图片尺寸过大（超过 %(mp)s 百万像素），请缩小后再上传。")
        % {"name": name, "mp": f"{limit / 1_000_000:g}"}
    )


def _check_image(data: bytes, name: str) -> None:
    """Width × height from the header first; only then let Pillow look further."""
    from PIL import Image, UnidentifiedImageError

    limit = max_image_pixels()
    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
            if width * height > limit:
                raise _too_many_pixels(name, limit)
            image.verify()
    except Image.DecompressionBombError as exc:
        # Pillow's own guard fired while reading the header (far over any sane limit).
        raise _too_many_pixels(name, limit) from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise RuleViolation(
            _("“%(name)s”不是完整有效的图片文件，请重新拍摄或导出后上传。") % {"name": name}
        ) from exc


def upload_check(upload: UploadedFile, *, allow_images: bool = True) -> CheckedFile:
    """Read and check one upload; raise RuleViolation with a Chinese message otherwise."""
    name = (upload.name or "file")[-200:]
    limit = max_upload_bytes()
    if upload.size is not None and upload.size > limit:
        raise RuleViolation(
            _("“%(name)s”超过 %(limit)s 的大小限制。") % {"name": name, "limit": size_text(limit)}
        )
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise RuleViolation(
            _("“%(name)s”超过 %(limit)s 的大小限制。") % {"name": name, "limit": size_text(limit)}
        )
    if not data:
        raise RuleViolation(_("“%(name)s”是空文件。") % {"name": name})
    content_type = sniff_content_type(data)
    if content_type is None or (content_type != PDF and not allow_images):
        allowed = _("PDF、PNG 或 JPG") if allow_images else _("PDF")
        raise RuleViolation(
            _(
                "“%(name)s”的文件内容不是 %(allowed)s 格式，不能上传（按文件内容识别，改扩展名无效）。"
            )
            % {"name": name, "allowed": allowed}
        )
    if content_type == PDF:
        _check_pdf(data, name)
    else:
        _check_image(data, name)
    return CheckedFile(
        data=data,
        sha256=hashlib.sha256(data).hexdigest(),
        content_type=content_type,
        original_name=name,
    )


#: Names written by the innermost running `files_atomic` block (None outside one).
_written: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar(
    "zhiyin_files_written", default=None
)


class files_atomic(ContextDecorator):  # lower case: used like transaction.atomic
    """`transaction.atomic` for services that store files: on failure the files this
    block newly wrote are deleted; on success they pass to the enclosing block, if any."""

    def __init__(self) -> None:
        self._atomic = transaction.atomic()
        self._tokens: list[contextvars.Token[list[str] | None]] = []

    def _recreate_cm(self) -> files_atomic:
        # As a decorator, each call (in any thread) gets its own block.
        return files_atomic()

    def __enter__(self) -> None:
        self._tokens.append(_written.set([]))
        self._atomic.__enter__()

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        written = _written.get() or []
        try:
            self._atomic.__exit__(exc_type, exc, tb)
        except BaseException:
            _files_remove(written)
            raise
        finally:
            _written.reset(self._tokens.pop())
        if exc_type is not None:
            _files_remove(written)
            return
        outer = _written.get()
        if outer is not None:
            outer.extend(written)


def _files_remove(names: list[str]) -> None:
    for name in names:
        try:
            default_storage.delete(name)
        except OSError:
            logger.exception("could not remove %s after a rollback", name)


def _store_again_if_missing(name: str, data: bytes) -> None:
    """On commit: a twin transaction that wrote these bytes first may have rolled back
    and removed them; this transaction's rows point at them, so write them again."""
    if not default_storage.exists(name):
        default_storage.save(name, ContentFile(data))


def file_store(checked: CheckedFile, *, prefix: str) -> str:
    """Save the bytes under their hash (once) and return the storage name."""
    name = sha256_path(prefix, checked.sha256, checked.extension)
    if not default_storage.exists(name):
        saved = default_storage.save(name, ContentFile(checked.data))
        if saved != name:
            # Another worker stored the same bytes at the same moment; keep one copy.
            default_storage.delete(saved)
        else:
            written = _written.get()
            if written is not None:
                written.append(name)
    data = checked.data
    transaction.on_commit(lambda: _store_again_if_missing(name, data))
    return name


# --- the orphan sweep ------------------------------------------------------------------

#: storage folder → the models whose `file` field names files in it.
_UPLOAD_FOLDERS: dict[str, list[type[models.Model]]] = {}


def upload_folder_register(prefix: str, model: type[models.Model]) -> None:
    """Tell the sweep that `model.file` names the uploads kept under `prefix/`
    (each app registers its own folders in its AppConfig.ready)."""
    owners = _UPLOAD_FOLDERS.setdefault(prefix, [])
    if model not in owners:
        owners.append(model)


def _files_under(prefix: str) -> Iterator[str]:
    folders = [prefix]
    while folders:
        folder = folders.pop()
        try:
            subfolders, files = default_storage.listdir(folder)
        except (FileNotFoundError, NotADirectoryError):
            continue
        folders.extend(f"{folder}/{sub}" for sub in subfolders)
        yield from (f"{folder}/{name}" for name in files)


def uploads_sweep(*, older_than: dt.timedelta = dt.timedelta(days=1)) -> list[str]:
    """Remove stored uploads that no row names and that are older than `older_than`
    (a younger one may belong to a transaction still running). Returns what it removed."""
    cutoff = timezone.now() - older_than
    removed: list[str] = []
    for prefix, owners in _UPLOAD_FOLDERS.items():
        candidates = [
            name
            for name in _files_under(prefix)
            if default_storage.get_modified_time(name) < cutoff
        ]
        for start in range(0, len(candidates), 500):
            batch = candidates[start : start + 500]
            named: set[str] = set()
            for model in owners:
                named.update(
                    model._default_manager.filter(file__in=batch).values_list("file", flat=True)
                )
            for name in batch:
                if name not in named:
                    default_storage.delete(name)
                    removed.append(name)
    if removed:
        logger.info("uploads sweep removed %d orphan files", len(removed))
    return removed


def file_record_fields(checked: CheckedFile, *, prefix: str, by: Any) -> dict[str, Any]:
    """Store the bytes and return the fields every stored-file row shares (documents,
    attachments, residents' evidence): where, hash, size, type, name, uploader."""
    return {
        "file": file_store(checked, prefix=prefix),
        "sha256": checked.sha256,
        "size": len(checked.data),
        "content_type": checked.content_type,
        "original_name": checked.original_name,
        "uploaded_by": by,
    }
