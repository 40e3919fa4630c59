"""JSON verification for machines (a bureau's intake system, a reader plug-in).

Public like the page: the same verdict, the same fields, nothing beyond what is printed
on the document.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import File, Router, Schema
from ninja.errors import HttpError
from ninja.files import UploadedFile

from zhiyin.sealing.verification import (
    Verdict,
    VerdictStatus,
    document_verify_bytes,
    document_verify_code,
    document_verify_number,
)

router = Router(tags=["verification"])


class SealOut(Schema):
    organization: str
    signed_at: str | None
    ok: bool
    problems: list[str]


class DocumentOut(Schema):
    number: str
    organization: str
    matter: str
    sealed_at: str


class VerdictOut(Schema):
    ok: bool
    status: str
    headline: str
    reasons: list[str]
    document: DocumentOut | None
    seals: list[SealOut]


def _out(verdict: Verdict) -> VerdictOut:
    document = verdict.document
    return VerdictOut(
        ok=verdict.ok,
        status=verdict.status,
        headline=verdict.headline,
        reasons=list(verdict.reasons),
        document=DocumentOut(
            number=document.number,
            organization=document.organization_name,
            matter=document.matter_name,
            sealed_at=document.sealed_at.isoformat(),
        )
        if document is not None
        else None,
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


@router.get("/{number}", response=VerdictOut, auth=None)
def verify_number(request: HttpRequest, number: str) -> VerdictOut:
    """Whether a sealed document has this number (details only by code or by file)."""
    return _out(document_verify_number(number=number))


@router.get("/code/{code}", response={200: VerdictOut, 404: VerdictOut}, auth=None)
def verify_code(request: HttpRequest, code: str) -> tuple[int, VerdictOut]:
    """The verdict for the QR code's secret code: the document's details and checks."""
    verdict = document_verify_code(code=code)
    if verdict is None:
        return 404, _out(Verdict(status=VerdictStatus.UNKNOWN, headline=_("这个验真地址无效。")))
    return 200, _out(verdict)


@router.post("/", response=VerdictOut, auth=None)
def verify_file(
    request: HttpRequest,
    file: UploadedFile = File(...),  # type: ignore[type-arg]  # noqa: B008  # ninja's declaration style
) -> VerdictOut:
    """The verdict for an uploaded PDF."""
    if file.size is not None and file.size > settings.UPLOAD_MAX_BYTES:
        raise HttpError(413, "文件太大。")
    return _out(document_verify_bytes(pdf=file.read()))
