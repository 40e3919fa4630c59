"""Handing out a delivered document: the one response both the signed link and the
bureau inbox send (the file as stored, its SHA-256 in a header)."""

from __future__ import annotations

from django.core.files.storage import default_storage
from django.http import FileResponse, Http404

from zhiyin.delivery.models import Delivery


def document_response(delivery: Delivery) -> FileResponse:
    """The delivery's stored PDF as an attachment; `Http404` when the file is gone."""
    try:
        handle = default_storage.open(delivery.document_path, "rb")
    except OSError as exc:
        raise Http404 from exc
    name = str(delivery.payload.get("_filename") or f"{delivery.webhook_id}.pdf")
    response = FileResponse(handle, as_attachment=True, filename=name)
    response["Content-Type"] = "application/pdf"
    response["X-Content-SHA256"] = delivery.document_sha256
    return response
