"""Set-up shared by the apps' tests and the benchmarks in `bench/`: a district with its
villages and groups, staff with their grants, and the approval chains the tests and
benchmarks use. Places, people and grants go through the services (audited, as in
production); chains and matters are written directly, as catalog data."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from zhiyin.catalog.models import ApprovalChain, ChainStep
from zhiyin.orgs.models import District, Person, Role, Village, VillageGroup
from zhiyin.orgs.services import person_create, place_create, role_grant_create

PASSWORD = "Factory-password-2026"  # accounts of throwaway test and bench databases


@dataclass(frozen=True)
class Step:
    """One step of a chain: who decides, at which level, within how long."""

    name: str
    role: str
    scope_level: str
    time_limit: int
    time_unit: str
    approvers_needed: int = 1


#: 小组长审核 (4 hours), then 书记审批 (1 day): the chain most tests and benchmarks use.
LEADER_THEN_SECRETARY = (
    Step("小组长审核", Role.GROUP_LEADER, "group", 4, "hours"),
    Step("书记审批", Role.SECRETARY, "village", 1, "days"),
)
#: 村民小组长审核 (8 hours), then 支部书记审批 (1 day): the chain of the portal's services.
PORTAL_LEADER_THEN_SECRETARY = (
    Step("村民小组长审核", Role.GROUP_LEADER, "group", 8, "hours"),
    Step("支部书记审批", Role.SECRETARY, "village", 1, "days"),
)
#: 书记审批 alone (1 day): requests that go to sealing after one decision.
SECRETARY_ONLY = (Step("书记审批", Role.SECRETARY, "village", 1, "days"),)
#: 书记审批, then both custodians confirm (联签): for joint-seal matters.
SECRETARY_THEN_TWO_CUSTODIANS = (
    Step("书记审批", Role.SECRETARY, "village", 8, "hours"),
    Step("印章管理员联签", Role.CUSTODIAN, "village", 8, "hours", approvers_needed=2),
)


def district_make(name: str = "崖州区", code: str = "460205") -> District:
    """A district, created through `place_create` (audited)."""
    return place_create(place=District(name=name, code=code), by=None)


def village_make(district: District, name: str, code: str) -> Village:
    """A village of `district`, created through `place_create` (audited)."""
    return place_create(place=Village(name=name, district=district, code=code), by=None)


def group_make(village: Village, number: int = 1, name: str = "第一村民小组") -> VillageGroup:
    """A villagers' group of `village`, created through `place_create` (audited)."""
    return place_create(place=VillageGroup(village=village, number=number, name=name), by=None)


def staff_make(username: str, role: str, real_name: str = "", **scope: Any) -> Person:
    """A person (password `PASSWORD`) with one grant of `role` in `scope` (village=,
    group=, district= or bureau=), both through the services."""
    person = person_create(
        username=username, real_name=real_name or username, password=PASSWORD, by=None
    )
    role_grant_create(person=person, role=role, by=None, **scope)
    return person


def chain_make(
    district: District, name: str, steps: tuple[Step, ...] = ()
) -> tuple[ApprovalChain, list[ChainStep]]:
    """An approval chain of `district` with `steps` in order (none: sealing directly)."""
    chain = ApprovalChain.objects.create(district=district, name=name)
    made = [
        ChainStep.objects.create(
            chain=chain,
            position=position,
            name=step.name,
            role=step.role,
            scope_level=step.scope_level,
            time_limit=step.time_limit,
            time_unit=step.time_unit,
            approvers_needed=step.approvers_needed,
        )
        for position, step in enumerate(steps, start=1)
    ]
    return chain, made
