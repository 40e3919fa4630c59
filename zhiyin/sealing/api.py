"""JSON verification for machines (a bureau's intake system, a reader plug-in).

Public like the page: the same verdict, the same fields, nothing beyond what is printed
on the document.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Field, File, Router, Schema, Status
from ninja.files import UploadedFile

from zhiyin.core.api import ApiError, ErrorOut, OneOf, answers
from zhiyin.core.replica import replica_reads
from zhiyin.sealing.verification import (
    Verdict,
    VerdictStatus,
    document_verify_bytes,
    document_verify_code,
    document_verify_number,
)

router = Router(tags=["verification"])


class SealOut(Schema):
    """One signature (seal) found in the file, with what is wrong with it."""

    organization: str
    signed_at: str | None
    ok: bool
    problems: list[str]


class VerifiedDocumentOut(Schema):
    """The sealed document as registered: what the printed number and code stand for."""

    number: str
    organization: str
    matter: str
    sealed_at: str


class PaperOut(Schema):
    """What the paper should say, to compare line by line with the one in hand (the
    verification page's 纸面上应印有). Only for a genuine document asked about by its QR
    code or by the file; a number typed by hand learns only that it exists."""

    organization: str = Field(description="盖章单位 (the sealing organization)")
    matter: str = Field(description="事项 (the matter)")
    number: str = Field(description="文件编号 (the document number)")
    date: dt.date = Field(description="盖章日期, the local date of sealing")
    thumbnail_url: str | None = Field(description="A picture of page 1 (PNG)")


class VerdictOut(Schema):
    """The verification verdict; `status` is the machine word, `headline` the sentence."""

    ok: bool
    status: Annotated[str, OneOf(VerdictStatus)]
    headline: str
    reasons: list[str]
    document: VerifiedDocumentOut | None
    paper: PaperOut | None
    seals: list[SealOut]


def _paper_out(request: HttpRequest, verdict: Verdict) -> PaperOut | None:
    paper, document = verdict.paper, verdict.document
    if paper is None:
        return None
    thumbnail = None
    if verdict.thumbnail and document is not None and document.verify_code:
        thumbnail = request.build_absolute_uri(
            reverse("verify_code_thumbnail", args=[document.verify_code])
        )
    return PaperOut(
        organization=paper.organization,
        matter=paper.matter,
        number=paper.number,
        date=paper.date,
        thumbnail_url=thumbnail,
    )


def _out(request: HttpRequest, verdict: Verdict) -> VerdictOut:
    document = verdict.document
    return VerdictOut(
        ok=verdict.ok,
        status=verdict.status,
        headline=verdict.headline,
        reasons=list(verdict.reasons),
        document=VerifiedDocumentOut(
            number=document.number,
            organization=document.organization_name,
            matter=document.matter_name,
            sealed_at=document.sealed_at.isoformat(),
        )
        if document is not None
        else None,
        paper=_paper_out(request, verdict),
        seals=[
            SealOut(
                organization=seal.organization,
                signed_at=seal.signed_at.isoformat() if seal.signed_at else None,
                ok=seal.ok,
                problems=list(seal.problems),
            )
            for seal in verdict.seals
        ],
    )


@router.get("/{number}", response=answers({200: VerdictOut}, 422), auth=None)
def verify_number(request: HttpRequest, number: str) -> VerdictOut:
    """Whether a sealed document has this number (details only by code or by file)."""
    with replica_reads():  # a public look-up may be a moment stale
        return _out(request, document_verify_number(number=number))


@router.get("/code/{code}", response={200: VerdictOut, 404: VerdictOut, 422: ErrorOut}, auth=None)
def verify_code(request: HttpRequest, code: str) -> Status[VerdictOut]:
    """The verdict for the QR code's secret code: the document's details and checks."""
    with replica_reads():  # a public look-up may be a moment stale
        verdict = document_verify_code(code=code)
    if verdict is None:
        return Status(
            404,
            _out(request, Verdict(status=VerdictStatus.UNKNOWN, headline=_("这个验真地址无效。"))),
        )
    return Status(200, _out(request, verdict))


@router.post("/", response=answers({200: VerdictOut}, 400, 413, 422), auth=None)
def verify_file(
    request: HttpRequest,
    file: UploadedFile = File(...),  # type: ignore[type-arg]  # noqa: B008  # ninja's declaration style
) -> VerdictOut:
    """The verdict for an uploaded PDF."""
    if file.size is not None and file.size > settings.UPLOAD_MAX_BYTES:
        raise ApiError(413, "too_large", _("文件太大。"))
    return _out(request, document_verify_bytes(pdf=file.read()))
