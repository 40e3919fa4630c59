"""Every read of terminals, authorizations and stamps, scoped to the asking person.

Terminals are seen by the admins and inspectors of their village or district and by the
village's custodians; a request's stamps by whoever may see the request.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404
from django.urls import reverse

from zhiyin.approvals.models import SealRequest
from zhiyin.devices.messages import clock_tolerance
from zhiyin.devices.models import (
    AuthorizationStatus,
    DeviceAlarm,
    DevicePhoto,
    DeviceSlot,
    SealDevice,
    StampAuthorization,
    StampEvent,
)
from zhiyin.orgs.models import Role
from zhiyin.orgs.selectors import Access

#: Roles that see a village's terminals.
DEVICE_ROLES = frozenset({Role.ADMIN, Role.INSPECTOR, Role.CUSTODIAN})


def _device_scope(access: Access) -> Q | None:
    villages = [
        g.village_id
        for g in access.grants
        if g.role in DEVICE_ROLES and g.village_id and not g.group_id
    ]
    districts = [
        g.district_id
        for g in access.grants
        if g.role in (Role.ADMIN, Role.INSPECTOR) and g.village_id is None and g.bureau_id is None
    ]
    if not villages and not districts:
        return None
    return Q(village_id__in=villages) | Q(village__district_id__in=districts)


def devices_for(*, access: Access) -> QuerySet[SealDevice]:
    """Terminals in the villages and districts the person's grants cover, with their slots and
    seals; none for anonymous."""
    scope = _device_scope(access)
    if access.person_id is None or scope is None:
        return SealDevice.objects.none()
    return (
        SealDevice.objects.filter(scope).select_related("village").prefetch_related("slots__seal")
    )


def device_get_for(*, access: Access, pk: int) -> SealDevice:
    """One terminal within `devices_for`; any other is `Http404`."""
    device = devices_for(access=access).filter(pk=pk).first()
    if device is None:
        raise Http404
    return device


def device_alarms(*, device: SealDevice, limit: int = 50) -> list[DeviceAlarm]:
    """A terminal's latest alarms (at most `limit`); the caller has scoped the terminal."""
    return list(device.alarms.select_related("event")[:limit])


def device_stamps(*, device: SealDevice, limit: int = 50) -> list[StampEvent]:
    """A terminal's latest stamps by the device's clock (at most `limit`); the caller has scoped the
    terminal."""
    return list(
        device.stamps.select_related("request", "slot").order_by("-device_time", "-pk")[:limit]
    )


_UNKNOWN = object()


def request_terminal_slot(request: SealRequest) -> DeviceSlot | None:
    """The terminal slot holding the request's seal, if it is held in one (looked up once
    per loaded request: the request page asks twice)."""
    cached = request.__dict__.get("_terminal_slot", _UNKNOWN)
    if cached is not _UNKNOWN:
        return cached  # type: ignore[no-any-return]  # what this function stored
    slot = (
        DeviceSlot.objects.filter(seal_id=request.seal_id, device__state="active")
        .select_related("device")
        .first()
    )
    request.__dict__["_terminal_slot"] = slot
    return slot


def request_terminal_link(request: SealRequest) -> str | None:
    """The approvals hook: the terminal page of a request whose seal is in a terminal."""
    if not request.seal.is_physical or request_terminal_slot(request) is None:
        return None
    return reverse("device_request", args=[request.pk])


def request_authorizations(*, request: SealRequest) -> list[StampAuthorization]:
    """A request's stamp authorizations, newest first, with who created, confirmed and ended them;
    the caller has scoped the request."""
    return list(
        request.stamp_authorizations.select_related(
            "device", "slot", "created_by", "confirmed_by", "ended_by"
        ).order_by("-created_at")
    )


def request_stamps(*, request: SealRequest) -> list[StampEvent]:
    """The stamps counted against a request, in the order the terminal made them; the caller has
    scoped the request."""
    return list(
        StampEvent.objects.filter(request=request)
        .select_related("device", "slot")
        .order_by("device_time", "pk")
    )


def stamps_clock_skewed(stamps: list[StampEvent]) -> set[int]:
    """Stamps whose terminal time is later than their arrival by more than the tolerance
    (a stamp cannot be made after it arrived): the terminal's clock is off."""
    tolerance = clock_tolerance()
    return {s.pk for s in stamps if s.device_time - s.server_time > tolerance}


def photos_by_sha(shas: list[str]) -> dict[str, DevicePhoto]:
    """Stored stamp photos by SHA-256 for the given (non-empty) hashes, in one query; the caller has
    scoped the stamps."""
    return {p.sha256: p for p in DevicePhoto.objects.filter(sha256__in=[s for s in shas if s])}


def photo_get_for(
    *, access: Access, sha256: str, visible_requests: QuerySet[SealRequest]
) -> DevicePhoto:
    """A photo the person may see: of a stamp on a request they see, or taken by a
    terminal they see."""
    photo = DevicePhoto.objects.filter(sha256=sha256).first()
    if photo is None:
        raise Http404
    on_request = StampEvent.objects.filter(
        photo_sha256=sha256, request__in=visible_requests
    ).exists()
    if not on_request and not devices_for(access=access).filter(pk=photo.device_id).exists():
        raise Http404
    return photo


def open_authorizations_for_custodian(*, access: Access) -> QuerySet[StampAuthorization]:
    """Grants waiting for this custodian's confirmation (two-person custody)."""
    villages = [g.village_id for g in access.grants if g.role == Role.CUSTODIAN and g.village_id]
    return (
        StampAuthorization.objects.filter(
            device__village_id__in=villages, status=AuthorizationStatus.PENDING
        )
        .exclude(created_by_id=access.person_id)
        .select_related("request", "device", "slot")
    )


def emergencies_for(*, device: SealDevice) -> list[StampAuthorization]:
    """A terminal's last 20 emergency openings with who opened and who approved them; the caller has
    scoped the terminal."""
    return list(
        device.authorizations.filter(emergency=True)
        .select_related("created_by", "emergency_approved_by", "slot")
        .order_by("-created_at")[:20]
    )
