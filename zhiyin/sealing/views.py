"""Sealing pages for custodians, downloads for the entitled, and the public verification
page. Thin: parse, authorize through selectors, call a service, render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from zhiyin.accounts.decorators import fresh_second_factor_required
from zhiyin.approvals.models import RequestDocument, SealRequest
from zhiyin.approvals.selectors import approved_for_custodian, seal_request_get_for
from zhiyin.audit.services import audit_record_standalone
from zhiyin.core.errors import RuleViolation
from zhiyin.lib import pdfdoc
from zhiyin.orgs.auth import replica_view, request_access, request_person
from zhiyin.orgs.models import Role
from zhiyin.orgs.selectors import Access
from zhiyin.sealing import preview
from zhiyin.sealing.forms import SealingForm, VerifyNumberForm, VerifyUploadForm
from zhiyin.sealing.selectors import (
    sealable_documents,
    sealed_document_get_for,
    sealed_documents_for,
    sealing_confirmations_of,
)
from zhiyin.sealing.services import DocumentMismatch, document_seal, sealing_refusal
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


@login_required
@fresh_second_factor_required
@require_http_methods(["GET", "POST"])
def request_seal(request: HttpRequest, pk: int) -> HttpResponse:
    """The custodian's sealing page: pick seals, click the place on the page preview (or
    keep the default place) and seal."""
    person = request_person(request)
    access = request_access(request)
    seal_request = _custodian_request(access, pk)
    documents = sealable_documents(seal_request)
    data = request.POST if request.method == "POST" else request.GET
    document, page = _document_and_page(seal_request, documents, data.dict())
    pdf = document.read_bytes() if document is not None else b""
    pages = preview.page_count(pdf) if document is not None else 0
    if page < 0 or page >= pages:
        default = pdfdoc.seal_position_read(pdf) if pdf else None
        page = default.page if default is not None else max(pages - 1, 0)
    seals = seals_to_sign_with(village_id=seal_request.village_id)
    form = SealingForm(
        request.POST if request.method == "POST" else None,
        seals=seals,
        initial={"seals": [seal_request.seal_id], "document": document.pk if document else None},
    )
    if request.method == "POST" and form.is_valid():
        position = None
        if "at.x" in request.POST and document is not None:
            try:
                position = preview.click_to_position(
                    pdf, page, int(request.POST["at.x"]), int(request.POST.get("at.y", "0"))
                )
            except ValueError:
                position = None
        try:
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
    return render(
        request,
        "sealing/request_seal.html",
        {
            "r": seal_request,
            "form": form,
            "refusal": sealing_refusal(request=seal_request, by=person),
            "documents": documents,
            "document": document,
            "page": page,
            "page_numbers": range(pages),
            "preview_width": width,
            "preview_height": height,
            "confirmations": sealing_confirmations_of(request_id=seal_request.pk),
            "sealed": sealed_documents_for(access=access).filter(request=seal_request),
        },
    )


@login_required
def page_preview(request: HttpRequest, pk: int, document_pk: int, page: int) -> HttpResponse:
    access = request_access(request)
    seal_request = _custodian_request(access, pk)
    document = next((d for d in sealable_documents(seal_request) if d.pk == document_pk), None)
    if document is None:
        raise Http404
    try:
        png = preview.page_png(document.read_bytes(), document.sha256, page)
    except preview.PreviewError as exc:
        raise Http404(str(exc)) from exc
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
