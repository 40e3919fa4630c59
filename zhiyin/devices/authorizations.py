"""Authorizations (用印授权) and the signed commands that carry them to a terminal.

A custodian of the village authorizes the terminal holding an approved request's seal:
k stamps (the request's count less those already made), a window, the approved
document's SHA-256 and a one-time code. Separation of duties is the same as for
electronic sealing: never the applicant nor anyone who approved the request, and a
joint-seal matter needs the second custodian's confirmation before the terminal hears of
the grant. Each function is one transaction that records its audit event.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import uuid4

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from zhiyin.approvals.models import RequestStatus, SealRequest
from zhiyin.approvals.selectors import person_approved_request
from zhiyin.audit.services import audit_record, district_log
from zhiyin.catalog.models import MatterTier
from zhiyin.core.errors import RuleViolation
from zhiyin.devices import events
from zhiyin.devices.codes import code_hash, code_new
from zhiyin.devices.keys import command_sign, device_ca_get_or_create
from zhiyin.devices.messages import iso
from zhiyin.devices.models import (
    AuthorizationStatus,
    DeviceCommand,
    DeviceSlot,
    DeviceState,
    SealDevice,
    StampAuthorization,
)
from zhiyin.lib import devproto
from zhiyin.orgs.models import Person, Role, RoleGrant, Village

MAX_WINDOW = timedelta(days=7)


def authorization_data(authorization: StampAuthorization) -> dict[str, Any]:
    """The ids and facts of an authorization, as every audit event about it carries."""
    return {
        "device": authorization.device.serial,
        "slot": authorization.slot.code,
        "seal": authorization.slot.seal_id,
        "request": authorization.request_id,
        "authorization": authorization.pk,
        # the same ids under the names the warning rules also read
        "device_serial": authorization.device.serial,
        "seal_id": authorization.slot.seal_id,
        "request_id": authorization.request_id,
        "authorization_id": authorization.pk,
        "count": authorization.count,
        "used": authorization.used,
        "not_before": authorization.not_before.isoformat(),
        "not_after": authorization.not_after.isoformat(),
        "document_sha256": authorization.document_sha256,
        "status": authorization.status,
        "needs_second": authorization.needs_second,
        "emergency": authorization.emergency,
    }


# --- commands ----------------------------------------------------------------------------


def _command_issue(
    *,
    device: SealDevice,
    type: str,
    body: dict[str, Any],
    authorization: StampAuthorization | None,
    expires_at: datetime | None,
) -> DeviceCommand:
    """Number, sign and queue a command. The device row is locked so numbers never
    repeat; the signature is the district device CA's."""
    locked = SealDevice.objects.select_for_update().get(pk=device.pk)
    locked.command_seq += 1
    locked.save(update_fields=["command_seq"])
    ca = device_ca_get_or_create(district=device.village.district)
    message = command_sign(
        ca,
        {
            "v": devproto.PROTOCOL_VERSION,
            "type": type,
            "id": str(uuid4()),
            "device": device.serial,
            "cmd_seq": locked.command_seq,
            "time": iso(timezone.now()),
            "expires": iso(expires_at) if expires_at else None,
            "body": body,
        },
    )
    return DeviceCommand.objects.create(
        device=device,
        seq=locked.command_seq,
        type=type,
        authorization=authorization,
        message=devproto.encode(message),
        expires_at=expires_at,
    )


def grant_issue(authorization: StampAuthorization) -> None:
    request = authorization.request
    _command_issue(
        device=authorization.device,
        type="grant",
        body={
            "authorization": authorization.pk,
            "slot": authorization.slot.code,
            "count": authorization.count - authorization.used,
            "not_before": iso(authorization.not_before),
            "not_after": iso(authorization.not_after),
            "document_sha256": authorization.document_sha256,
            "code_sha256": authorization.code_hash,
            "request": request.number if request is not None else None,
            "emergency": authorization.emergency,
        },
        authorization=authorization,
        expires_at=authorization.not_after,
    )


# --- authorizations ----------------------------------------------------------------------


def require_custodian(by: Person, village: Village) -> None:
    if (
        not RoleGrant.objects.active()
        .filter(person=by, role=Role.CUSTODIAN, village=village, group__isnull=True)
        .exists()
    ):
        raise RuleViolation(_("只有本村的印章管理员可以授权终端用印。"))


def _stamping_refusal(request: SealRequest, by: Person) -> str:
    if request.status != RequestStatus.APPROVED:
        return _("只有已批准的申请才能授权用印。")
    if by.pk == request.applicant_id:
        return _("申请人不能为自己的申请授权用印。")
    if person_approved_request(request=request, person=by):
        return _("审批过该申请的人不能为其授权用印（审用分离）。")
    return ""


def stamps_authorized(request: SealRequest) -> int:
    total: int | None = StampAuthorization.objects.filter(request=request).aggregate(n=Sum("used"))[
        "n"
    ]
    return total or 0


@transaction.atomic
def stamp_authorization_create(
    *, request: SealRequest, by: Person, not_after: datetime
) -> StampAuthorization:
    """A custodian authorizes the terminal holding the request's seal to stamp the
    stamps still owed (k = the request's count, less stamps already made under earlier
    authorizations), until `not_after`, on the approved document."""
    request = (
        SealRequest.objects.select_for_update(of=("self",))
        .select_related("matter", "village", "seal")
        .get(pk=request.pk)
    )
    require_custodian(by, request.village)
    refusal = _stamping_refusal(request, by)
    if refusal:
        raise RuleViolation(refusal)
    slot = DeviceSlot.objects.select_related("device").filter(seal=request.seal).first()
    if slot is None:
        raise RuleViolation(_("该印章没有放在智能印章终端中。"))
    device = slot.device
    if device.state != DeviceState.ACTIVE or not device.is_enrolled:
        raise RuleViolation(
            _("终端%(serial)s未注册或已暂停，不能授权。") % {"serial": device.serial}
        )
    open_one = StampAuthorization.objects.filter(
        request=request, status__in=[AuthorizationStatus.ACTIVE, AuthorizationStatus.PENDING]
    ).first()
    if open_one is not None:
        raise RuleViolation(_("该申请已有未结束的用印授权，请先撤销。"))
    now = timezone.now()
    if not_after <= now:
        raise RuleViolation(_("授权截止时间必须晚于现在。"))
    if not_after - now > MAX_WINDOW:
        raise RuleViolation(_("授权时间最长为7天。"))
    remaining = request.stamp_count - stamps_authorized(request)
    if remaining <= 0:
        raise RuleViolation(_("该申请的用印次数已用完。"))
    document = request.documents.filter(superseded_at__isnull=True).order_by("pk").first()
    needs_second = request.matter.tier == MatterTier.JOINT_SEAL
    code = code_new(10)
    authorization = StampAuthorization.objects.create(
        device=device,
        slot=slot,
        request=request,
        count=remaining,
        not_before=now,
        not_after=not_after,
        document_sha256=document.sha256 if document else "",
        code_hash=code_hash(code),
        code=code,
        status=AuthorizationStatus.PENDING if needs_second else AuthorizationStatus.ACTIVE,
        needs_second=needs_second,
        created_by=by,
    )
    if not needs_second:
        grant_issue(authorization)
    audit_record(
        actor=by,
        action=events.STAMP_AUTHORIZATION_CREATE,
        target=authorization,
        after=authorization_data(authorization),
        role=Role.CUSTODIAN,
        scope=request.village.name,
        log=district_log(request.village.district_id),
    )
    return authorization


@transaction.atomic
def stamp_authorization_confirm(
    *, authorization: StampAuthorization, by: Person
) -> StampAuthorization:
    """The second custodian confirms a two-person grant; only then is it sent."""
    authorization = (
        StampAuthorization.objects.select_for_update(of=("self",))
        .select_related("device__village", "slot", "request")
        .get(pk=authorization.pk)
    )
    village = authorization.device.village
    require_custodian(by, village)
    if authorization.status != AuthorizationStatus.PENDING:
        raise RuleViolation(_("该授权不在待确认状态。"))
    if by.pk == authorization.created_by_id:
        raise RuleViolation(_("需由另一位印章管理员确认（两人共管）。"))
    if authorization.request is not None:
        refusal = _stamping_refusal(authorization.request, by)
        if refusal:
            raise RuleViolation(refusal)
    now = timezone.now()
    if authorization.not_after <= now:
        raise RuleViolation(_("授权已过期。"))
    authorization.status = AuthorizationStatus.ACTIVE
    authorization.confirmed_by = by
    authorization.confirmed_at = now
    authorization.save(update_fields=["status", "confirmed_by", "confirmed_at"])
    grant_issue(authorization)
    audit_record(
        actor=by,
        action=events.STAMP_AUTHORIZATION_CONFIRM,
        target=authorization,
        after={**authorization_data(authorization), "created_by": authorization.created_by_id},
        role=Role.CUSTODIAN,
        scope=village.name,
        log=district_log(village.district_id),
    )
    return authorization


def authorization_withdraw(authorization: StampAuthorization, *, by: Person, reason: str) -> None:
    authorization.status = AuthorizationStatus.REVOKED
    authorization.ended_at = timezone.now()
    authorization.ended_by = by
    authorization.end_reason = reason[:200]
    authorization.save(update_fields=["status", "ended_at", "ended_by", "end_reason"])
    _command_issue(
        device=authorization.device,
        type="revoke",
        body={"authorization": authorization.pk},
        authorization=authorization,
        expires_at=None,
    )
    audit_record(
        actor=by,
        action=events.STAMP_AUTHORIZATION_REVOKE,
        target=authorization,
        after={**authorization_data(authorization), "reason": reason[:200]},
        role=Role.CUSTODIAN,
        scope=authorization.device.village.name,
        log=district_log(authorization.device.village.district_id),
    )


@transaction.atomic
def stamp_authorization_revoke(
    *, authorization: StampAuthorization, by: Person, reason: str = ""
) -> StampAuthorization:
    authorization = (
        StampAuthorization.objects.select_for_update(of=("self",))
        .select_related("device__village", "slot")
        .get(pk=authorization.pk)
    )
    require_custodian(by, authorization.device.village)
    if authorization.status not in (AuthorizationStatus.ACTIVE, AuthorizationStatus.PENDING):
        raise RuleViolation(_("该授权已结束。"))
    authorization_withdraw(authorization, by=by, reason=reason or _("印章管理员撤销"))
    return authorization


def authorizations_due_to_expire(now: datetime | None = None) -> list[int]:
    moment = now or timezone.now()
    return list(
        StampAuthorization.objects.filter(
            status__in=[AuthorizationStatus.ACTIVE, AuthorizationStatus.PENDING],
            not_after__lt=moment,
        ).values_list("pk", flat=True)
    )


@transaction.atomic
def stamp_authorization_expire(*, authorization_id: int, now: datetime | None = None) -> bool:
    """End one authorization whose window has passed (the periodic sweep). Claimed with
    a conditional UPDATE, so two sweeps record the expiry once."""
    moment = now or timezone.now()
    claimed = StampAuthorization.objects.filter(
        pk=authorization_id,
        status__in=[AuthorizationStatus.ACTIVE, AuthorizationStatus.PENDING],
        not_after__lt=moment,
    ).update(status=AuthorizationStatus.EXPIRED, ended_at=moment)
    if not claimed:
        return False
    authorization = StampAuthorization.objects.select_related("device__village", "slot").get(
        pk=authorization_id
    )
    audit_record(
        actor=None,
        action=events.STAMP_AUTHORIZATION_EXPIRE,
        target=authorization,
        after=authorization_data(authorization),
        scope=authorization.device.village.name,
        log=district_log(authorization.device.village.district_id),
    )
    return True
