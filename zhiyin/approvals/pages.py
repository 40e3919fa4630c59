"""A request's documents as images on the request page, so an approver reads them on a
phone without leaving the app: a PDF page by page (rendered on the server, cached by the
file's SHA-256), a photo as itself. Both come through the scoped views that record who
viewed the document."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.urls import reverse

from zhiyin.approvals.models import RequestDocument
from zhiyin.core.errors import RuleViolation
from zhiyin.core.pageimages import READING_WIDTH_PX, pdf_page_boxes
from zhiyin.lib.pdfpages import PageBox


@dataclass(frozen=True)
class PageImage:
    number: int  # 1-based, as people count pages
    url: str
    width: int
    height: int


@dataclass
class ShownDocument:
    """How the request page shows one document: its page images, or the image file
    itself, or why it cannot be shown (the download link stays)."""

    document: RequestDocument
    pages: list[PageImage] = field(default_factory=list)
    image_url: str = ""
    problem: str = ""


def document_pages(document: RequestDocument) -> list[PageBox]:
    return pdf_page_boxes(sha256=document.sha256, read=document.read_bytes)


def documents_shown(documents: Iterable[RequestDocument]) -> list[ShownDocument]:
    """The current (not superseded) documents, ready to show inline."""
    shown: list[ShownDocument] = []
    for document in documents:
        if document.superseded_at is not None:
            continue
        item = ShownDocument(document=document)
        download = reverse("seal_request_document", args=[document.request_id, document.pk])
        if document.content_type.startswith("image/"):
            item.image_url = download
        elif document.content_type == "application/pdf":
            try:
                boxes = document_pages(document)
            except RuleViolation as exc:
                item.problem = exc.message
            else:
                for index, box in enumerate(boxes):
                    width, height = box.pixels(READING_WIDTH_PX)
                    url = reverse(
                        "seal_request_document_page",
                        args=[document.request_id, document.pk, index],
                    )
                    item.pages.append(PageImage(index + 1, url, width, height))
        shown.append(item)
    return shown
