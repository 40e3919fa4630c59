"""Every write about terminals and what they may do: registration, enrolment, state,
authorizations (用印授权), emergency use (先行用章) and the commands they send.

Each function is one transaction that records its audit event (action codes in
`zhiyin.devices.events`, the contract with the oversight warnings). Separation of duties
is the same as for electronic sealing: only a custodian of the village authorizes, never
the applicant nor anyone who approved the request, and a joint-seal matter needs the
second custodian's confirmation before the terminal hears of the grant.

What terminals send is handled in `zhiyin.devices.ingest`.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

from django.conf import settings
from django.db import transaction
from django.db.models import Q, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from zhiyin.approvals.models import RequestStatus, SealRequest
from zhiyin.approvals.selectors import person_approved_request
from zhiyin.approvals.timelimits import step_deadline
from zhiyin.audit.services import audit_record, district_log
from zhiyin.catalog.models import MatterTier
from zhiyin.core.errors import RuleViolation
from zhiyin.delivery.services import notify
from zhiyin.devices import events
from zhiyin.devices.keys import ca_key, certificate_load, command_sign, device_ca_get_or_create
from zhiyin.devices.models import (
    AuthorizationStatus,
    DeviceCommand,
    DeviceSlot,
    DeviceState,
    SealDevice,
    StampAuthorization,
)
from zhiyin.lib import devproto, pki
from zhiyin.orgs.models import Person, Role, RoleGrant, Village
from zhiyin.orgs.selectors import access_for
from zhiyin.seals.models import Seal, SealStatus

ENROL_CODE_HOURS = 72
MAX_WINDOW = timedelta(days=7)
#: Characters of the printed one-time code: no 0/O/1/I to misread on paper.
_CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"


def code_hash(code: str) -> str:
    return hashlib.sha256(code.strip().upper().encode("utf-8")).hexdigest()


def _code_new(length: int) -> str:
    return "".join(secrets.choice(_CODE_ALPHABET) for _ in range(length))


def _device_data(device: SealDevice) -> dict[str, Any]:
    return {
        "device": device.serial,
        "village": device.village_id,
        "state": device.state,
        "firmware": device.firmware,
        "slots": {s.code: s.seal_id for s in device.slots.all()},
    }


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


# --- registration, enrolment, state ---------------------------------------------------


def _require_admin(by: Person, village: Village) -> None:
    if not access_for(by).administers(village):
        raise RuleViolation(_("只有本村或本区的管理员可以管理智能印章终端。"))


def _slots_check(village: Village, slots: dict[str, Seal], device: SealDevice | None) -> None:
    if not slots:
        raise RuleViolation(_("终端至少要放置一枚印章。"))
    for code, seal in slots.items():
        if not code or len(code) > 20 or not all(c.isalnum() or c in "-_" for c in code):
            raise RuleViolation(_("槽位编号只能包含字母、数字、- 和 _：%(code)s") % {"code": code})
        if seal.village_id != village.pk:
            raise RuleViolation(_("%(seal)s不属于本村，不能放入该终端。") % {"seal": seal})
        if not seal.is_physical or seal.status != SealStatus.ACTIVE:
            raise RuleViolation(_("只有在用的实物印章才能放入终端：%(seal)s") % {"seal": seal})
        held = DeviceSlot.objects.filter(seal=seal).exclude(device=device).first()
        if held is not None:
            raise RuleViolation(
                _("%(seal)s已在终端%(serial)s中。") % {"seal": seal, "serial": held.device.serial}
            )


@transaction.atomic
def device_register(
    *, village: Village, serial: str, name: str, slots: dict[str, Seal], by: Person | None
) -> tuple[SealDevice, str]:
    """Register a terminal and the seals it holds; returns it and its one-time enrolment
    code (shown once; only its hash is kept). `by` None is the demo loader."""
    if by is not None:
        _require_admin(by, village)
    serial = serial.strip()
    if not serial or len(serial) > 40 or not all(c.isalnum() or c in "-_" for c in serial):
        raise RuleViolation(_("终端序列号只能包含字母、数字、- 和 _。"))
    if SealDevice.objects.filter(serial=serial).exists():
        raise RuleViolation(_("终端序列号 %(serial)s 已登记。") % {"serial": serial})
    _slots_check(village, slots, None)
    code = _code_new(12)
    device = SealDevice.objects.create(
        village=village,
        serial=serial,
        name=name.strip()[:60] or serial,
        enrol_code_hash=code_hash(code),
        enrol_code_expires_at=timezone.now() + timedelta(hours=ENROL_CODE_HOURS),
    )
    for slot_code, seal in slots.items():
        DeviceSlot.objects.create(device=device, code=slot_code, seal=seal)
    audit_record(
        actor=by,
        action="device.register",
        target=device,
        after=_device_data(device),
        role=Role.ADMIN if by else "",
        scope=village.name,
        log=district_log(village.district_id),
    )
    return device, code


@transaction.atomic
def device_enrol_code_renew(*, device: SealDevice, by: Person) -> str:
    """A new enrolment code (e.g. a replaced terminal, or the first one expired). The
    terminal that uses it gets a new certificate; the old key stops being accepted."""
    device = SealDevice.objects.select_for_update().get(pk=device.pk)
    _require_admin(by, device.village)
    if device.state == DeviceState.RETIRED:
        raise RuleViolation(_("终端已停用，不能重新注册。"))
    code = _code_new(12)
    device.enrol_code_hash = code_hash(code)
    device.enrol_code_expires_at = timezone.now() + timedelta(hours=ENROL_CODE_HOURS)
    device.save(update_fields=["enrol_code_hash", "enrol_code_expires_at"])
    audit_record(
        actor=by,
        action="device.enrol_code",
        target=device,
        after={"device": device.serial, "expires_at": device.enrol_code_expires_at.isoformat()},
        role=Role.ADMIN,
        scope=device.village.name,
        log=district_log(device.village.district_id),
    )
    return code


@transaction.atomic
def device_enrol(*, message: dict[str, Any]) -> tuple[SealDevice, str, str]:
    """A terminal enrols: `message` (type ``enrol``) carries its serial, the one-time
    code, its new public key and firmware, and is signed with the new key (proof that it
    holds the private half). Returns the device, its certificate and the device CA
    certificate (PEM). A used, expired or wrong code, or a code for another serial, is
    refused without changing anything."""
    if message.get("type") != "enrol" or message.get("v") != devproto.PROTOCOL_VERSION:
        raise devproto.ProtocolError("bad_message", "注册消息格式不正确")
    serial = message.get("device")
    body = message.get("body")
    if not isinstance(serial, str) or not isinstance(body, dict):
        raise devproto.ProtocolError("bad_message", "注册消息格式不正确")
    code = body.get("code")
    pem = body.get("public_key")
    if not isinstance(code, str) or not isinstance(pem, str):
        raise devproto.ProtocolError("bad_message", "注册消息缺少注册码或公钥")
    public_key = devproto.public_key_load(pem)
    devproto.verify(message, public_key)
    device = SealDevice.objects.select_for_update().filter(serial=serial).first()
    now = timezone.now()
    if (
        device is None
        or not device.enrol_code_hash
        or not hmac.compare_digest(device.enrol_code_hash, code_hash(code))
        or device.enrol_code_expires_at is None
        or device.enrol_code_expires_at < now
    ):
        raise devproto.ProtocolError("bad_enrol_code", "注册码无效、已使用或已过期")
    if device.state == DeviceState.RETIRED:
        raise devproto.ProtocolError("device_retired", "终端已停用")
    ca = device_ca_get_or_create(district=device.village.district)
    certificate = pki.device_cert_issue(
        ca_key=ca_key(ca),
        ca_cert=certificate_load(ca.certificate_pem),
        public_key=public_key,
        common_name=device.serial,
        organization=device.village.district.name,
    )
    firmware = body.get("firmware")
    device.key_alg = devproto.key_algorithm(public_key)
    device.public_key_pem = devproto.public_key_pem(public_key)
    device.certificate_pem = pki.cert_pem(certificate).decode("ascii")
    device.enrol_code_hash = ""
    device.enrol_code_expires_at = None
    device.enrolled_at = now
    device.firmware = firmware[:40] if isinstance(firmware, str) else ""
    device.save()
    audit_record(
        actor=None,
        action=events.DEVICE_ENROL,
        target=device,
        after={
            "device": device.serial,
            "key_alg": device.key_alg,
            "certificate_serial": str(certificate.serial_number),
            "firmware": device.firmware,
            "village": device.village_id,
        },
        scope=device.village.name,
        log=district_log(device.village.district_id),
    )
    return device, device.certificate_pem, ca.certificate_pem


_STATE_MOVES = {
    "suspend": ({DeviceState.ACTIVE}, DeviceState.SUSPENDED),
    "activate": ({DeviceState.SUSPENDED}, DeviceState.ACTIVE),
    "retire": ({DeviceState.ACTIVE, DeviceState.SUSPENDED}, DeviceState.RETIRED),
}


@transaction.atomic
def device_state_set(
    *, device: SealDevice, change: str, by: Person, reason: str = ""
) -> SealDevice:
    """Suspend, reactivate or retire a terminal. Suspending or retiring revokes its open
    authorizations; a retired terminal's seals may be placed in another one."""
    device = SealDevice.objects.select_for_update().get(pk=device.pk)
    _require_admin(by, device.village)
    if change not in _STATE_MOVES:
        raise RuleViolation(_("未知的终端状态变更。"))
    allowed, target = _STATE_MOVES[change]
    if device.state not in allowed:
        raise RuleViolation(_("终端当前状态不能进行该操作。"))
    before = device.state
    device.state = target
    device.save(update_fields=["state"])
    if target != DeviceState.ACTIVE:
        for authorization in StampAuthorization.objects.filter(
            device=device, status__in=[AuthorizationStatus.ACTIVE, AuthorizationStatus.PENDING]
        ):
            _revoke(authorization, by=by, reason=_("终端已暂停或停用"))
    if target == DeviceState.RETIRED:
        slots = list(device.slots.values("code", "seal_id"))
        device.slots.all().delete()
    else:
        slots = []
    audit_record(
        actor=by,
        action=events.DEVICE_STATE,
        target=device,
        before={"state": before},
        after={
            "device": device.serial,
            "change": change,
            "state": target,
            "reason": reason[:200],
            "released_slots": slots,
        },
        role=Role.ADMIN,
        scope=device.village.name,
        log=district_log(device.village.district_id),
    )
    return device


# --- commands -----------------------------------------------------------------------


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
            "time": _iso(timezone.now()),
            "expires": _iso(expires_at) if expires_at else None,
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


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _grant_issue(authorization: StampAuthorization) -> None:
    request = authorization.request
    _command_issue(
        device=authorization.device,
        type="grant",
        body={
            "authorization": authorization.pk,
            "slot": authorization.slot.code,
            "count": authorization.count - authorization.used,
            "not_before": _iso(authorization.not_before),
            "not_after": _iso(authorization.not_after),
            "document_sha256": authorization.document_sha256,
            "code_sha256": authorization.code_hash,
            "request": request.number if request is not None else None,
            "emergency": authorization.emergency,
        },
        authorization=authorization,
        expires_at=authorization.not_after,
    )


# --- authorizations -----------------------------------------------------------------


def _require_custodian(by: Person, village: Village) -> None:
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
    _require_custodian(by, request.village)
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
    code = _code_new(10)
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
        _grant_issue(authorization)
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
    _require_custodian(by, village)
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
    _grant_issue(authorization)
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


def _revoke(authorization: StampAuthorization, *, by: Person, reason: str) -> None:
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
    _require_custodian(by, authorization.device.village)
    if authorization.status not in (AuthorizationStatus.ACTIVE, AuthorizationStatus.PENDING):
        raise RuleViolation(_("该授权已结束。"))
    _revoke(authorization, by=by, reason=reason or _("印章管理员撤销"))
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


# --- emergency use (先行用章) ---------------------------------------------------------


def emergency_approve_days() -> int:
    return int(getattr(settings, "DEVICE_EMERGENCY_APPROVE_DAYS", 3))


@transaction.atomic
def emergency_open(
    *,
    device: SealDevice,
    slot_code: str,
    by: Person,
    reason: str,
    count: int = 1,
    minutes: int = 60,
) -> StampAuthorization:
    """A custodian opens the terminal for an urgent matter before approval. Needs a
    written reason; the inspectors are told at once; it must be approved afterwards by
    the village secretary within the set working days, or the warning rules flag it."""
    device = SealDevice.objects.select_related("village__district").get(pk=device.pk)
    _require_custodian(by, device.village)
    reason = reason.strip()
    if len(reason) < 5:
        raise RuleViolation(_("先行用章必须写明理由（至少5个字）。"))
    if device.state != DeviceState.ACTIVE or not device.is_enrolled:
        raise RuleViolation(_("终端%(serial)s未注册或已暂停。") % {"serial": device.serial})
    slot = device.slots.filter(code=slot_code).first()
    if slot is None:
        raise RuleViolation(_("终端没有该槽位。"))
    if not 1 <= count <= 5:
        raise RuleViolation(_("先行用章一次最多5次。"))
    if not 5 <= minutes <= 240:
        raise RuleViolation(_("先行用章的开启时间为5到240分钟。"))
    now = timezone.now()
    days = emergency_approve_days()
    approve_by = step_deadline(start=now, amount=days, unit="days")
    code = _code_new(10)
    authorization = StampAuthorization.objects.create(
        device=device,
        slot=slot,
        request=None,
        count=count,
        not_before=now,
        not_after=now + timedelta(minutes=minutes),
        code_hash=code_hash(code),
        code=code,
        created_by=by,
        emergency=True,
        emergency_reason=reason[:500],
        approve_by=approve_by,
    )
    _grant_issue(authorization)
    inspectors = (
        RoleGrant.objects.active()
        .filter(role=Role.INSPECTOR)
        .filter(_village_scope(device.village))
        .values("person_id")
    )
    for person in Person.objects.filter(pk__in=inspectors):
        notify(
            person=person,
            text=_("%(village)s 先行用章：%(who)s 开启终端 %(serial)s，理由：%(reason)s")
            % {
                "village": device.village.name,
                "who": by,
                "serial": device.serial,
                "reason": reason,
            },
            link=reverse("device_detail", args=[device.pk]),
            event="device.emergency_open",
        )
    audit_record(
        actor=by,
        action=events.DEVICE_EMERGENCY_OPEN,
        target=authorization,
        after={
            **authorization_data(authorization),
            "reason": reason[:500],
            "approve_by": approve_by.isoformat(),
            "approve_within_working_days": days,
        },
        role=Role.CUSTODIAN,
        scope=device.village.name,
        log=district_log(device.village.district_id),
    )
    return authorization


def _village_scope(village: Village) -> Q:
    return Q(village=village, group__isnull=True) | Q(
        village__isnull=True, district=village.district, bureau__isnull=True
    )


@transaction.atomic
def emergency_approve(
    *, authorization: StampAuthorization, by: Person, comment: str = ""
) -> StampAuthorization:
    """The village secretary approves an emergency opening after the fact."""
    authorization = (
        StampAuthorization.objects.select_for_update(of=("self",))
        .select_related("device__village", "slot")
        .get(pk=authorization.pk)
    )
    village = authorization.device.village
    if not authorization.emergency:
        raise RuleViolation(_("这不是先行用章记录。"))
    if authorization.emergency_approved_at is not None:
        raise RuleViolation(_("该先行用章已补批。"))
    if not access_for(by).village_wide(village, Role.SECRETARY):
        raise RuleViolation(_("先行用章由本村书记补批。"))
    if by.pk == authorization.created_by_id:
        raise RuleViolation(_("开启终端的人不能自己补批。"))
    now = timezone.now()
    authorization.emergency_approved_at = now
    authorization.emergency_approved_by = by
    authorization.save(update_fields=["emergency_approved_at", "emergency_approved_by"])
    stamps = list(authorization.stamps.values_list("pk", "status"))
    audit_record(
        actor=by,
        action=events.DEVICE_EMERGENCY_APPROVED,
        target=authorization,
        after={
            **authorization_data(authorization),
            "approve_by": authorization.approve_by.isoformat() if authorization.approve_by else "",
            "late": bool(authorization.approve_by and now > authorization.approve_by),
            "comment": comment[:500],
            "stamps": [{"id": pk, "status": status} for pk, status in stamps],
        },
        role=Role.SECRETARY,
        scope=village.name,
        log=district_log(village.district_id),
    )
    return authorization
