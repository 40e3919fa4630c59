"""Every write to the catalog: matters, versioned approval chains, the negative list.

Only the district's admins (or the system itself, `by=None`) change the catalog. A chain
is never edited in place: `matter_chain_revise` writes a new version and points matters
at it, so a request already in flight keeps the chain version it started with.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from zhiyin.audit.services import audit_record, district_log
from zhiyin.catalog.matching import normalize
from zhiyin.catalog.models import (
    ApprovalChain,
    ChainStep,
    Matter,
    MatterCategory,
    MatterTier,
    NegativeListAlias,
    NegativeListItem,
    OwnerLevel,
    TimeUnit,
)
from zhiyin.catalog.own_words import GENERIC_WORDS
from zhiyin.catalog.selectors import negative_list_check
from zhiyin.core.errors import RuleViolation
from zhiyin.orgs.models import District, Person, Role
from zhiyin.orgs.selectors import access_for
from zhiyin.seals.models import Seal, SealKind, SealStatus

#: Which scope level each approving role decides at.
STEP_SCOPES: dict[str, frozenset[str]] = {
    Role.GROUP_LEADER: frozenset({"group"}),
    Role.SECRETARY: frozenset({"village"}),
    Role.CLERK: frozenset({"village"}),
    Role.CUSTODIAN: frozenset({"village"}),
    Role.BUREAU_OFFICER: frozenset({"district"}),
}


@dataclass(frozen=True)
class StepSpec:
    """One step of a chain to be written: who decides, at what level, within what time."""

    name: str
    role: str
    scope_level: str
    time_limit: int
    time_unit: str = TimeUnit.WORKING_HOURS
    approvers_needed: int = 1


def _require_catalog_admin(by: Person | None, district: District) -> None:
    if by is None:
        return
    access = access_for(by)
    if not any(
        g.role == Role.ADMIN and g.village_id is None and g.district_id == district.pk
        for g in access.grants
    ):
        raise RuleViolation(_("只有本区的系统管理员可以修改事项目录和负面清单。"))


def steps_clean(steps: Sequence[StepSpec]) -> list[StepSpec]:
    """Refuse a chain a request could not get through; the last step is the custodian's."""
    if not steps:
        raise RuleViolation(_("审批链至少要有一个环节。"))
    if len(steps) > 10:
        raise RuleViolation(_("审批链最多十个环节。"))
    clean: list[StepSpec] = []
    for number, step in enumerate(steps, start=1):
        name = step.name.strip()
        if not name:
            raise RuleViolation(_("第 %(n)d 个环节没有名称。") % {"n": number})
        if step.role not in STEP_SCOPES:
            raise RuleViolation(_("第 %(n)d 个环节的角色不能审批用印。") % {"n": number})
        if step.scope_level not in STEP_SCOPES[step.role]:
            raise RuleViolation(_("第 %(n)d 个环节：该角色不能在这一层级审批。") % {"n": number})
        if step.time_unit not in TimeUnit.values:
            raise RuleViolation(_("第 %(n)d 个环节的时限单位无效。") % {"n": number})
        if not 1 <= step.time_limit <= 720:
            raise RuleViolation(_("第 %(n)d 个环节的时限须在 1 到 720 之间。") % {"n": number})
        if not 1 <= step.approvers_needed <= 5:
            raise RuleViolation(_("第 %(n)d 个环节的审批人数须在 1 到 5 之间。") % {"n": number})
        clean.append(
            StepSpec(
                name=name,
                role=step.role,
                scope_level=step.scope_level,
                time_limit=step.time_limit,
                time_unit=step.time_unit,
                approvers_needed=step.approvers_needed,
            )
        )
    if clean[-1].role != Role.CUSTODIAN:
        raise RuleViolation(_("审批链的最后一个环节必须由印章管理员确认用印。"))
    return clean


def _chain_write(*, district: District, name: str, steps: list[StepSpec]) -> ApprovalChain:
    latest = ApprovalChain.objects.filter(district=district, name=name).aggregate(v=Max("version"))[
        "v"
    ]
    chain = ApprovalChain.objects.create(district=district, name=name, version=(latest or 0) + 1)
    ChainStep.objects.bulk_create(
        ChainStep(chain=chain, position=position, **asdict(step))
        for position, step in enumerate(steps, start=1)
    )
    return chain


def chain_data(chain: ApprovalChain) -> dict[str, Any]:
    """A chain and its steps as the audit log records them (name, version, each step's role, scope
    and time limit)."""
    return {
        "name": chain.name,
        "version": chain.version,
        "steps": [
            {
                "name": s.name,
                "role": s.role,
                "scope_level": s.scope_level,
                "time_limit": s.time_limit,
                "time_unit": s.time_unit,
                "approvers_needed": s.approvers_needed,
            }
            for s in chain.steps.order_by("position")
        ],
    }


@transaction.atomic
def approval_chain_create(
    *, district: District, name: str, steps: Sequence[StepSpec], by: Person | None
) -> ApprovalChain:
    """A new chain (version 1, or the next version if the name exists)."""
    _require_catalog_admin(by, district)
    name = name.strip()
    if not name or len(name) > 100:
        raise RuleViolation(_("审批链名称不能为空，且不超过100个字。"))
    chain = _chain_write(district=district, name=name, steps=steps_clean(steps))
    audit_record(
        actor=by,
        action="approval_chain.create",
        target=chain,
        after=chain_data(chain),
        log=district_log(chain.district_id),
    )
    return chain


@transaction.atomic
def matter_chain_revise(
    *,
    matter: Matter | None = None,
    chain: ApprovalChain | None = None,
    steps: Sequence[StepSpec],
    by: Person | None,
) -> ApprovalChain:
    """Write a new chain version with `steps` and repoint matters to it.

    With `chain`: the next version of that chain; every matter on `chain` moves to it.
    With `matter`: only that matter moves. If it shared its chain with other matters, the
    new chain is the matter's own (named after its code) so the others are untouched.
    Requests in flight keep pointing at the old version, which is never changed.
    """
    if (matter is None) == (chain is None):
        raise RuleViolation(_("请指定要修改的事项或审批链（二选一）。"))
    clean = steps_clean(steps)
    if chain is not None:
        old = chain
        district = chain.district
        name = chain.name
        movers = Matter.objects.select_for_update().filter(chain=chain)
    else:
        assert matter is not None
        old = matter.chain
        district = matter.district
        shared = Matter.objects.filter(chain=old).exclude(pk=matter.pk).exists()
        name = f"{matter.code} 专用审批链" if shared else old.name
        movers = Matter.objects.select_for_update().filter(pk=matter.pk)
    _require_catalog_admin(by, district)
    new = _chain_write(district=district, name=name, steps=clean)
    moved = list(movers.values_list("code", flat=True))
    movers.update(chain=new)
    if matter is not None:
        matter.chain = new
    audit_record(
        actor=by,
        action="approval_chain.revise",
        target=new,
        before=chain_data(old),
        after={**chain_data(new), "matters": moved},
        log=district_log(new.district_id),
    )
    return new


def matter_data(matter: Matter) -> dict[str, Any]:
    """A matter's fields as the audit log records them (bureau and chain by id)."""
    return {
        "code": matter.code,
        "name": matter.name,
        "category": matter.category,
        "tier": matter.tier,
        "legal_basis": matter.legal_basis,
        "seal_kinds": matter.seal_kinds,
        "owner_levels": matter.owner_levels,
        "required_attachments": matter.required_attachments,
        "electronic_allowed": matter.electronic_allowed,
        "target_bureau": matter.target_bureau_id,
        "chain": matter.chain_id,
        "is_active": matter.is_active,
    }


def _string_list(value: object, what: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise RuleViolation(_("%(what)s必须是文字列表。") % {"what": what})
    return [v.strip() for v in value if v.strip()]


def matter_clean(matter: Matter) -> None:
    """The rules every matter obeys; refusals name the field in Chinese."""
    matter.code = matter.code.strip()
    matter.name = matter.name.strip()
    matter.legal_basis = matter.legal_basis.strip()
    if not matter.code or len(matter.code) > 20:
        raise RuleViolation(_("事项编码不能为空，且不超过20个字符。"))
    if not matter.name:
        raise RuleViolation(_("事项名称不能为空。"))
    if not matter.legal_basis:
        raise RuleViolation(_("请填写事项的依据。"))
    if matter.category not in MatterCategory.values:
        raise RuleViolation(_("事项类别无效。"))
    if matter.tier not in MatterTier.values:
        raise RuleViolation(_("审批层级无效。"))
    matter.seal_kinds = _string_list(matter.seal_kinds, _("可用印章种类"))
    matter.owner_levels = _string_list(matter.owner_levels, _("可用印章所属"))
    matter.required_attachments = _string_list(matter.required_attachments, _("必需附件"))
    if not matter.seal_kinds or not set(matter.seal_kinds) <= set(SealKind.values):
        raise RuleViolation(_("请从印章种类中选择至少一种可用印章。"))
    if not matter.owner_levels or not set(matter.owner_levels) <= set(OwnerLevel.values):
        raise RuleViolation(_("请选择印章所属（村、村民小组或集体经济组织）。"))
    if matter.chain.district_id != matter.district_id:
        raise RuleViolation(_("审批链必须属于本区。"))
    if matter.target_bureau is not None and matter.target_bureau.district_id != (
        matter.district_id
    ):
        raise RuleViolation(_("送达部门必须是本区的职能部门。"))
    duplicate = Matter.objects.filter(district=matter.district, code=matter.code)
    if matter.pk:
        duplicate = duplicate.exclude(pk=matter.pk)
    if duplicate.exists():
        raise RuleViolation(_("本区已有编码为“%(code)s”的事项。") % {"code": matter.code})
    negative_list_check(matter.name, district=matter.district)


@transaction.atomic
def matter_create(*, matter: Matter, by: Person | None) -> Matter:
    """Save a new matter built (not saved) by the caller."""
    _require_catalog_admin(by, matter.district)
    matter_clean(matter)
    matter.save()
    audit_record(
        actor=by,
        action="matter.create",
        target=matter,
        after=matter_data(matter),
        log=district_log(matter.district_id),
    )
    return matter


@transaction.atomic
def matter_update(*, matter: Matter, by: Person | None) -> Matter:
    """Save changes to an existing matter (its chain is changed by `matter_chain_revise`)."""
    _require_catalog_admin(by, matter.district)
    before = Matter.objects.select_for_update().get(pk=matter.pk)
    if before.district_id != matter.district_id:
        raise RuleViolation(_("事项不能移到其他区。"))
    matter_clean(matter)
    matter.save()
    audit_record(
        actor=by,
        action="matter.update",
        target=matter,
        before=matter_data(before),
        after=matter_data(matter),
        log=district_log(matter.district_id),
    )
    return matter


def negative_list_item_data(item: NegativeListItem) -> dict[str, Any]:
    """A negative-list item's fields as the audit log records them."""
    return {
        "district": item.district_id,
        "name": item.name,
        "aliases": item.aliases,
        "reason": item.reason,
        "where_instead": item.where_instead,
        "source": item.source,
    }


def negative_list_item_clean(item: NegativeListItem) -> None:
    """Strip and check an item in place (name, aliases, reason, where to go instead, no duplicate in
    its district); refuses with `RuleViolation`, writes nothing."""
    item.name = item.name.strip()
    item.reason = item.reason.strip()
    item.where_instead = item.where_instead.strip()
    if not item.name or len(item.name) > 100:
        raise RuleViolation(_("名称不能为空，且不超过100个字。"))
    item.aliases = _string_list(item.aliases, _("别称"))
    if not item.reason:
        raise RuleViolation(_("请写明不再出具的理由。"))
    if not item.where_instead:
        raise RuleViolation(_("请写明群众可以改到哪里办理。"))
    same = NegativeListItem.objects.filter(district=item.district, name=item.name)
    if item.pk:
        same = same.exclude(pk=item.pk)
    if same.exists():
        raise RuleViolation(_("负面清单中已有“%(name)s”。") % {"name": item.name})


def _require_item_admin(by: Person | None, item: NegativeListItem) -> None:
    if item.district is None:
        if by is not None:
            raise RuleViolation(_("全国统一清单只能由系统初始化，区里只能增加本区事项。"))
        return
    _require_catalog_admin(by, item.district)


@transaction.atomic
def negative_list_item_create(*, item: NegativeListItem, by: Person | None) -> NegativeListItem:
    """A district admin adds an item to their district's list (the nationwide list only by the
    system); atomic and audited in the district's log."""
    _require_item_admin(by, item)
    negative_list_item_clean(item)
    item.save()
    audit_record(
        actor=by,
        action="negative_list_item.create",
        target=item,
        after=negative_list_item_data(item),
        log=district_log(item.district_id) if item.district_id else "",
    )
    return item


@transaction.atomic
def negative_list_item_update(*, item: NegativeListItem, by: Person | None) -> NegativeListItem:
    """A district admin changes an item of their district, the stored row locked; the before and
    after are audited."""
    before = NegativeListItem.objects.select_for_update().get(pk=item.pk)
    _require_item_admin(by, before)
    _require_item_admin(by, item)
    negative_list_item_clean(item)
    item.save()
    audit_record(
        actor=by,
        action="negative_list_item.update",
        target=item,
        before=negative_list_item_data(before),
        after=negative_list_item_data(item),
        log=district_log(item.district_id) if item.district_id else "",
    )
    return item


def matter_allows_seal(matter: Matter, seal: Seal) -> None:
    """Refuse a seal the matter may not be sealed with (kind, owner, district, status)."""
    if not matter.is_active:
        raise RuleViolation(_("事项“%(name)s”已停用。") % {"name": matter.name})
    if seal.village.district_id != matter.district_id:
        raise RuleViolation(_("该印章不属于本区，不能用于本事项。"))
    if seal.status != SealStatus.ACTIVE:
        raise RuleViolation(_("印章“%(seal)s”目前不在用。") % {"seal": seal})
    if seal.kind not in matter.seal_kinds:
        allowed = "、".join(str(SealKind(k).label) for k in matter.seal_kinds)
        raise RuleViolation(
            _("事项“%(name)s”只能使用：%(allowed)s；不能使用%(kind)s。")
            % {"name": matter.name, "allowed": allowed, "kind": seal.get_kind_display()}
        )
    if seal.owner_level not in matter.owner_levels:
        allowed = "、".join(str(OwnerLevel(k).label) for k in matter.owner_levels)
        raise RuleViolation(
            _("事项“%(name)s”只能使用%(allowed)s的印章。")
            % {"name": matter.name, "allowed": allowed}
        )


def negative_list_alias_clean(alias: NegativeListAlias) -> None:
    """A phrase of 2–100 characters that says something beyond a generic word: 证明 or
    开证明 alone would send every question to this item."""
    alias.phrase = alias.phrase.strip()
    if not alias.phrase or len(alias.phrase) > 100:
        raise RuleViolation(_("说法不能为空，且不超过100个字。"))
    parts = [normalize(p) for p in re.split(r"[+|]", alias.phrase)]
    if any(not p for p in parts) or any(p in GENERIC_WORDS for p in parts):
        raise RuleViolation(
            _("“%(phrase)s”太笼统，会把别的问题也当成这一项。请写群众的原话或更具体的词。")
            % {"phrase": alias.phrase}
        )
    if alias.item.district_id not in (None, alias.district_id):
        raise RuleViolation(_("只能给全国统一清单或本区的事项添加说法。"))
    same = NegativeListAlias.objects.filter(
        district_id=alias.district_id, item_id=alias.item_id, phrase=alias.phrase
    )
    if alias.pk:
        same = same.exclude(pk=alias.pk)
    if same.exists():
        raise RuleViolation(_("已有这个说法。"))


@transaction.atomic
def negative_list_alias_save(*, alias: NegativeListAlias, by: Person | None) -> NegativeListAlias:
    """Add or change a district's wording for a negative-list item (district admins)."""
    _require_catalog_admin(by, alias.district)
    negative_list_alias_clean(alias)
    found = NegativeListAlias.objects.filter(pk=alias.pk).first() if alias.pk else None
    before = {"item_id": found.item_id, "phrase": found.phrase} if found else None
    alias.save()
    audit_record(
        actor=by,
        action="negative_list_alias.save",
        target=alias,
        before=before,
        after={"item_id": alias.item_id, "phrase": alias.phrase},
        log=district_log(alias.district_id),
    )
    return alias
