"""The seals registry pages: a scoped list, one seal with its history, status changes."""

from __future__ import annotations

from cryptography.hazmat.primitives import serialization
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from zhiyin.core.errors import RuleViolation
from zhiyin.lib.stamp import StampError
from zhiyin.orgs.auth import request_access, request_person
from zhiyin.orgs.selectors import villages_for
from zhiyin.seals.forms import SealStatusForm
from zhiyin.seals.keys import certificate_load
from zhiyin.seals.models import SealKind, SealStatus
from zhiyin.seals.selectors import (
    district_ca_for,
    electronic_seal_active,
    electronic_seals_of,
    seal_get_for,
    seal_history,
    seals_for,
)
from zhiyin.seals.services import (
    district_crl_current,
    electronic_seal_issue,
    seal_reinstate,
    seal_retire,
    seal_stamp_png,
    seal_suspend,
)


@login_required
def seal_list(request: HttpRequest) -> HttpResponse:
    """The register, 30 seals a page, filtered by village, kind, status or a word."""
    access = request_access(request)
    seals = (
        seals_for(access=access).select_related("village").order_by("village__code", "kind", "code")
    )
    villages = villages_for(access=access).order_by("code")
    village = request.GET.get("village", "")
    kind = request.GET.get("kind", "")
    status = request.GET.get("status", "")
    query = request.GET.get("q", "").strip()[:50]
    if village.isdigit() and len(village) <= 9:  # beyond that no id exists (nor fits SQLite)
        seals = seals.filter(village_id=int(village))
    if kind in SealKind.values:
        seals = seals.filter(kind=kind)
    if status in SealStatus.values:
        seals = seals.filter(status=status)
    if query:
        seals = seals.filter(Q(name__contains=query) | Q(code__icontains=query))
    page = Paginator(seals, 30).get_page(request.GET.get("page"))
    kept = request.GET.copy()
    kept.pop("page", None)
    return render(
        request,
        "seals/seal_list.html",
        {
            "seals": page,
            "page": page,
            "query_string": kept.urlencode(),
            "villages": villages if villages.count() > 1 else [],
            "kinds": SealKind.choices,
            "statuses": SealStatus.choices,
            "chosen": {"village": village, "kind": kind, "status": status, "q": query},
        },
    )


@login_required
def seal_detail(request: HttpRequest, pk: int) -> HttpResponse:
    access = request_access(request)
    seal = seal_get_for(access=access, pk=pk)
    return render(
        request,
        "seals/seal_detail.html",
        {
            "seal": seal,
            "history": seal_history(seal=seal),
            "can_manage": access.administers(seal.village),
            "form": SealStatusForm(),
            "electronic_seal": electronic_seal_active(seal=seal),
            "certificates": electronic_seals_of(seal=seal),
        },
    )


_MOVES = {"suspend": seal_suspend, "reinstate": seal_reinstate, "retire": seal_retire}


@login_required
@require_POST
def seal_status_change(request: HttpRequest, pk: int) -> HttpResponse:
    person = request_person(request)
    access = request_access(request)
    seal = seal_get_for(access=access, pk=pk)
    if not access.administers(seal.village):
        raise PermissionDenied(_("只有本村或本区的系统管理员可以变更印章状态。"))
    form = SealStatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请选择操作并填写原因。"))
        return redirect("seal_detail", pk=seal.pk)
    try:
        _MOVES[form.cleaned_data["action"]](
            seal=seal, reason=form.cleaned_data["reason"], by=person
        )
    except RuleViolation as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("印章状态已更新。"))
    return redirect("seal_detail", pk=seal.pk)


@login_required
@require_POST
def electronic_seal_issue_view(request: HttpRequest, pk: int) -> HttpResponse:
    """An admin of the seal's village issues (or renews) its electronic seal certificate."""
    person = request_person(request)
    access = request_access(request)
    seal = seal_get_for(access=access, pk=pk)
    if not access.administers(seal.village):
        raise PermissionDenied(_("只有本村或本区的系统管理员可以签发电子印章证书。"))
    try:
        electronic_seal_issue(seal=seal, by=person)
    except RuleViolation as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("电子印章证书已签发。"))
    return redirect("seal_detail", pk=seal.pk)


@login_required
def seal_stamp(request: HttpRequest, pk: int) -> HttpResponse:
    """The seal face as an image, for staff who can see the seal."""
    seal = seal_get_for(access=request_access(request), pk=pk)
    try:
        png = seal_stamp_png(seal=seal)
    except StampError as exc:  # a character the font cannot draw
        raise Http404(RuleViolation.from_error(exc).message) from exc
    response = HttpResponse(png, content_type="image/png")
    response["Cache-Control"] = "private, max-age=3600"
    return response


def pki_crl(request: HttpRequest, code: str) -> HttpResponse:
    """The district's certificate revocation list, public, at the URL in every seal."""
    ca = district_ca_for(code=code)
    crl = district_crl_current(district=ca.district)
    if crl is None:
        raise Http404
    response = HttpResponse(crl, content_type="application/pkix-crl")
    response["Cache-Control"] = "public, max-age=300"
    return response


def pki_root(request: HttpRequest, code: str, fmt: str) -> HttpResponse:
    """The district root: ``.crt`` in DER for "open with" on phones and Windows, ``.pem``
    for tools; public, so anyone can add it to their PDF reader's trust."""
    ca = district_ca_for(code=code)
    if fmt == "pem":
        response = HttpResponse(ca.certificate_pem, content_type="application/x-pem-file")
    else:
        der = certificate_load(ca.certificate_pem).public_bytes(serialization.Encoding.DER)
        response = HttpResponse(der, content_type="application/pkix-cert")
    response["Content-Disposition"] = f'attachment; filename="{code}-root.{fmt}"'
    response["Cache-Control"] = "public, max-age=86400"
    return response
