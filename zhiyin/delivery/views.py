"""Pages of `delivery`: a person's notifications and preferences, and the public signed
download link. The bureau inbox, which needs to know who is a bureau's officer, is on the
domain side (`zhiyin.orgs.bureau_inbox`)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from zhiyin.core.actors import Recipient
from zhiyin.delivery.channels import is_resident, preference_for
from zhiyin.delivery.downloads import document_response
from zhiyin.delivery.forms import PreferenceForm
from zhiyin.delivery.selectors import notifications_for
from zhiyin.delivery.services import (
    delivery_download_record,
    document_link_open,
    notification_mark_read,
    notification_preference_set,
)


def _recipient(request: HttpRequest) -> Recipient:
    """The signed-in person of a view that `login_required` guards."""
    user = request.user
    assert isinstance(user, Recipient), "the view must require a login first"
    return user


@require_GET
def document_download(request: HttpRequest, token: str) -> FileResponse:
    """The time-limited link in a delivery: no login, the signed token is the key."""
    delivery = document_link_open(token)
    if delivery is None:
        raise Http404
    delivery_download_record(delivery=delivery, by=None, via="signed_link")
    return document_response(delivery)


@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    person = _recipient(request)
    form = PreferenceForm(instance=preference_for(person), resident=is_resident(person))
    return render(
        request,
        "delivery/notifications.html",
        {"notifications": notifications_for(person=person)[:100], "form": form},
    )


@login_required
def notification_open(request: HttpRequest, pk: int) -> HttpResponse:
    """Opening a notice marks it read and goes where it points (a page of this site only)."""
    person = _recipient(request)
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
    notification_mark_read(person=_recipient(request), pk=pk)
    return redirect("notification_list")


@login_required
@require_POST
def notification_preferences(request: HttpRequest) -> HttpResponse:
    person = _recipient(request)
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
