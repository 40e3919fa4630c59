"""Checking and storing uploaded documents and attachments.

A file's type is decided by its first bytes, never by its name or the browser's claim:
a renamed .exe is refused. PDFs are parsed (pyHanko's reader) so a truncated or broken
file is refused now, not when a custodian tries to seal it. Files are stored through
Django's storage API under their SHA-256, so the same bytes are stored once and the
name itself proves the content.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _

from zhiyin.approvals.models import sha256_path
from zhiyin.orgs.errors import RuleViolation

PDF = "application/pdf"
PNG = "image/png"
JPEG = "image/jpeg"

_EXTENSIONS = {PDF: "pdf", PNG: "png", JPEG: "jpg"}
DEFAULT_MAX_BYTES = 20 * 1024 * 1024


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


def _check_image(data: bytes, name: str) -> None:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:
            image.verify()
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


def file_store(checked: CheckedFile, *, prefix: str) -> str:
    """Save the bytes under their hash (once) and return the storage name."""
    name = sha256_path(prefix, checked.sha256, checked.extension)
    if not default_storage.exists(name):
        saved = default_storage.save(name, ContentFile(checked.data))
        if saved != name:
            # Another worker stored the same bytes at the same moment; keep one copy.
            default_storage.delete(saved)
    return name


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
