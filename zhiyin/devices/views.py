"""Terminal pages: the device list and page (admins, inspectors, custodians in scope),
the custodian's phone-first authorize page with the second custodian's confirmation,
the printable one-time code sheet, emergency opening, and stamp photos."""

from __future__ import annotations

import base64
import io
from datetime import timedelta
from urllib.parse import urlencode

import qrcode
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from zhiyin.accounts.twofactor import second_factor_fresh, second_factor_required
from zhiyin.approvals.models import SealRequest
from zhiyin.approvals.selectors import seal_request_get_for, seal_requests_for
from zhiyin.core.errors import RuleViolation
from zhiyin.devices.alarms import alarm_label
from zhiyin.devices.authorizations import (
    stamp_authorization_confirm,
    stamp_authorization_create,
    stamp_authorization_revoke,
)
from zhiyin.devices.emergency import emergency_approve, emergency_open
from zhiyin.devices.models import AuthorizationStatus, SealDevice, StampAuthorization
from zhiyin.devices.selectors import (
    device_alarms,
    device_get_for,
    device_stamps,
    devices_for,
    emergencies_for,
    photo_get_for,
    photos_by_sha,
    request_authorizations,
    request_stamps,
    request_terminal_slot,
    stamps_clock_skewed,
)
from zhiyin.devices.services import device_enrol_code_renew, device_register, device_state_set
from zhiyin.orgs.auth import request_access, request_person
from zhiyin.orgs.models import Role, Village
from zhiyin.orgs.selectors import villages_administered
from zhiyin.seals.models import Seal, SealStatus

#: Windows a custodian picks from on the phone (hours).
WINDOW_CHOICES = (1, 2, 4, 8, 24, 72)
#: Seen within this long counts as online on the pages.
ONLINE_WITHIN = timedelta(minutes=10)


def _stale_second_factor(request: HttpRequest) -> bool:
    """Opening a terminal (authorizing, confirming, emergency use) wants a second factor
    entered within STEP_UP_SECONDS, as sealing does (step-up)."""
    return second_factor_required(request_access(request)) and not second_factor_fresh(request)


def _step_up(back: str) -> HttpResponse:
    """To the code page, then back to `back` (the page whose form was posted: a POST is
    not replayed, the custodian submits again there)."""
    query = urlencode({"next": back, "step_up": "1"})
    return redirect(f"{reverse('accounts_second_factor')}?{query}")


def _online(device: SealDevice) -> bool:
    """Seen lately and not gone: an MQTT terminal's broken connection (its last will)
    shows at once, an HTTPS terminal's silence after ONLINE_WITHIN."""
    return bool(
        device.online
        and device.last_seen_at
        and timezone.now() - device.last_seen_at < ONLINE_WITHIN
    )


@login_required
def device_list(request: HttpRequest) -> HttpResponse:
    devices = list(devices_for(access=request_access(request)).order_by("village__code", "serial"))
    if not devices and not (
        request_access(request).roles & {Role.ADMIN, Role.INSPECTOR, Role.CUSTODIAN}
    ):
        raise Http404
    rows = [(d, _online(d)) for d in devices]
    can_register = _administered(request).exists()
    return render(request, "devices/device_list.html", {"rows": rows, "can_register": can_register})


@login_required
def device_detail(request: HttpRequest, pk: int) -> HttpResponse:
    access = request_access(request)
    device = device_get_for(access=access, pk=pk)
    stamps = device_stamps(device=device)
    alarms = [(a, alarm_label(a.kind)) for a in device_alarms(device=device)]
    is_custodian = access.village_wide(device.village, Role.CUSTODIAN)
    is_admin = access.administers(device.village)
    return render(
        request,
        "devices/device_detail.html",
        {
            "device": device,
            "online": _online(device),
            "slots": list(device.slots.select_related("seal")),
            "stamps": stamps,
            "photos": photos_by_sha([s.photo_sha256 for s in stamps]),
            "skewed": stamps_clock_skewed(stamps),
            "alarms": alarms,
            "emergencies": emergencies_for(device=device),
            "is_custodian": is_custodian,
            "is_admin": is_admin,
            "is_secretary": access.village_wide(device.village, Role.SECRETARY),
            "last_event": device.events.order_by("-server_time").first(),
        },
    )


def _request_context(request: HttpRequest, seal_request: SealRequest) -> dict[str, object]:
    access = request_access(request)
    person = request_person(request)
    slot = request_terminal_slot(seal_request)
    authorizations = request_authorizations(request=seal_request)
    stamps = request_stamps(request=seal_request)
    is_custodian = access.village_wide(seal_request.village, Role.CUSTODIAN) and any(
        g.role == Role.CUSTODIAN and g.village_id == seal_request.village_id for g in access.grants
    )
    open_one = next(
        (
            a
            for a in authorizations
            if a.status in (AuthorizationStatus.ACTIVE, AuthorizationStatus.PENDING)
        ),
        None,
    )
    return {
        "r": seal_request,
        "slot": slot,
        "authorizations": authorizations,
        "open": open_one,
        "stamps": stamps,
        "photos": photos_by_sha([s.photo_sha256 for s in stamps]),
        "skewed": stamps_clock_skewed(stamps),
        "authorized_count": sum(1 for s in stamps if s.status == "authorized"),
        "is_custodian": is_custodian,
        "can_authorize": is_custodian
        and slot is not None
        and open_one is None
        and seal_request.status == "approved"
        and person.pk != seal_request.applicant_id,
        "can_confirm": is_custodian
        and open_one is not None
        and open_one.status == AuthorizationStatus.PENDING
        and open_one.created_by_id != person.pk,
        "window_choices": WINDOW_CHOICES,
        "online": _online(slot.device) if slot else False,
    }


@login_required
def request_stamping(request: HttpRequest, pk: int) -> HttpResponse:
    seal_request = seal_request_get_for(access=request_access(request), pk=pk)
    context = _request_context(request, seal_request)
    if (context["can_authorize"] or context["can_confirm"]) and _stale_second_factor(request):
        return _step_up(request.get_full_path())
    return render(request, "devices/request_stamping.html", context)


def request_panel(request: HttpRequest, seal_request: SealRequest) -> str:
    """The approvals hook: the stamps and photos, shown on the request page."""
    stamps = request_stamps(request=seal_request)
    if not stamps and request_terminal_slot(seal_request) is None:
        return ""
    return render_to_string(
        "devices/partials/_stamps.html",
        {
            "r": seal_request,
            "stamps": stamps,
            "photos": photos_by_sha([s.photo_sha256 for s in stamps]),
            "skewed": stamps_clock_skewed(stamps),
        },
        request=request,
    )


@login_required
@require_POST
def request_authorize(request: HttpRequest, pk: int) -> HttpResponse:
    person = request_person(request)
    seal_request = seal_request_get_for(access=request_access(request), pk=pk)
    if _stale_second_factor(request):
        return _step_up(reverse("device_request", args=[pk]))
    try:
        hours = int(request.POST.get("hours", ""))
    except ValueError:
        hours = 0
    if hours not in WINDOW_CHOICES:
        messages.error(request, _("请选择授权时长。"))
        return redirect("device_request", pk=pk)
    try:
        authorization = stamp_authorization_create(
            request=seal_request, by=person, not_after=timezone.now() + timedelta(hours=hours)
        )
    except RuleViolation as exc:
        messages.error(request, exc.message)
    else:
        if authorization.status == AuthorizationStatus.PENDING:
            messages.success(request, _("已授权，等待另一位印章管理员确认后终端才会开启。"))
        else:
            messages.success(request, _("已授权，终端将按授权次数开启。"))
    return redirect("device_request", pk=pk)


def _authorization_for(request: HttpRequest, pk: int) -> StampAuthorization:
    """An authorization in a village where the person may see terminals."""
    visible = devices_for(access=request_access(request))
    authorization = (
        StampAuthorization.objects.filter(pk=pk, device__in=visible)
        .select_related("request", "device__village", "slot__seal", "created_by")
        .first()
    )
    if authorization is None:
        raise Http404
    return authorization


def _back_url(authorization: StampAuthorization) -> str:
    if authorization.request_id:
        return reverse("device_request", args=[authorization.request_id])
    return reverse("device_detail", args=[authorization.device_id])


def _back(authorization: StampAuthorization) -> HttpResponse:
    return redirect(_back_url(authorization))


@login_required
@require_POST
def authorization_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    authorization = _authorization_for(request, pk)
    if _stale_second_factor(request):
        return _step_up(_back_url(authorization))
    try:
        stamp_authorization_confirm(authorization=authorization, by=request_person(request))
    except RuleViolation as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已确认，终端将按授权次数开启。"))
    return _back(authorization)


@login_required
@require_POST
def authorization_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    authorization = _authorization_for(request, pk)
    try:
        stamp_authorization_revoke(
            authorization=authorization,
            by=request_person(request),
            reason=request.POST.get("reason", "")[:200],
        )
    except RuleViolation as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已撤销授权。"))
    return _back(authorization)


@login_required
@require_POST
def device_emergency(request: HttpRequest, pk: int) -> HttpResponse:
    device = device_get_for(access=request_access(request), pk=pk)
    if _stale_second_factor(request):
        return _step_up(reverse("device_detail", args=[pk]))
    try:
        count = int(request.POST.get("count", "1"))
    except ValueError:
        count = 0
    try:
        emergency_open(
            device=device,
            slot_code=request.POST.get("slot", ""),
            by=request_person(request),
            reason=request.POST.get("reason", ""),
            count=count,
        )
    except RuleViolation as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已先行开启终端，纪检监察已收到通知；请在规定时间内补办审批。"))
    return redirect("device_detail", pk=pk)


@login_required
@require_POST
def emergency_approve_view(request: HttpRequest, pk: int) -> HttpResponse:
    authorization = _authorization_for(request, pk)
    try:
        emergency_approve(
            authorization=authorization,
            by=request_person(request),
            comment=request.POST.get("comment", "")[:500],
        )
    except RuleViolation as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已补批先行用章。"))
    return redirect("device_detail", pk=authorization.device_id)


def _qr_data_uri(text: str) -> str:
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=2, box_size=8)
    code.add_data(text)
    image = code.make_image()
    buffer = io.BytesIO()
    image.save(buffer)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


@login_required
def authorization_sheet(request: HttpRequest, pk: int) -> HttpResponse:
    """The one-time code as a QR to print on the approved document. Only the village's
    custodians see it: whoever holds the code can open the grant."""
    access = request_access(request)
    authorization = _authorization_for(request, pk)
    if not any(
        g.role == Role.CUSTODIAN and g.village_id == authorization.device.village_id
        for g in access.grants
    ):
        raise Http404
    return render(
        request,
        "devices/authorization_sheet.html",
        {"a": authorization, "qr": _qr_data_uri(f"ZYSTAMP:{authorization.code}")},
    )


@login_required
def photo_view(request: HttpRequest, sha256: str) -> HttpResponseBase:
    access = request_access(request)
    photo = photo_get_for(
        access=access, sha256=sha256, visible_requests=seal_requests_for(access=access)
    )
    return FileResponse(photo.file.open("rb"), content_type=photo.content_type)


# --- registration and state (admins) -------------------------------------------------


def _administered(request: HttpRequest) -> QuerySet[Village]:
    return villages_administered(access=request_access(request)).order_by("code")


@login_required
def device_create(request: HttpRequest) -> HttpResponse:
    """An admin registers a terminal: village, serial, name and the physical seals it
    holds (one slot each). The one-time enrolment code is shown once, on the result."""
    villages = list(_administered(request))
    if not villages:
        raise Http404
    chosen = next((v for v in villages if str(v.pk) == request.GET.get("village", "")), villages[0])
    seals = list(
        Seal.objects.filter(village=chosen, is_physical=True, status=SealStatus.ACTIVE)
        .exclude(device_slot__isnull=False)
        .order_by("kind", "code")
    )
    context: dict[str, object] = {"villages": villages, "chosen": chosen, "seals": seals}
    if request.method == "POST":
        picked = [s for s in seals if f"seal_{s.pk}" in request.POST]
        slots = {}
        for seal in picked:
            code = (request.POST.get(f"slot_{seal.pk}") or seal.kind).strip()
            slots[code] = seal
        try:
            device, code = device_register(
                village=chosen,
                serial=request.POST.get("serial", ""),
                name=request.POST.get("name", ""),
                slots=slots,
                by=request_person(request),
            )
        except RuleViolation as exc:
            messages.error(request, exc.message)
            context["posted"] = request.POST
        else:
            return render(request, "devices/enrol_code.html", {"device": device, "code": code})
    return render(request, "devices/device_form.html", context)


@login_required
@require_POST
def device_manage(request: HttpRequest, pk: int) -> HttpResponse:
    """Suspend / activate / retire, or a new enrolment code (admins of the village)."""
    device = device_get_for(access=request_access(request), pk=pk)
    person = request_person(request)
    action = request.POST.get("action", "")
    try:
        if action == "enrol_code":
            code = device_enrol_code_renew(device=device, by=person)
            return render(request, "devices/enrol_code.html", {"device": device, "code": code})
        device_state_set(
            device=device, change=action, by=person, reason=request.POST.get("reason", "")[:200]
        )
    except RuleViolation as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已更新终端状态。"))
    return redirect("device_detail", pk=pk)
