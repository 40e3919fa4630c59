"""Emergency use (先行用章): a custodian opens a terminal for an urgent matter before
approval, with a written reason. The inspectors are told at once; the village secretary
approves it afterwards within the set working days, or the warning rules flag it."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from zhiyin.approvals.timelimits import step_deadline
from zhiyin.audit.services import audit_record, district_log
from zhiyin.core.errors import RuleViolation
from zhiyin.delivery.services import notify
from zhiyin.devices import events
from zhiyin.devices.authorizations import authorization_data, grant_issue, require_custodian
from zhiyin.devices.codes import code_hash, code_new
from zhiyin.devices.models import DeviceState, SealDevice, StampAuthorization
from zhiyin.orgs.models import Person, Role, RoleGrant, Village
from zhiyin.orgs.selectors import access_for


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
    require_custodian(by, device.village)
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
    code = code_new(10)
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
    grant_issue(authorization)
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
