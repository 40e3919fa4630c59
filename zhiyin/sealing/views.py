"""Sealing pages for custodians, downloads for the entitled, and the public verification
page. Thin: parse, authorize through selectors, call a service, render."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from zhiyin.accounts.decorators import fresh_second_factor_required
from zhiyin.approvals.models import RequestDocument, RequestStatus, SealRequest
from zhiyin.approvals.selectors import approved_for_custodian, seal_request_get_for
from zhiyin.audit.services import audit_record_standalone
from zhiyin.core.errors import RuleViolation
from zhiyin.core.pageimages import (
    READING_WIDTH_PX,
    THUMBNAIL_WIDTH_PX,
    pdf_page_boxes,
    pdf_page_png,
)
from zhiyin.orgs.auth import replica_view, request_access, request_person
from zhiyin.orgs.models import Role
from zhiyin.orgs.selectors import Access
from zhiyin.sealing import preview
from zhiyin.sealing.forms import SealingForm, VerifyNumberForm, VerifyUploadForm
from zhiyin.sealing.models import SealedDocument
from zhiyin.sealing.selectors import (
    sealable_documents,
    sealed_document_by_code,
    sealed_document_get_for,
    sealed_documents_for,
    sealing_confirmations_of,
)
from zhiyin.sealing.services import (
    DocumentMismatch,
    document_seal,
    seal_position_default,
    sealing_refusal,
)
from zhiyin.sealing.verification import (
    Verdict,
    VerdictStatus,
    document_verify_bytes,
    document_verify_code,
    document_verify_number,
)
from zhiyin.seals.selectors import seals_to_sign_with


def _custodian_request(access: Access, pk: int) -> SealRequest:
    """The request, if in scope (else 404) and the person is a custodian there (else 403)."""
    seal_request = seal_request_get_for(access=access, pk=pk)
    if not any(
        g.role == Role.CUSTODIAN and g.village_id == seal_request.village_id and not g.group_id
        for g in access.grants
    ):
        raise PermissionDenied(_("只有本村的印章管理员可以盖章。"))
    return seal_request


def _document_and_page(
    seal_request: SealRequest, documents: list[RequestDocument], data: dict[str, str]
) -> tuple[RequestDocument | None, int]:
    chosen = documents[0] if documents else None
    raw_document = data.get("document", "")
    if raw_document.isdigit():
        chosen = next((d for d in documents if d.pk == int(raw_document)), chosen)
    raw_page = data.get("page", "")
    page = int(raw_page) if raw_page.isdigit() else -1
    return chosen, page


@login_required
def sealing_index(request: HttpRequest) -> HttpResponse:
    access = request_access(request)
    return render(
        request,
        "sealing/index.html",
        {
            "waiting": approved_for_custodian(access=access),
            "sealed": sealed_documents_for(access=access)[:50],
        },
    )


def _int_param(data: dict[str, str], *names: str) -> int | None:
    for name in names:
        raw = data.get(name, "")
        if raw.isdigit() and len(raw) < 7:
            return int(raw)
    return None


@login_required
@fresh_second_factor_required
@require_http_methods(["GET", "POST"])
def request_seal(request: HttpRequest, pk: int) -> HttpResponse:
    """The custodian's sealing page. The seal's outline (its true size) starts at the
    default place; a tap on the page preview moves it there (a GET that changes nothing;
    the page's script moves it in place and lets it be dragged), and only
    "确认在此盖章" (a POST with the outline's place) seals."""
    person = request_person(request)
    access = request_access(request)
    seal_request = _custodian_request(access, pk)
    documents = sealable_documents(seal_request)
    data = request.POST if request.method == "POST" else request.GET
    document, page = _document_and_page(seal_request, documents, data.dict())
    pdf = document.read_bytes() if document is not None else b""
    pages = preview.page_count(pdf) if document is not None else 0
    size_mm = float(seal_request.seal.diameter_mm)
    default = None
    if document is not None:
        default = seal_position_default(pdf=pdf, size_mm=size_mm)
    if page < 0 or page >= pages:
        page = default.page if default is not None else 0
    seals = seals_to_sign_with(village_id=seal_request.village_id)
    form = SealingForm(
        request.POST if request.method == "POST" else None,
        seals=seals,
        initial={"seals": [seal_request.seal_id], "document": document.pk if document else None},
    )
    at_x = _int_param(data.dict(), "at_x", "at.x")
    at_y = _int_param(data.dict(), "at_y", "at.y")
    placed = at_x is not None and at_y is not None and document is not None
    if request.method == "POST" and form.is_valid():
        refusal = sealing_refusal(request=seal_request, by=person)
        try:
            if refusal:
                raise RuleViolation(refusal)
            if at_x is None or at_y is None or document is None:
                raise RuleViolation(_("请先在页面上点选盖章位置，再确认盖章。"))
            position = preview.click_to_position(pdf, page, at_x, at_y)
            outcome = document_seal(
                request=seal_request,
                seals=list(form.cleaned_data["seals"]),
                by=person,
                position=position,
            )
        except DocumentMismatch as exc:
            audit_record_standalone(
                actor=person,
                action="sealing.document_mismatch",
                target=seal_request,
                role=Role.CUSTODIAN,
                scope=seal_request.village.name,
            )
            messages.error(request, exc.message)
        except RuleViolation as exc:
            messages.error(request, exc.message)
        else:
            if outcome.sealed:
                messages.success(request, _("已盖章，申请已办结。"))
            else:
                messages.success(
                    request,
                    _("已确认（%(done)d/%(needed)d），等待另一位印章管理员确认后盖章。")
                    % {"done": outcome.confirmations, "needed": outcome.needed},
                )
            return redirect("sealing_request", pk=seal_request.pk)
    width, height = preview.preview_size_px(pdf, page) if document is not None else (0, 0)
    outline: tuple[int, int] | None = None
    if document is not None:
        if placed and at_x is not None and at_y is not None:
            outline = (min(max(at_x, 0), width), min(max(at_y, 0), height))
        elif default is not None and default.page == page:
            outline = preview.position_to_click(pdf, default)
    sealed = list(sealed_documents_for(access=access).filter(request=seal_request))
    refusal = sealing_refusal(request=seal_request, by=person)
    if sealed and seal_request.status == RequestStatus.COMPLETED:
        refusal = None  # the sealed pages below say it; no red line under the green one
    return render(
        request,
        "sealing/request_seal.html",
        {
            "r": seal_request,
            "form": form,
            "refusal": refusal,
            "completed": seal_request.status == RequestStatus.COMPLETED,
            "documents": documents,
            "document": document,
            "page": page,
            "page_numbers": range(pages),
            "preview_width": width,
            "preview_height": height,
            "outline": outline,
            "outline_moved": placed,
            "seal_radius": preview.seal_radius_px(pdf, page, size_mm) if document else 0,
            "confirmations": sealing_confirmations_of(request_id=seal_request.pk),
            "sealed": [(d, _sealed_pages(d)) for d in sealed],
        },
    )


def _sealed_pages(document: SealedDocument) -> list[tuple[int, str, int, int]]:
    """(number, url, width, height) of each page of a sealed document, to show inline."""
    try:
        boxes = pdf_page_boxes(sha256=document.sha256, read=document.read_bytes)
    except (RuleViolation, OSError):
        return []
    return [
        (
            index + 1,
            reverse("sealed_document_page", args=[document.pk, index]),
            *box.pixels(READING_WIDTH_PX),
        )
        for index, box in enumerate(boxes)
    ]


@login_required
def page_preview(request: HttpRequest, pk: int, document_pk: int, page: int) -> HttpResponse:
    access = request_access(request)
    seal_request = _custodian_request(access, pk)
    document = next((d for d in sealable_documents(seal_request) if d.pk == document_pk), None)
    if document is None:
        raise Http404
    return _png(document.sha256, document.read_bytes, page, preview.PREVIEW_WIDTH_PX)


@login_required
def sealed_document_page(request: HttpRequest, pk: int, page: int) -> HttpResponse:
    """A page of a sealed document as an image, for exactly those entitled to a copy."""
    document = sealed_document_get_for(access=request_access(request), pk=pk)
    return _png(document.sha256, document.read_bytes, page, READING_WIDTH_PX)


def _png(sha256: str, read: Callable[[], bytes], page: int, width: int) -> HttpResponse:
    try:
        png = pdf_page_png(sha256=sha256, read=read, page=page, width_px=width)
    except RuleViolation as exc:
        raise Http404(exc.message) from exc
    response = HttpResponse(png, content_type="image/png")
    response["Cache-Control"] = "private, max-age=600"
    return response


@login_required
def sealed_document_download(request: HttpRequest, pk: int) -> FileResponse:
    person = request_person(request)
    document = sealed_document_get_for(access=request_access(request), pk=pk)
    audit_record_standalone(
        actor=person,
        action="sealed_document.download",
        target=document,
        after={"number": document.number, "sha256": document.sha256},
        scope=document.request.village.name,
    )
    return FileResponse(
        document.file.open("rb"),
        as_attachment=True,
        filename=f"{document.number}.pdf",
        content_type="application/pdf",
    )


def _verdict_page(
    request: HttpRequest,
    verdict: Verdict | None,
    *,
    number: str = "",
    status: int = 200,
    upload_form: VerifyUploadForm | None = None,
    number_form: VerifyNumberForm | None = None,
) -> HttpResponse:
    return render(
        request,
        "sealing/verify.html",
        {
            "verdict": verdict,
            "number": number,
            "number_form": number_form or VerifyNumberForm(initial={"number": number}),
            "upload_form": upload_form or VerifyUploadForm(),
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
@replica_view
def verify(request: HttpRequest) -> HttpResponse:
    """Public: look a number up, or upload a file to check it."""
    if request.method == "GET":
        if "number" in request.GET:
            number_form = VerifyNumberForm(request.GET)
            if number_form.is_valid():
                return redirect("verify_number", number=number_form.cleaned_data["number"])
            return _verdict_page(request, None, status=400, number_form=number_form)
        return _verdict_page(request, None)
    return _upload_verdict(request, number="")


@require_http_methods(["GET", "POST"])
@replica_view
def verify_number(request: HttpRequest, number: str) -> HttpResponse:
    """Public: the QR code's target. A POSTed file is checked against this number."""
    if request.method == "POST":
        return _upload_verdict(request, number=number)
    verdict = document_verify_number(number=number)
    status = 404 if verdict.document is None and verdict.status == VerdictStatus.UNKNOWN else 200
    return _verdict_page(request, verdict, number=number, status=status)


@require_http_methods(["GET"])
@replica_view
def verify_code(request: HttpRequest, code: str) -> HttpResponse:
    """Public: the QR code's target, keyed by the document's secret code."""
    verdict = document_verify_code(code=code)
    if verdict is None:
        unknown = Verdict(
            status=VerdictStatus.UNKNOWN,
            headline=_("这个验真地址无效，请重新扫描文件上的二维码，或上传文件核验。"),
        )
        return _verdict_page(request, unknown, status=404)
    number = verdict.document.number if verdict.document is not None else ""
    return _verdict_page(request, verdict, number=number)


@require_http_methods(["GET"])
@replica_view
def verify_code_thumbnail(request: HttpRequest, code: str) -> HttpResponse:
    """Public: a small picture of page 1, for whoever holds the QR code's secret (or,
    through the upload verdict, the file itself) to compare with the paper."""
    document = sealed_document_by_code(code=code)
    if document is None:
        raise Http404
    return _png(document.sha256, document.read_bytes, 0, THUMBNAIL_WIDTH_PX)


def _upload_verdict(request: HttpRequest, *, number: str) -> HttpResponse:
    form = VerifyUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _verdict_page(request, None, number=number, status=400, upload_form=form)
    verdict = document_verify_bytes(pdf=form.cleaned_data["file"].read())
    if number and verdict.ok and verdict.document is not None and verdict.document.number != number:
        verdict = Verdict(
            status=VerdictStatus.UNKNOWN,
            headline=_("上传的文件是编号 %(other)s 的盖章文件，不是编号 %(number)s 的文件。")
            % {"other": verdict.document.number, "number": number},
            seals=verdict.seals,
        )
    return _verdict_page(request, verdict, number=number)
