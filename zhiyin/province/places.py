"""The province loader's places and people: villages with groups, staff, residents and
their committee seal; a district's inspector, admin and bureau officers; its matters."""

from __future__ import annotations

import datetime as dt
from typing import Any

from zhiyin.accounts.models import PasswordHistory
from zhiyin.audit.services import canonical_json
from zhiyin.catalog.models import ApprovalChain, ChainStep, Matter
from zhiyin.catalog.services import chain_data, matter_data
from zhiyin.orgs.models import Bureau, District, Person, Role, RoleGrant, Village, VillageGroup
from zhiyin.province.loader import (
    VILLAGE_SYLLABLES,
    Loader,
    MatterRow,
    Staff,
    VillageRow,
)
from zhiyin.seals.models import Seal, SealKind


class PlacesLoader(Loader):
    """Writes villages, people and role grants in bulk, each with its audit event."""

    def person(self, username: str, name: str, at: dt.datetime, **extra: Any) -> tuple[int, str]:
        pk = self.ids.take(Person)
        self.row(
            Person,
            id=pk,
            username=username,
            password=self.password,
            real_name=name,
            phone=f"19{pk:09d}",
            is_active=True,
            date_joined=at,
            **extra,
        )
        self.report.people += 1
        return pk, name

    def grant(
        self, person: tuple[int, str], role: str, district: int, at: dt.datetime, **scope: Any
    ) -> None:
        pk = self.row(
            RoleGrant, person_id=person[0], role=role, district_id=district, granted_at=at, **scope
        )
        if role != Role.RESIDENT and person[0] not in self.password_dated:
            # The loader sets staff passwords now: date them, or the password policy's
            # maximum age (counted from registration when no history row exists) would
            # send every loaded official to change it at their first page.
            self.password_dated.add(person[0])
            self.row(
                PasswordHistory,
                person_id=person[0],
                password_hash=self.password,
                set_at=self.plan.now,
            )
        self.event(
            at,
            "role_grant.create",
            ("orgs.rolegrant", pk, f"{person[1]} {role}"),
            after=f'{{"role":"{role}"}}',
        )

    def village(self, district: District, code: str, n: int) -> VillageRow:
        at = self.when(self.start - dt.timedelta(days=30), self.start)
        name = (
            self.rng.choice(VILLAGE_SYLLABLES) + self.rng.choice(VILLAGE_SYLLABLES) + f"{n + 1}村"
        )
        village_code = f"{code}{n + 1:03d}"
        pk = self.row(Village, name=name, district_id=district.pk, code=village_code, created_at=at)
        self.event(at, "village.create", ("orgs.village", pk, name))
        self.report.villages += 1
        groups = []
        leaders = []
        for g in range(self.plan.groups_per_village):
            group = self.row(
                VillageGroup,
                name=f"第{g + 1}村民小组",
                village_id=pk,
                number=g + 1,
                created_at=at,
            )
            self.event(
                at, "villagegroup.create", ("orgs.villagegroup", group, f"{name}第{g + 1}组")
            )
            groups.append(group)
            leader = self.person(f"v{village_code}-g{g + 1}-leader", f"{name}{g + 1}组组长", at)
            self.grant(leader, Role.GROUP_LEADER, district.pk, at, village_id=pk, group_id=group)
            leaders.append(leader[0])
        staff = {}
        for role, slug in (
            (Role.CLERK, "clerk"),
            (Role.SECRETARY, "secretary"),
            (Role.CUSTODIAN, "custodian1"),
            (Role.CUSTODIAN, "custodian2"),
        ):
            person = self.person(f"v{village_code}-{slug}", f"{name}{slug}", at)
            self.grant(person, role, district.pk, at, village_id=pk)
            staff[slug] = person[0]
        for r in range(self.plan.residents_per_village):
            group = groups[r % len(groups)]
            self.person(
                f"v{village_code}-r{r + 1}",
                f"{name}村民{r + 1}",
                at,
                home_village_id=pk,
                home_group_id=group,
            )
        seal = self.row(
            Seal,
            village_id=pk,
            kind=SealKind.COMMITTEE,
            name=f"{name}村民委员会",
            code=f"P{village_code}",
            is_physical=True,
            is_electronic=True,
            created_at=at,
        )
        self.event(at, "seal.register", ("seals.seal", seal, f"{name}村民委员会"))
        return VillageRow(
            pk=pk,
            name=name,
            groups=groups,
            staff=Staff(
                clerk=staff["clerk"],
                secretary=staff["secretary"],
                custodians=(staff["custodian1"], staff["custodian2"]),
                leaders=leaders,
            ),
            seal=seal,
            weight=self.rng.lognormvariate(0, 0.8),
        )

    def people_of_district(self, district: District, code: str) -> None:
        at = self.start - dt.timedelta(days=31)
        inspector = self.person(f"d{code}-inspector", f"{district.name}纪检监察员", at)
        self.grant(inspector, Role.INSPECTOR, district.pk, at)
        admin = self.person(f"d{code}-admin", f"{district.name}管理员", at)
        self.grant(admin, Role.ADMIN, district.pk, at)
        for n, bureau in enumerate(Bureau.objects.filter(district=district).order_by("pk")):
            officer = self.person(f"d{code}-bureau{n + 1}", f"{bureau.name}经办人", at)
            self.grant(officer, Role.BUREAU_OFFICER, district.pk, at, bureau_id=bureau.pk)

    def matters(self, district: District) -> list[MatterRow]:
        steps: dict[int, list[ChainStep]] = {}
        for step in ChainStep.objects.filter(chain__district=district).order_by("position"):
            steps.setdefault(step.chain_id, []).append(step)
        return [
            MatterRow(
                pk=m.pk,
                name=m.name,
                chain=m.chain_id,
                steps=steps.get(m.chain_id, []),
                bureau=m.target_bureau_id,
            )
            for m in Matter.objects.filter(district=district, is_active=True)
            if SealKind.COMMITTEE in m.seal_kinds
        ]

    def catalog_copy(self, district: District, template: int) -> None:
        """The catalog of `template` (a district of this run, whose demo catalog went through
        the services) written again for `district` in bulk: the same chains, steps and
        matters, bureaus matched by name, and the same `approval_chain.create` and
        `matter.create` events the services record. 128 matters through the services cost
        seconds a district; this, milliseconds."""
        if self.catalog is None or self.catalog[0] != template:
            chains = list(ApprovalChain.objects.filter(district_id=template).order_by("pk"))
            self.catalog = (
                template,
                [(c, list(c.steps.order_by("position")), chain_data(c)) for c in chains],
                list(
                    Matter.objects.filter(district_id=template)
                    .select_related("target_bureau")
                    .order_by("pk")
                ),
            )
        _, chains_of, matters = self.catalog
        at = self.start - dt.timedelta(days=32)
        bureaus = {b.name: b.pk for b in Bureau.objects.filter(district=district)}
        chain_ids: dict[int, int] = {}
        for chain, steps, data in chains_of:
            pk = self.row(
                ApprovalChain,
                district_id=district.pk,
                name=chain.name,
                version=chain.version,
                created_at=at,
            )
            chain_ids[chain.pk] = pk
            for step in steps:
                self.row(ChainStep, **_copied(step, chain_id=pk))
            self.event(
                at,
                "approval_chain.create",
                (ApprovalChain._meta.label_lower, pk, str(chain)),
                after=canonical_json(data),
            )
        for matter in matters:
            bureau = bureaus[matter.target_bureau.name] if matter.target_bureau else None
            chain_id = chain_ids[matter.chain_id]
            pk = self.row(
                Matter,
                **_copied(
                    matter, district_id=district.pk, chain_id=chain_id, target_bureau_id=bureau
                ),
            )
            self.event(
                at,
                "matter.create",
                (Matter._meta.label_lower, pk, str(matter)),
                after=canonical_json(
                    {**matter_data(matter), "target_bureau": bureau, "chain": chain_id}
                ),
            )


def _copied(row: Any, **changes: Any) -> dict[str, Any]:
    """A stored row's field values, without its id, with `changes` put in."""
    values = {
        f.attname: getattr(row, f.attname) for f in row._meta.concrete_fields if not f.primary_key
    }
    return {**values, **changes}
