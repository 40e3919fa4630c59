"""The demo catalog of a district: the national negative list, four approval chains and
128 matters of the kinds villages really seal, each with a legal-basis line.

`catalog_demo_load(district)` is idempotent: what already exists (matched by chain name,
matter code, item name) is left as it is, so an admin's later edits survive a reload.
Everything goes through the services, so the demo's log reads like a real district's.
The rows themselves live in `demo_data`.
"""

from __future__ import annotations

from django.db import transaction

from zhiyin.catalog.demo_data import MATTERS, NEGATIVE_LIST
from zhiyin.catalog.models import (
    ApprovalChain,
    Matter,
    MatterCategory,
    MatterTier,
    NegativeListItem,
    TimeUnit,
)
from zhiyin.catalog.services import (
    StepSpec,
    approval_chain_create,
    matter_create,
    negative_list_item_create,
)
from zhiyin.orgs.models import Bureau, District, Role

SOURCE = "民发〔2020〕20号"

CHAIN_DIRECT = "印章管理员核实后直接用印"
CHAIN_DIRECTOR = "小组长、书记审批后用印"
CHAIN_MEETING = "村民（代表）会议决定后用印"
CHAIN_JOINT = "联章联签"

_H = TimeUnit.WORKING_HOURS
CHAINS: dict[str, list[StepSpec]] = {
    CHAIN_DIRECT: [StepSpec("印章管理员核实用印", Role.CUSTODIAN, "village", 4, _H)],
    CHAIN_DIRECTOR: [
        StepSpec("村民小组长审核", Role.GROUP_LEADER, "group", 8, _H),
        StepSpec("支部书记（主任）审批", Role.SECRETARY, "village", 8, _H),
        StepSpec("印章管理员核实用印", Role.CUSTODIAN, "village", 4, _H),
    ],
    CHAIN_MEETING: [
        StepSpec("村民小组长审核", Role.GROUP_LEADER, "group", 8, _H),
        StepSpec("支部书记（主任）核对会议决议", Role.SECRETARY, "village", 8, _H),
        StepSpec("印章管理员核实用印", Role.CUSTODIAN, "village", 4, _H),
    ],
    CHAIN_JOINT: [
        StepSpec("支部书记（主任）审批", Role.SECRETARY, "village", 8, _H),
        StepSpec("两名印章管理员联签用印", Role.CUSTODIAN, "village", 8, _H, approvers_needed=2),
    ],
}

TIER_CHAIN: dict[str, str] = {
    MatterTier.CUSTODIAN_DIRECT: CHAIN_DIRECT,
    MatterTier.DIRECTOR_SIGNS: CHAIN_DIRECTOR,
    MatterTier.MEETING_DECIDES: CHAIN_MEETING,
    MatterTier.JOINT_SEAL: CHAIN_JOINT,
}

#: Every matter decided by a villagers' meeting carries its resolution.
RESOLUTION = "村民（代表）会议决议"

CODE_PREFIX: dict[str, str] = {
    MatterCategory.CERTIFICATE: "ZM",
    MatterCategory.CONTRACT: "HT",
    MatterCategory.FINANCE: "CW",
    MatterCategory.REPORT: "SB",
    MatterCategory.PARTY: "DW",
    MatterCategory.OTHER: "QT",
}


def matter_codes() -> list[str]:
    """Stable codes, in `MATTERS` order: category prefix and a running number."""
    counters: dict[str, int] = {}
    codes = []
    for row in MATTERS:
        category = row[1]
        counters[category] = counters.get(category, 0) + 1
        codes.append(f"{CODE_PREFIX[category]}-{counters[category]:03d}")
    return codes


def _chains_load(district: District) -> tuple[dict[str, ApprovalChain], int]:
    chains: dict[str, ApprovalChain] = {}
    created = 0
    for name, steps in CHAINS.items():
        chain = (
            ApprovalChain.objects.filter(district=district, name=name).order_by("-version").first()
        )
        if chain is None:
            chain = approval_chain_create(district=district, name=name, steps=steps, by=None)
            created += 1
        chains[name] = chain
    return chains, created


@transaction.atomic
def negative_list_demo_load() -> int:
    """The 20 national items (district-less); returns how many were created."""
    present = set(
        NegativeListItem.objects.filter(district__isnull=True).values_list("name", flat=True)
    )
    created = 0
    for name, aliases, reason, where in NEGATIVE_LIST:
        if name not in present:
            negative_list_item_create(
                item=NegativeListItem(
                    name=name, aliases=aliases, reason=reason, where_instead=where, source=SOURCE
                ),
                by=None,
            )
            created += 1
    return created


@transaction.atomic
def catalog_demo_load(district: District) -> dict[str, int]:
    """Load the demo catalog into `district`; returns how many rows were created."""
    created = {"negative_list": negative_list_demo_load(), "chains": 0, "matters": 0}
    chains, created["chains"] = _chains_load(district)
    bureaus = {b.name: b for b in Bureau.objects.filter(district=district)}
    existing = set(Matter.objects.filter(district=district).values_list("code", flat=True))
    for code, row in zip(matter_codes(), MATTERS, strict=True):
        if code in existing:
            continue
        name, category, tier, kinds, owners, basis, attachments, bureau, electronic = row
        required = list(attachments)
        if tier == MatterTier.MEETING_DECIDES and RESOLUTION not in required:
            required.insert(0, RESOLUTION)
        matter_create(
            matter=Matter(
                district=district,
                code=code,
                name=name,
                category=category,
                tier=tier,
                legal_basis=basis,
                seal_kinds=list(kinds),
                owner_levels=list(owners),
                required_attachments=required,
                electronic_allowed=electronic,
                target_bureau=bureaus.get(bureau) if bureau else None,
                chain=chains[TIER_CHAIN[tier]],
            ),
            by=None,
        )
        created["matters"] += 1
    return created
