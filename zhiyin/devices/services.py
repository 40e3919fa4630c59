"""Terminals themselves: registration with the seals they hold, enrolment (the device CA
issues a certificate for the key the terminal generated) and state (suspend, activate,
retire). Each function is one transaction that records its audit event (action codes in
`zhiyin.devices.events`, the contract with the oversight warnings).

Also here by purpose: `zhiyin.devices.authorizations` (用印授权 and the commands that carry
them), `zhiyin.devices.emergency` (先行用章); what terminals send: `ingest` (events),
`stamps`, `alarms`, `sessions` (hello, poll, photos), `messages` (signatures, times).
"""

from __future__ import annotations

import hmac
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zhiyin.audit.services import audit_record, district_log
from zhiyin.core.errors import RuleViolation
from zhiyin.devices import events
from zhiyin.devices.authorizations import authorization_withdraw
from zhiyin.devices.codes import code_hash, code_new
from zhiyin.devices.keys import ca_key, certificate_load, device_ca_get_or_create
from zhiyin.devices.models import (
    AuthorizationStatus,
    DeviceSlot,
    DeviceState,
    SealDevice,
    StampAuthorization,
)
from zhiyin.lib import devproto, pki
from zhiyin.orgs.models import Person, Role, Village
from zhiyin.orgs.selectors import access_for
from zhiyin.seals.models import Seal, SealStatus

ENROL_CODE_HOURS = 72


def _device_data(device: SealDevice) -> dict[str, Any]:
    return {
        "device": device.serial,
        "village": device.village_id,
        "state": device.state,
        "firmware": device.firmware,
        "slots": {s.code: s.seal_id for s in device.slots.all()},
    }


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
    code = code_new(12)
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
    code = code_new(12)
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
            authorization_withdraw(authorization, by=by, reason=_("终端已暂停或停用"))
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
