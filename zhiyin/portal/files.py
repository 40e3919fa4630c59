"""Evidence from a phone: checked by content (approvals' checker), big photos made small.

A phone photo is often 4–8 MB; the bureau needs to read it, not print it. Photos whose
longer side exceeds `PHOTO_MAX_SIDE` pixels are turned upright (EXIF), scaled down and
saved as JPEG, so evidence travels well over a rural connection.
"""

from __future__ import annotations

import hashlib
import io

from django.core.files.uploadedfile import UploadedFile

from zhiyin.approvals.files import JPEG, PDF, CheckedFile, upload_check

PHOTO_MAX_SIDE = 1600
PHOTO_QUALITY = 82

__all__ = ["EVIDENCE_PREFIX", "PDF", "CheckedFile", "evidence_check"]


def _downscaled(checked: CheckedFile) -> CheckedFile:
    from PIL import Image, ImageOps

    with Image.open(io.BytesIO(checked.data)) as image:
        if max(image.size) <= PHOTO_MAX_SIDE and len(checked.data) <= 1024 * 1024:
            return checked
        upright = ImageOps.exif_transpose(image) or image
        picture = upright.convert("RGB")
        picture.thumbnail((PHOTO_MAX_SIDE, PHOTO_MAX_SIDE))
        buffer = io.BytesIO()
        picture.save(buffer, format="JPEG", quality=PHOTO_QUALITY, optimize=True)
    data = buffer.getvalue()
    stem = checked.original_name.rsplit(".", 1)[0]
    return CheckedFile(
        data=data,
        sha256=hashlib.sha256(data).hexdigest(),
        content_type=JPEG,
        original_name=f"{stem}.jpg"[-200:],
    )


def evidence_check(upload: UploadedFile) -> CheckedFile:
    """PDF, PNG or JPEG by content and size (RuleViolation otherwise); photos downscaled."""
    checked = upload_check(upload)
    if checked.content_type != PDF:
        checked = _downscaled(checked)
    return checked


#: Storage folder of residents' evidence, beside the requests' documents and attachments.
EVIDENCE_PREFIX = "portal-evidence"
