"""Registering seals and moving them through their lifecycle. Atomic and audited."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zhiyin.audit.services import audit_record
from zhiyin.orgs.errors import RuleViolation
from zhiyin.orgs.models import Collective, Person, Village, VillageGroup
from zhiyin.seals.models import SPECIAL_PURPOSE_KINDS, Seal, SealKind, SealStatus

_DEFAULT_PURPOSE = {
    SealKind.FINANCE: "财务专用章",
    SealKind.CONTRACT: "合同专用章",
    SealKind.CERTIFICATE: "证明专用章",
}


def _seal_data(seal: Seal) -> dict[str, Any]:
    return {
        "code": seal.code,
        "kind": seal.kind,
        "name": seal.name,
        "purpose": seal.purpose,
        "is_physical": seal.is_physical,
        "is_electronic": seal.is_electronic,
        "status": seal.status,
        "status_reason": seal.status_reason,
    }


def seal_default_name(
    *,
    village: Village,
    kind: str,
    group: VillageGroup | None = None,
    collective: Collective | None = None,
) -> str:
    """The text along the seal's arc: the owner's full name."""
    if group is not None:
        return f"{village.name}{group.name}"
    if collective is not None:
        return collective.name
    if kind == SealKind.PARTY:
        return f"中共{village.district.name}{village.name}支部委员会"
    return village.committee_name


def seal_register_check(
    *,
    village: Village,
    kind: str,
    code: str,
    group: VillageGroup | None = None,
    collective: Collective | None = None,
    is_physical: bool = True,
    is_electronic: bool = False,
) -> str:
    """Refuse a registration the rules do not allow; return the cleaned code."""
    if kind not in SealKind.values:
        raise RuleViolation(_("未知的用章种类。"))
    if not village.is_active:
        raise RuleViolation(_("“%(name)s”已撤销，不能登记新印章。") % {"name": village.name})
    if group is not None and group.village_id != village.pk:
        raise RuleViolation(_("村民小组不属于该村。"))
    if collective is not None and collective.village_id != village.pk:
        raise RuleViolation(_("集体经济组织不属于该村。"))
    if group is not None and collective is not None:
        raise RuleViolation(_("一枚印章只能属于一个单位。"))
    if (kind == SealKind.GROUP) != (group is not None):
        raise RuleViolation(_("村民小组章必须且只能属于一个村民小组。"))
    if (kind == SealKind.COLLECTIVE) and collective is None:
        raise RuleViolation(_("集体经济组织章必须属于一个集体经济组织。"))
    if not (is_physical or is_electronic):
        raise RuleViolation(_("印章至少应为实物印章或电子印章之一。"))
    code = code.strip()
    if not code:
        raise RuleViolation(_("请填写印章编码。"))
    if Seal.objects.filter(code=code).exists():
        raise RuleViolation(_("印章编码“%(code)s”已被使用。") % {"code": code})
    return code


@transaction.atomic
def seal_register(
    *,
    village: Village,
    kind: str,
    code: str,
    by: Person | None,
    name: str = "",
    group: VillageGroup | None = None,
    collective: Collective | None = None,
    is_physical: bool = True,
    is_electronic: bool = False,
) -> Seal:
    code = seal_register_check(
        village=village,
        kind=kind,
        code=code,
        group=group,
        collective=collective,
        is_physical=is_physical,
        is_electronic=is_electronic,
    )
    seal = Seal(
        village=village,
        group=group,
        collective=collective,
        kind=kind,
        name=(
            name.strip()
            or seal_default_name(village=village, kind=kind, group=group, collective=collective)
        ),
        purpose=_DEFAULT_PURPOSE.get(SealKind(kind), "") if kind in SPECIAL_PURPOSE_KINDS else "",
        code=code,
        is_physical=is_physical,
        is_electronic=is_electronic,
    )
    seal.save()
    audit_record(
        actor=by, action="seal.register", target=seal, after=_seal_data(seal), scope=village.name
    )
    return seal


def _seal_move(
    *, seal: Seal, to: str, allowed_from: set[str], reason: str, by: Person | None, action: str
) -> Seal:
    seal = Seal.objects.select_for_update().get(pk=seal.pk)
    if seal.status not in allowed_from:
        raise RuleViolation(
            _("印章当前状态为“%(status)s”，不能执行此操作。")
            % {"status": seal.get_status_display()}
        )
    reason = reason.strip()
    if not reason:
        raise RuleViolation(_("请说明原因。"))
    before = _seal_data(seal)
    seal.status = to
    seal.status_reason = reason[:200]
    seal.status_changed_at = timezone.now()
    seal.save(update_fields=["status", "status_reason", "status_changed_at"])
    audit_record(
        actor=by,
        action=action,
        target=seal,
        before=before,
        after=_seal_data(seal),
        scope=seal.village.name,
    )
    return seal


@transaction.atomic
def seal_suspend(*, seal: Seal, reason: str, by: Person | None) -> Seal:
    """Stop all use of a seal for now (lost, under investigation, custodian change)."""
    return _seal_move(
        seal=seal,
        to=SealStatus.SUSPENDED,
        allowed_from={SealStatus.ACTIVE},
        reason=reason,
        by=by,
        action="seal.suspend",
    )


@transaction.atomic
def seal_reinstate(*, seal: Seal, reason: str, by: Person | None) -> Seal:
    return _seal_move(
        seal=seal,
        to=SealStatus.ACTIVE,
        allowed_from={SealStatus.SUSPENDED},
        reason=reason,
        by=by,
        action="seal.reinstate",
    )


@transaction.atomic
def seal_retire(*, seal: Seal, reason: str, by: Person | None) -> Seal:
    """Retire a seal for good; it stays in the registry with its history."""
    return _seal_move(
        seal=seal,
        to=SealStatus.RETIRED,
        allowed_from={SealStatus.ACTIVE, SealStatus.SUSPENDED},
        reason=reason,
        by=by,
        action="seal.retire",
    )
