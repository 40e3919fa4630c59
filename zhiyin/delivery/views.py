"""Pages of `delivery`: the bureau inbox (for bureaus without their own system), a
person's notifications and preferences, and the public signed download link."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from zhiyin.delivery.channels import is_resident, preference_for
from zhiyin.delivery.forms import PreferenceForm
from zhiyin.delivery.models import Delivery
from zhiyin.delivery.selectors import deliveries_for, delivery_get_for, notifications_for
from zhiyin.delivery.services import (
    delivery_acknowledge_inbox,
    delivery_download_record,
    document_link_open,
    notification_mark_read,
    notification_preference_set,
)
from zhiyin.orgs.auth import request_access, request_person
from zhiyin.orgs.models import Role


def _document_response(delivery: Delivery) -> FileResponse:
    try:
        handle = default_storage.open(delivery.document_path, "rb")
    except OSError as exc:
        raise Http404 from exc
    name = str(delivery.payload.get("_filename") or f"{delivery.webhook_id}.pdf")
    response = FileResponse(handle, as_attachment=True, filename=name)
    response["Content-Type"] = "application/pdf"
    response["X-Content-SHA256"] = delivery.document_sha256
    return response


@require_GET
def document_download(request: HttpRequest, token: str) -> FileResponse:
    """The time-limited link in a delivery: no login, the signed token is the key."""
    delivery = document_link_open(token)
    if delivery is None:
        raise Http404
    delivery_download_record(delivery=delivery, by=None, via="signed_link")
    return _document_response(delivery)


def _require_officer(request: HttpRequest) -> None:
    if not request_access(request).has_role(Role.BUREAU_OFFICER):
        raise PermissionDenied(_("只有职能部门经办人可以查看部门收件箱。"))


@login_required
def bureau_inbox(request: HttpRequest) -> HttpResponse:
    _require_officer(request)
    deliveries = deliveries_for(access=request_access(request))[:200]
    return render(request, "delivery/bureau_inbox.html", {"deliveries": deliveries})


@login_required
def bureau_delivery_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _require_officer(request)
    delivery = delivery_get_for(access=request_access(request), pk=pk)
    payload = {k: v for k, v in delivery.payload.items() if not k.startswith("_")}
    return render(
        request,
        "delivery/bureau_delivery.html",
        {"delivery": delivery, "payload": payload, "receipts": delivery.receipts.all()},
    )


@login_required
def bureau_delivery_document(request: HttpRequest, pk: int) -> FileResponse:
    _require_officer(request)
    delivery = delivery_get_for(access=request_access(request), pk=pk)
    if not delivery.document_path:
        raise Http404
    delivery_download_record(delivery=delivery, by=request_person(request), via="bureau_inbox")
    return _document_response(delivery)


@login_required
@require_POST
def bureau_delivery_acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    _require_officer(request)
    delivery = delivery_get_for(access=request_access(request), pk=pk)
    delivery_acknowledge_inbox(delivery=delivery, by=request_person(request))
    messages.success(request, _("已签收。"))
    return redirect("bureau_delivery_detail", pk=delivery.pk)


@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    person = request_person(request)
    form = PreferenceForm(instance=preference_for(person), resident=is_resident(person))
    return render(
        request,
        "delivery/notifications.html",
        {"notifications": notifications_for(person=person)[:100], "form": form},
    )


@login_required
def notification_open(request: HttpRequest, pk: int) -> HttpResponse:
    """Opening a notice marks it read and goes where it points (a page of this site only)."""
    person = request_person(request)
    notice = get_object_or_404(notifications_for(person=person), pk=pk)
    notification_mark_read(person=person, pk=notice.pk)
    if notice.link and url_has_allowed_host_and_scheme(
        notice.link, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(notice.link)
    return redirect("notification_list")


@login_required
@require_POST
def notification_read(request: HttpRequest) -> HttpResponse:
    raw = request.POST.get("pk", "")
    pk = int(raw) if raw.isdigit() else None
    notification_mark_read(person=request_person(request), pk=pk)
    return redirect("notification_list")


@login_required
@require_POST
def notification_preferences(request: HttpRequest) -> HttpResponse:
    person = request_person(request)
    resident = is_resident(person)
    form = PreferenceForm(request.POST, instance=preference_for(person), resident=resident)
    if not form.is_valid():
        messages.error(request, _("通知设置无效，未保存。"))
        return redirect("notification_list")
    notification_preference_set(
        person=person,
        email=form.cleaned_data["email"],
        sms=form.cleaned_data["sms"],
        staff_platform=False if resident else form.cleaned_data["staff_platform"],
    )
    messages.success(request, _("通知设置已保存。"))
    return redirect("notification_list")
