"""The bureau inbox (部门收件箱) for bureaus without their own system: a bureau officer
lists the deliveries to their bureaus, reads one, downloads its document (on the record)
and signs for it. Delivery keeps the deliveries; who is whose officer is known here."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from zhiyin.delivery.downloads import document_response
from zhiyin.delivery.payloads import payload_fields, payload_raw
from zhiyin.delivery.selectors import bureau_delivery_row, bureau_inbox_rows, delivery_get_for
from zhiyin.delivery.services import delivery_acknowledge_inbox, delivery_download_record
from zhiyin.orgs.auth import request_access, request_person
from zhiyin.orgs.models import Role


def _require_officer(request: HttpRequest) -> None:
    if not request_access(request).has_role(Role.BUREAU_OFFICER):
        raise PermissionDenied(_("只有职能部门经办人可以查看部门收件箱。"))


@login_required
def bureau_inbox(request: HttpRequest) -> HttpResponse:
    _require_officer(request)
    rows = bureau_inbox_rows(bureau_ids=request_access(request).bureau_ids, limit=200)
    return render(request, "delivery/bureau_inbox.html", {"rows": rows})


@login_required
def bureau_delivery_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The delivery as labelled fields in local time; the raw payload folded away."""
    _require_officer(request)
    row = bureau_delivery_row(bureau_ids=request_access(request).bureau_ids, pk=pk)
    delivery = row.delivery
    return render(
        request,
        "delivery/bureau_delivery.html",
        {
            "row": row,
            "delivery": delivery,
            "fields": payload_fields(delivery.payload),
            "raw": payload_raw(delivery.payload),
            "receipts": delivery.receipts.select_related("person"),
        },
    )


@login_required
def bureau_delivery_document(request: HttpRequest, pk: int) -> FileResponse:
    _require_officer(request)
    delivery = delivery_get_for(bureau_ids=request_access(request).bureau_ids, pk=pk)
    if not delivery.document_path:
        raise Http404
    delivery_download_record(delivery=delivery, by=request_person(request), via="bureau_inbox")
    return document_response(delivery)


@login_required
@require_POST
def bureau_delivery_acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    _require_officer(request)
    delivery = delivery_get_for(bureau_ids=request_access(request).bureau_ids, pk=pk)
    delivery_acknowledge_inbox(
        delivery=delivery, by=request_person(request), role=Role.BUREAU_OFFICER
    )
    messages.success(request, _("已签收。"))
    return redirect("bureau_delivery_detail", pk=delivery.pk)
